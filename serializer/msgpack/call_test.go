package msgpack

import (
	"testing"

	"github.com/gopyro/pyro/internal/codectest"
	"github.com/gopyro/pyro/internal/pyvaltest"
)

// FuzzDecodeCall: DecodeCall agrees with the general path wherever it accepts an input.
func FuzzDecodeCall(f *testing.F) {
	codectest.FuzzDecodeCall(f, Codec{}, pyvaltest.Caps{DateTimes: true},
		codectest.MustHex(f, "94 d90161 da000162 dc0000 de0000"),
		codectest.MustHex(f, "94 a161 a162 90 c0 c0")) // trailing data
}

// The typical call takes DecodeCall's path.
func TestDecodeCallTypical(t *testing.T) { codectest.CheckDecodeCall(t, Codec{}, 0) }

// EncodeCall writes what the general path writes, and fails where it fails.
func TestEncodeCall(t *testing.T) { codectest.CheckEncodeCall(t, Codec{}) }

// Decoding the typical call allocates a few slabs, not every value on its own.
func TestUnmarshalCallAllocs(t *testing.T) { codectest.CheckCallAllocs(t, Codec{}, 14) }
