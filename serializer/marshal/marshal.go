// Package marshal is Pyro4's "marshal" serializer (id 3): the binary format of CPython's
// marshal module, version 4, as Python 3.11 reads and writes it.
//
// Pyro4 daemons answer a refused connection (CONNECTFAIL) in marshal whatever serializer the
// client asked for, so every Go client needs at least this decoder.
//
// The decoder reads everything Python 3 emits for the value types Pyro uses, including the
// FLAG_REF bit and its back-references; code objects, Ellipsis and StopIteration are refused
// with an error wrapping serializer.ErrUnsupported. The encoder writes plain version-4 output
// without references, which Python's marshal.loads accepts.
//
// Importing the package registers the codec with package serializer.
package marshal

import (
	"github.com/gopyro/pyro/serializer"
)

// Codec is the marshal codec. The zero value is ready to use and safe for concurrent use.
type Codec struct{}

var (
	_ serializer.Codec          = Codec{}
	_ serializer.MeteredDecoder = Codec{}
)

func init() { serializer.Register(Codec{}) }

// ID returns Pyro4's id for marshal, 3.
func (Codec) ID() int { return serializer.MarshalID }

// Name returns "marshal".
func (Codec) Name() string { return "marshal" }

// Marshal encodes v; see the package function [Marshal].
func (Codec) Marshal(v any) ([]byte, error) { return Marshal(v) }

// Unmarshal decodes data; see the package function [Unmarshal].
func (Codec) Unmarshal(data []byte) (any, error) { return Unmarshal(data) }

// AppendMarshal is Marshal into dst (serializer.AppendMarshaler).
func (Codec) AppendMarshal(dst []byte, v any) ([]byte, error) { return appendMarshal(dst, v) }

// AppendMarshalSplice is AppendMarshal leaving a bytes value of min bytes or more out
// (serializer.SpliceAppender).
func (Codec) AppendMarshalSplice(dst []byte, v any, min int) ([]byte, serializer.Splice, error) {
	return appendMarshalSplice(dst, v, min)
}

// AppendEncodeCallSplice encodes a call as Pyro4's marshal serializer does (the tuple
// serializer.CallTuple) into dst, leaving a bytes argument of min bytes or more out
// (serializer.SpliceAppender).
func (Codec) AppendEncodeCallSplice(dst []byte, call serializer.Call, min int) ([]byte, serializer.Splice, error) {
	return appendMarshalSplice(dst, serializer.CallTuple(call), min)
}

// UnmarshalOwned is UnmarshalOwned (serializer.OwnedDecoder).
func (Codec) UnmarshalOwned(data []byte) (any, error) { return UnmarshalOwned(data) }

// UnmarshalMetered is UnmarshalMetered (serializer.MeteredDecoder).
func (Codec) UnmarshalMetered(data []byte, m serializer.Meter) (any, error) {
	return UnmarshalMetered(data, m)
}

// DecodeCallOwned reports false: marshal has no call decoder of its own, so
// serializer.UnmarshalCallOwned decodes the generic tuple with UnmarshalOwned.
func (Codec) DecodeCallOwned([]byte) (serializer.Call, bool) { return serializer.Call{}, false }
