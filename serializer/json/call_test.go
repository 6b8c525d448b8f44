package json

import (
	"testing"

	"github.com/gopyro/pyro/internal/codectest"
	"github.com/gopyro/pyro/internal/pyvaltest"
)

// FuzzDecodeCall: DecodeCall agrees with the general path wherever it accepts an input.
func FuzzDecodeCall(f *testing.F) {
	var seeds [][]byte
	for _, s := range []string{
		`{"method": "m", "object": "o", "params": [], "kwargs": null}`,
		`{"object": "o", "method": "m"}`,
		`{"object": "o", "method": "m", "object": "p"}`,
		`{"object": "o", "method": 1}`,
		`{"obj\u0065ct": "o", "method": "m", "params": [1, [2, {}]], "kwargs": {"a": [3]}} `,
		`{"object": "o", "method": "m", "extra": 1}`,
	} {
		seeds = append(seeds, []byte(s))
	}
	codectest.FuzzDecodeCall(f, Codec{}, pyvaltest.Caps{BigInts: true, NonFinite: true, NegZero: true}, seeds...)
}

// The typical call takes DecodeCall's path.
func TestDecodeCallTypical(t *testing.T) { codectest.CheckDecodeCall(t, Codec{}, '0') }

// EncodeCall writes what the general path writes, and fails where it fails.
func TestEncodeCall(t *testing.T) { codectest.CheckEncodeCall(t, Codec{}) }

// Decoding the typical call allocates a few slabs, not every value on its own.
func TestUnmarshalCallAllocs(t *testing.T) { codectest.CheckCallAllocs(t, Codec{}, 14) }
