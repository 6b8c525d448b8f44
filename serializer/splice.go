package serializer

import "github.com/gopyro/pyro/pyval"

// Splice is what an encoder asked to leave large bytes values out (AppendMarshalSplice)
// did: it left the first bytes value of at least Min bytes out of its output, to be written
// from its owner's memory (one writev) instead of copied into the encoding. The encoding is
// out[:At] + Bytes + out[At:], byte for byte what the plain encoder makes.
type Splice struct {
	Min   int    // the smallest value to leave out; 0 leaves none
	Bytes []byte // the value left out (nil: none)
	At    int    // where Bytes belongs in the output
}

// Take is for encoders: it reports whether the bytes value b, at offset at of the output,
// may be left out, and records it when so (b is large enough and nothing has been left out
// yet).
func (s *Splice) Take(b []byte, at int) bool {
	if s.Min <= 0 || len(b) < s.Min || s.Bytes != nil {
		return false
	}
	s.Bytes, s.At = b, at
	return true
}

// SpliceAppender is implemented by codecs whose encoders can leave a large bytes value out
// (msgpack, marshal): AppendMarshal and AppendEncodeCall leaving out a value of min bytes or
// more. The Splice is returned by value, so that asking costs no allocation.
type SpliceAppender interface {
	AppendMarshalSplice(dst []byte, v any, min int) ([]byte, Splice, error)
	AppendEncodeCallSplice(dst []byte, call Call, min int) ([]byte, Splice, error)
}

// AppendMarshalSplice is AppendMarshal leaving a bytes value of min bytes or more out where
// c can (SpliceAppender); other codecs return an empty Splice.
func AppendMarshalSplice(c Codec, dst []byte, v any, min int) ([]byte, Splice, error) {
	if a, ok := c.(SpliceAppender); ok {
		return a.AppendMarshalSplice(dst, v, min)
	}
	out, err := AppendMarshal(c, dst, v)
	return out, Splice{}, err
}

// AppendMarshalCallSplice is AppendMarshalCall leaving a bytes argument of min bytes or more
// out where c can (SpliceAppender); other codecs return an empty Splice.
func AppendMarshalCallSplice(c Codec, dst []byte, call Call, min int) ([]byte, Splice, error) {
	if a, ok := c.(SpliceAppender); ok {
		if call.Args == nil {
			call.Args = []any{}
		}
		return a.AppendEncodeCallSplice(dst, call, min)
	}
	out, err := AppendMarshalCall(c, dst, call)
	return out, Splice{}, err
}

// CallTuple is the value Pyro4's serializers without a call encoder of their own encode for
// a call: (object, method, args, kwargs), kwargs None when there are none.
func CallTuple(call Call) pyval.Tuple {
	var kwargs any
	if call.Kwargs != nil {
		kwargs = call.Kwargs
	}
	return pyval.Tuple{call.Object, call.Method, call.Args, kwargs}
}
