package serializer

import "github.com/gopyro/pyro/pyval"

// AppendMarshaler is implemented by codecs that can encode into a caller's buffer, so that a
// caller sending large values can reuse one buffer across calls instead of having a fresh
// one made for each. AppendMarshal appends the encoding of v to dst, as Marshal would write
// it, and returns the extended buffer (dst's own memory when it has room); on error the
// result is undefined.
type AppendMarshaler interface {
	AppendMarshal(dst []byte, v any) ([]byte, error)
}

// AppendMarshal encodes v with c into dst (see AppendMarshaler); codecs that cannot, and a nil
// dst, get c.Marshal.
func AppendMarshal(c Codec, dst []byte, v any) ([]byte, error) {
	if a, ok := c.(AppendMarshaler); ok && dst != nil {
		return a.AppendMarshal(dst, v)
	}
	b, err := c.Marshal(v)
	if err != nil || len(dst) == 0 {
		return b, err
	}
	return append(dst, b...), nil
}

// CallAppender is implemented by call encoders (CallEncoder) that can write into a caller's
// buffer, as AppendMarshaler does for values.
type CallAppender interface {
	AppendEncodeCall(dst []byte, call Call) ([]byte, error)
}

// AppendMarshalCall is MarshalCall into dst (see AppendMarshaler); a nil dst, and codecs that
// can do neither, get MarshalCall.
func AppendMarshalCall(c Codec, dst []byte, call Call) ([]byte, error) {
	if dst != nil {
		if call.Args == nil {
			call.Args = []any{}
		}
		if a, ok := c.(CallAppender); ok {
			return a.AppendEncodeCall(dst, call)
		}
		if _, ok := c.(CallEncoder); !ok && c.ID() != JSONID && c.ID() != SerpentID {
			if a, ok := c.(AppendMarshaler); ok {
				var kwargs any
				if call.Kwargs != nil {
					kwargs = call.Kwargs
				}
				return a.AppendMarshal(dst, pyval.Tuple{call.Object, call.Method, call.Args, kwargs})
			}
		}
	}
	b, err := MarshalCall(c, call)
	if err != nil || len(dst) == 0 {
		return b, err
	}
	return append(dst, b...), nil
}
