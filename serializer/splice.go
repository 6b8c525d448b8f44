package serializer

import "github.com/gopyro/pyro/pyval"

// Splice asks an encoder to leave the first bytes value of at least Min bytes out of its
// output and to say where it belongs, so that the caller writes it from its owner's memory
// (one writev) instead of having it copied into the encoding: the encoding is
// out[:At] + Bytes + out[At:], byte for byte what the plain encoder makes.
type Splice struct {
	Min   int    // the smallest value to leave out; 0 leaves none
	Bytes []byte // set by the encoder: the value left out (nil: none)
	At    int    // set by the encoder: where Bytes belongs in its output
}

// Take reports whether an encoder at offset at of its output may leave b out, and records it
// when so: s is non-nil, b is large enough and nothing has been left out yet.
func (s *Splice) Take(b []byte, at int) bool {
	if s == nil || s.Min <= 0 || len(b) < s.Min || s.Bytes != nil {
		return false
	}
	s.Bytes, s.At = b, at
	return true
}

// SpliceAppender is implemented by codecs whose encoders can leave a large bytes value out
// (msgpack, marshal): AppendMarshal and AppendEncodeCall with a Splice.
type SpliceAppender interface {
	AppendMarshalSplice(dst []byte, v any, s *Splice) ([]byte, error)
	AppendEncodeCallSplice(dst []byte, call Call, s *Splice) ([]byte, error)
}

// AppendMarshalSplice is AppendMarshal leaving a large bytes value out into s where c can;
// other codecs leave s.Bytes nil.
func AppendMarshalSplice(c Codec, dst []byte, v any, s *Splice) ([]byte, error) {
	if a, ok := c.(SpliceAppender); ok {
		return a.AppendMarshalSplice(dst, v, s)
	}
	return AppendMarshal(c, dst, v)
}

// AppendMarshalCallSplice is AppendMarshalCall leaving a large bytes value (an argument) out
// into s where c can; other codecs leave s.Bytes nil.
func AppendMarshalCallSplice(c Codec, dst []byte, call Call, s *Splice) ([]byte, error) {
	if a, ok := c.(SpliceAppender); ok {
		if call.Args == nil {
			call.Args = []any{}
		}
		return a.AppendEncodeCallSplice(dst, call, s)
	}
	return AppendMarshalCall(c, dst, call)
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
