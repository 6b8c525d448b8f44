package serializer_test

import (
	"bytes"
	"errors"
	"math/big"
	"testing"

	"github.com/gopyro/pyro/internal/codectest"
	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
	"github.com/gopyro/pyro/serializer/json"
	"github.com/gopyro/pyro/serializer/marshal"
	"github.com/gopyro/pyro/serializer/msgpack"
	"github.com/gopyro/pyro/serializer/serpent"
)

var codecs = []serializer.Codec{serpent.Codec{}, json.Codec{}, marshal.Codec{}, msgpack.Codec{}}

// nilForms pairs Go nils with the value each codec must write for them: a nil slice or map
// is empty (what a Python method returns for "nothing"), a nil pointer is None. Canonical
// forms and ordinary Go types, reached through pyval.FromGo, must agree.
var nilForms = []struct {
	name      string
	nil, want any
}{
	{"nil list", []any(nil), []any{}},
	{"nil tuple", pyval.Tuple(nil), pyval.Tuple{}},
	{"nil bytes", []byte(nil), []byte{}},
	{"nil []string", []string(nil), []any{}},
	{"nil []int", []int(nil), []any{}},
	{"nil []struct", []struct{ A int }(nil), []any{}},
	{"nil map[string]int", map[string]int(nil), pyval.NewDict(0)},
	{"nil map[string]any", map[string]any(nil), pyval.NewDict(0)},
	{"nil map[int]bool", map[int]bool(nil), pyval.NewDict(0)},
	{"nil set map", map[string]struct{}(nil), pyval.NewSet()},
	{"nil *Dict", (*pyval.Dict)(nil), nil},
	{"nil *Set", (*pyval.Set)(nil), nil},
	{"nil *big.Int", (*big.Int)(nil), nil},
	{"nil *int", (*int)(nil), nil},
	{"nested", []any{[]string(nil), pyval.DictOf("k", []any(nil))}, []any{[]any{}, pyval.DictOf("k", []any{})}},
	{"struct fields", struct {
		L []int
		M map[string]int
	}{}, pyval.DictOf("L", []any{}, "M", pyval.NewDict(0))},
}

// TestNilSlicesAndMapsAreEmpty: every codec writes a nil slice or map as the empty value, and
// a nil pointer as None, both by Marshal and by its call encoder.
func TestNilSlicesAndMapsAreEmpty(t *testing.T) {
	for _, c := range codecs {
		for _, f := range nilForms {
			got, err := c.Marshal(f.nil)
			want, werr := c.Marshal(f.want)
			if c.Name() == "json" && errors.Is(werr, serializer.ErrUnsupported) {
				// json cannot carry bytes at all; the nil ones fail the same way
				if !errors.Is(err, serializer.ErrUnsupported) {
					t.Errorf("%s %s: %v, want ErrUnsupported", c.Name(), f.name, err)
				}
				continue
			}
			if err != nil || werr != nil || !bytes.Equal(got, want) {
				t.Errorf("%s %s: Marshal = %q, %v; want %q (%v)", c.Name(), f.name, got, err, want, werr)
			}
			call := serializer.Call{Object: "o", Method: "m", Args: []any{f.nil}, Kwargs: pyval.DictOf("k", f.nil)}
			fast, err := serializer.MarshalCall(c, call)
			slow, serr := serializer.MarshalCall(codectest.General{Codec: c}, call)
			if err != nil || serr != nil || !bytes.Equal(fast, slow) {
				t.Errorf("%s %s: call encoder wrote %q, %v; generic path %q, %v", c.Name(), f.name, fast, err, slow, serr)
			}
		}
	}
}

// TestNilKeys: a nil *Dict or *Set used as a dict key is None in serpent, the codec whose
// keys can be anything; a nil list is unhashable like any list.
func TestNilKeys(t *testing.T) {
	got, err := serpent.Marshal(pyval.DictOf((*pyval.Set)(nil), int64(1)))
	want, _ := serpent.Marshal(pyval.DictOf(nil, int64(1)))
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("nil *Set key: %q, %v; want %q", got, err, want)
	}
	for _, c := range codecs[:3] { // msgpack keys may be anything
		if _, err := c.Marshal(pyval.DictOf([]any(nil), int64(1))); !errors.Is(err, serializer.ErrUnsupported) {
			t.Errorf("%s: nil list as a key: %v, want ErrUnsupported", c.Name(), err)
		}
	}
}
