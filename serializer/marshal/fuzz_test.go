package marshal

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/gopyro/pyro/internal/pyvaltest"
	"github.com/gopyro/pyro/serializer"
)

// FuzzUnmarshal checks that no input panics or escapes the sentinel errors, and that whatever
// decodes re-encodes to bytes that decode to the same value (compared through a second
// encoding, which is deterministic and, unlike pyval.Equal, treats a NaN dict key as itself).
func FuzzUnmarshal(f *testing.F) {
	// Python's own output for the hand-picked cases, references and interned strings included
	exprs := make([]string, len(pyCases))
	for i, c := range pyCases {
		exprs[i] = c.expr
	}
	for _, h := range runPython(f, "dumps", exprs) {
		b, err := hex.DecodeString(h)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, h := range []string{
		"2904da017872000000005b0100000072000000007b7200000000720000000030",
		"fbda076d6574686f64733c03000000da046563686fda0470696e67da086765745f72617465da066f6e657761793c010000007203000000da0561747472733c0000000030",
		"78 01 31 03 2d322e", "66 04 2d4e614e", "49 0100000000000080", "7a 02 e961",
		"db 01000000 72 00000000", "e3 00000000",
	} {
		f.Add(unhex(f, h))
	}
	gen := pyvaltest.New(11, pyvaltest.All)
	for range 20 {
		b, err := Marshal(gen.Value())
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Unmarshal(data)
		if err != nil {
			if !errors.Is(err, serializer.ErrMalformed) && !errors.Is(err, serializer.ErrLimit) && !errors.Is(err, serializer.ErrUnsupported) {
				t.Fatalf("error wraps no sentinel: %v", err)
			}
			return
		}
		enc, err := Marshal(v)
		if err != nil {
			t.Fatalf("decoded % x but cannot re-encode: %v", data, err)
		}
		v2, err := Unmarshal(enc)
		if err != nil {
			t.Fatalf("re-encoded % x does not decode: %v", enc, err)
		}
		enc2, err := Marshal(v2)
		if err != nil {
			t.Fatalf("second encoding: %v", err)
		}
		if !bytes.Equal(enc, enc2) {
			t.Fatalf("round trip changed the value:\n% x\n% x", enc, enc2)
		}
	})
}
