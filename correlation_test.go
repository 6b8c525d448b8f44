package pyro_test

import (
	"context"
	"encoding/hex"
	"testing"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/pyrotest"
)

type corrReporter struct{}

// Corr returns the correlation id the daemon saw.
func (corrReporter) Corr(ctx context.Context) string {
	ci, _ := pyro.CallInfoFrom(ctx)
	return hex.EncodeToString(ci.CorrelationID)
}

// TestWithCorrelationID: the id reaches the daemon's method in both protocols (Pyro5's
// header, Pyro4's CORR annotation).
func TestWithCorrelationID(t *testing.T) {
	uri := pyrotest.Serve(t, corrReporter{})
	id := [16]byte{0xab, 0xcd, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14}
	for _, proto := range []pyro.WireProtocol{pyro.Pyro4, pyro.Pyro5} {
		p := pyrotest.NewProxy(t, uri, pyro.WithProtocol(proto))
		ctx := pyro.WithCorrelationID(context.Background(), id)
		got, err := pyro.CallT[string](ctx, p, "Corr")
		if err != nil || got != hex.EncodeToString(id[:]) {
			t.Errorf("%v: the daemon saw %q (%v), want %x", proto, got, err, id)
		}
		other, err := pyro.CallT[string](context.Background(), p, "Corr")
		if err != nil || other == got {
			t.Errorf("%v: without WithCorrelationID the daemon saw %q (%v): want a fresh id", proto, other, err)
		}
	}
}
