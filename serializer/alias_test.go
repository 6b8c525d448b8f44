package serializer_test

import (
	"testing"

	"github.com/gopyro/pyro/serializer"
)

// A bytes value is left in owned data only when large and at least half of it, so keeping it
// keeps alive at most twice its size.
func TestAlias(t *testing.T) {
	for _, c := range []struct {
		n, data int
		want    bool
	}{
		{serializer.AliasMin, serializer.AliasMin + 100, true},
		{serializer.AliasMin - 1, serializer.AliasMin, false},
		{1 << 20, 2 << 20, true},
		{1 << 20, 2<<20 + 1, false},
		{64 << 10, 16 << 20, false},
	} {
		if got := serializer.Alias(c.n, c.data); got != c.want {
			t.Errorf("Alias(%d, %d) = %v, want %v", c.n, c.data, got, c.want)
		}
	}
}
