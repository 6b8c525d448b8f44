package json

import (
	"encoding/hex"
	"errors"
	"testing"

	"github.com/gopyro/pyro/internal/pyvaltest"
	"github.com/gopyro/pyro/serializer"
)

// FuzzUnmarshal checks that no input panics or escapes the sentinel errors, and that whatever
// decodes re-encodes to JSON that decodes to the same value (compared through a second
// encoding, which is deterministic and, unlike pyval.Equal, treats NaN as itself).
func FuzzUnmarshal(f *testing.F) {
	// Pyro4's own output for the hand-picked cases
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
	for _, s := range []string{
		`{"object": "MyWorker", "method": "get_rate", "params": ["EURUSD", 3, 1.5], "kwargs": {"timeout": 2.5}}`,
		`"\ud83d\ude00\ud800\u0041\/"`, ` [1e400, -0, -0.0, 1E-5, NaN, -Infinity] `, `{"a": 1, "a": 2}`,
		`123456789012345678901234567890`, `[1,]`, `"\t"`,
	} {
		f.Add([]byte(s))
	}
	gen := pyvaltest.New(12, jsonCaps)
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
			if !errors.Is(err, serializer.ErrMalformed) && !errors.Is(err, serializer.ErrLimit) {
				t.Fatalf("error wraps no sentinel: %v", err)
			}
			return
		}
		enc, err := Marshal(v)
		if err != nil {
			t.Fatalf("decoded %q but cannot re-encode: %v", data, err)
		}
		v2, err := Unmarshal(enc)
		if err != nil {
			t.Fatalf("re-encoded %q does not decode: %v", enc, err)
		}
		enc2, err := Marshal(v2)
		if err != nil {
			t.Fatalf("second encoding: %v", err)
		}
		if string(enc) != string(enc2) {
			t.Fatalf("round trip changed the value:\n%s\n%s", enc, enc2)
		}
	})
}
