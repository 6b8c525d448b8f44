// Package json is Pyro4's "json" serializer (id 2): JSON as Python's json module writes it
// for Pyro4, with ensure_ascii=False, the ", " and ": " separators, the bare NaN, Infinity
// and -Infinity tokens and ints of any size.
//
// It does not use encoding/json, which can do none of those and loses dict order. JSON has no
// tuples, sets, bytes or complex numbers: tuples and sets are written as arrays (Pyro4 does
// the same), and bytes and complex numbers are refused with an error wrapping
// serializer.ErrUnsupported, as Pyro4 refuses them.
//
// Importing the package registers the codec with package serializer.
package json

import "github.com/gopyro/pyro/serializer"

// Codec is the json codec. The zero value is ready to use and safe for concurrent use.
type Codec struct{}

var (
	_ serializer.Codec          = Codec{}
	_ serializer.MeteredDecoder = Codec{}
)

func init() { serializer.Register(Codec{}) }

// ID returns Pyro4's id for json, 2.
func (Codec) ID() int { return serializer.JSONID }

// Name returns "json".
func (Codec) Name() string { return "json" }

// Marshal encodes v; see the package function [Marshal].
func (Codec) Marshal(v any) ([]byte, error) { return Marshal(v) }

// Unmarshal decodes data; see the package function [Unmarshal].
func (Codec) Unmarshal(data []byte) (any, error) { return Unmarshal(data) }

// UnmarshalMetered is UnmarshalMetered (serializer.MeteredDecoder); json has no UnmarshalOwned,
// so its results are Unmarshal's.
func (Codec) UnmarshalMetered(data []byte, m serializer.Meter) (any, error) {
	return UnmarshalMetered(data, m)
}
