package json

import (
	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

// DecodeCall decodes a call in the layout Pyro4 writes, an object of "object" and "method"
// strings, a "params" array and a "kwargs" object or null, without building the outer dict
// or boxing the names (see serializer.CallDecoder). It reports false for anything else,
// malformed input and repeated or unknown keys included, which serializer.UnmarshalCall then
// decodes the general way.
func (Codec) DecodeCall(data []byte) (serializer.Call, bool) {
	d := decoder{data: data}
	if n, ok := d.count(); ok {
		// the outer object, its keys and the names are not kept
		n.dicts--
		d.reserve(n)
	}
	var call serializer.Call
	d.space()
	if d.pos >= len(data) || data[d.pos] != '{' {
		return call, false
	}
	d.pos++
	d.size() // the outer object's
	var seen [4]bool
	for {
		d.space()
		if d.pos >= len(data) || data[d.pos] != '"' {
			return call, false
		}
		key, err := d.str()
		if err != nil {
			return call, false
		}
		d.space()
		if d.pos >= len(data) || data[d.pos] != ':' {
			return call, false
		}
		d.pos++
		d.space()
		if d.pos >= len(data) {
			return call, false
		}
		var k int
		switch key {
		case "object", "method":
			if data[d.pos] != '"' {
				return call, false
			}
			s, err := d.str()
			if err != nil {
				return call, false
			}
			if key == "object" {
				call.Object = s
			} else {
				call.Method, k = s, 1
			}
		case "params":
			k = 2
			if data[d.pos] != '[' || d.enter(1) != nil {
				return call, false
			}
			d.pos++
			if call.Args, err = d.items(1); err != nil {
				return call, false
			}
		case "kwargs":
			k = 3
			if d.literal("null") {
				break
			}
			if data[d.pos] != '{' {
				return call, false
			}
			kw, err := d.object(1)
			if err != nil {
				return call, false
			}
			call.Kwargs = kw.(*pyval.Dict)
		default:
			return call, false
		}
		if seen[k] {
			return call, false
		}
		seen[k] = true
		d.space()
		if d.pos >= len(data) {
			return call, false
		}
		if data[d.pos] == '}' {
			d.pos++
			break
		}
		if data[d.pos] != ',' {
			return call, false
		}
		d.pos++
	}
	d.space()
	return call, d.pos == len(data) && seen[0] && seen[1]
}

// EncodeCall encodes a call as MarshalCall lays it out for json, without building the dict
// first (see serializer.CallEncoder).
func (Codec) EncodeCall(call serializer.Call) ([]byte, error) {
	e := encoder{buf: make([]byte, 0, 96+len(call.Object)+len(call.Method)+24*len(call.Args))}
	e.buf = append(e.buf, `{"object": `...)
	if err := e.str(call.Object); err != nil {
		return nil, err
	}
	e.buf = append(e.buf, `, "method": `...)
	if err := e.str(call.Method); err != nil {
		return nil, err
	}
	// the dict is depth 0, its values depth 1
	e.buf = append(e.buf, `, "params": `...)
	if err := e.array(call.Args, 1); err != nil {
		return nil, err
	}
	e.buf = append(e.buf, `, "kwargs": `...)
	if call.Kwargs == nil {
		e.buf = append(e.buf, "null"...)
	} else if err := e.value(call.Kwargs, 1); err != nil {
		return nil, err
	}
	e.buf = append(e.buf, '}')
	return e.buf, nil
}
