package msgpack

import (
	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

// DecodeCall decodes a call in the layout Pyro4 writes, a 4-array of object id, method name,
// arguments array and keyword arguments map (or nil), without building the outer array or
// boxing the two names (see serializer.CallDecoder). It reports false for anything else,
// malformed input included, which serializer.UnmarshalCall then decodes the general way.
func (Codec) DecodeCall(data []byte) (serializer.Call, bool) { return decodeCall(data, false) }

// DecodeCallOwned is DecodeCall for data handed over (serializer.OwnedDecoder).
func (Codec) DecodeCallOwned(data []byte) (serializer.Call, bool) { return decodeCall(data, true) }

func decodeCall(data []byte, alias bool) (serializer.Call, bool) {
	if len(data) == 0 || data[0] != 0x94 {
		return serializer.Call{}, false
	}
	dec := decoder{data: data, alias: alias}
	if n, ok := dec.count(); ok {
		// the outer array and the names are not kept
		n.items -= 4
		dec.reserve(n)
	}
	dec.pos = 1
	var call serializer.Call
	var ok bool
	if call.Object, ok = dec.name(); !ok {
		return serializer.Call{}, false
	}
	if call.Method, ok = dec.name(); !ok {
		return serializer.Call{}, false
	}
	if size, ok := dec.header(0x90, 0xdc); ok {
		var err error
		if call.Args, err = dec.items(size, 1); err != nil {
			return serializer.Call{}, false
		}
	} else {
		return serializer.Call{}, false
	}
	if dec.pos < len(data) && data[dec.pos] == 0xc0 {
		dec.pos++
	} else if size, ok := dec.header(0x80, 0xde); ok {
		kw, err := dec.dict(size, 1)
		if err != nil {
			return serializer.Call{}, false
		}
		call.Kwargs = kw.(*pyval.Dict)
	} else {
		return serializer.Call{}, false
	}
	return call, dec.pos == len(data)
}

// name reads a str.
func (dec *decoder) name() (string, bool) {
	size, ok := dec.header(0xa0, 0xd9)
	if !ok {
		return "", false
	}
	s, err := dec.text(size)
	return s, err == nil
}

// header reads the header of an array (fix 0x90, wide from 0xdc), map (0x80, 0xde) or str
// (0xa0, 0xd9) and returns its length, checked against the rest of the input.
func (dec *decoder) header(fix, wide byte) (int, bool) {
	if dec.pos >= len(dec.data) {
		return 0, false
	}
	c := dec.data[dec.pos]
	dec.pos++
	mask := byte(0x0f)
	if fix == 0xa0 {
		mask = 0x1f
	}
	if c&^mask == fix {
		return int(c & mask), true
	}
	last := wide + 1
	if fix == 0xa0 {
		last = wide + 2
	}
	if c < wide || c > last {
		return 0, false
	}
	u, ok := dec.uint(sizes[c])
	if !ok {
		return 0, false
	}
	n, err := dec.check(u, 1, "")
	return n, err == nil
}

// EncodeCall encodes a call as MarshalCall lays it out for msgpack, without building the
// tuple first (see serializer.CallEncoder).
func (Codec) EncodeCall(call serializer.Call) ([]byte, error) {
	enc := encoders.Get().(*encoder)
	defer enc.release()
	if err := enc.call(call); err != nil {
		return nil, err
	}
	return enc.result(), nil
}

// AppendEncodeCall is EncodeCall into dst (serializer.CallAppender).
func (c Codec) AppendEncodeCall(dst []byte, call serializer.Call) ([]byte, error) {
	out, _, err := c.AppendEncodeCallSplice(dst, call, 0)
	return out, err
}

// AppendEncodeCallSplice is AppendEncodeCall leaving a bytes argument of min bytes or more
// out (serializer.SpliceAppender).
func (Codec) AppendEncodeCallSplice(dst []byte, call serializer.Call, min int) ([]byte, serializer.Splice, error) {
	return appendWith(dst, min, func(enc *encoder) error { return enc.call(call) })
}

func (enc *encoder) call(call serializer.Call) error {
	enc.buf.WriteByte(0x94) // fixarray of 4
	if err := enc.str(call.Object); err != nil {
		return err
	}
	if err := enc.str(call.Method); err != nil {
		return err
	}
	// the tuple is depth 0, its items depth 1
	if err := enc.array(call.Args, 1); err != nil {
		return err
	}
	if call.Kwargs == nil {
		enc.buf.WriteByte(0xc0)
	} else if err := enc.value(call.Kwargs, 1); err != nil {
		return err
	}
	return nil
}
