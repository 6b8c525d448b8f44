package json

import (
	"testing"

	"github.com/gopyro/pyro/internal/codectest"
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
	codectest.AddPythonSeeds(f, "JsonSerializer", exprs)
	for _, s := range []string{
		`{"object": "MyWorker", "method": "get_rate", "params": ["EURUSD", 3, 1.5], "kwargs": {"timeout": 2.5}}`,
		`"\ud83d\ude00\ud800\u0041\/"`, ` [1e400, -0, -0.0, 1E-5, NaN, -Infinity] `, `{"a": 1, "a": 2}`,
		`123456789012345678901234567890`, `[1,]`, `"\t"`,
	} {
		f.Add([]byte(s))
	}
	codectest.AddRandomSeeds(f, Codec{}, 12, jsonCaps, 20)
	codectest.FuzzRoundTrip(f, Codec{}, serializer.ErrMalformed, serializer.ErrLimit)
}
