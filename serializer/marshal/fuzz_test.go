package marshal

import (
	"testing"

	"github.com/gopyro/pyro/internal/codectest"
	"github.com/gopyro/pyro/internal/pyvaltest"
	"github.com/gopyro/pyro/pyval"
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
	codectest.AddPythonSeeds(f, "MarshalSerializer", exprs)
	for _, h := range []string{
		"2904da017872000000005b0100000072000000007b7200000000720000000030",
		"fbda076d6574686f64733c03000000da046563686fda0470696e67da086765745f72617465da066f6e657761793c010000007203000000da0561747472733c0000000030",
		"78 01 31 03 2d322e", "66 04 2d4e614e", "49 0100000000000080", "7a 02 e961",
		"db 01000000 72 00000000", "e3 00000000",
	} {
		f.Add(codectest.MustHex(f, h))
	}
	codectest.AddRandomSeeds(f, Codec{}, 11, pyvaltest.All, 20)
	// bytes large enough to be left in owned data (serializer.AliasMin), alone and in a call
	big := make([]byte, serializer.AliasMin)
	for _, v := range []any{big, pyval.Tuple{"obj", "put", pyval.Tuple{big, big[:10]}, pyval.NewDict(0)}} {
		b, err := Codec{}.Marshal(v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	codectest.FuzzRoundTrip(f, Codec{}, serializer.ErrMalformed, serializer.ErrLimit, serializer.ErrUnsupported)
}
