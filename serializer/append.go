package serializer

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
