package serpent

import (
	"bytes"
	"unicode/utf8"

	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

// DecodeCall reads a call as Pyro4's serpent serializer writes it, ('obj','method',(args),
// {kwargs}) after the header line, without building the outer tuple: the object id and the
// method name are plain literals read straight into strings (serializer.CallDecoder). Any
// other text it leaves to the general path (false), which also reports the errors.
func (Codec) DecodeCall(data []byte) (serializer.Call, bool) {
	if bytes.IndexByte(data, 0) >= 0 || !utf8.Valid(data) {
		return serializer.Call{}, false
	}
	d := decoderPool.Get().(*decoder)
	*d = decoder{data: data, stack: d.stack[:0], sb: d.sb[:0]}
	call, ok := d.call()
	clear(d.stack[:cap(d.stack)])
	if cap(d.stack) <= maxPooledStack && cap(d.sb) <= maxPooledString {
		d.data, d.copy = nil, ""
		decoderPool.Put(d)
	}
	return call, ok
}

func (d *decoder) call() (call serializer.Call, ok bool) {
	d.skip()
	if d.peek() != '(' || d.enter() != nil { // the outer tuple counts towards the depth, as in paren
		return call, false
	}
	d.pos++
	if call.Object, ok = d.callStr(); !ok {
		return call, false
	}
	if call.Method, ok = d.callStr(); !ok {
		return call, false
	}
	d.skip()
	if d.peek() != '(' {
		return call, false
	}
	v, _, err := d.expr()
	args, isTuple := v.(pyval.Tuple)
	if err != nil || !isTuple || !d.comma() {
		return call, false
	}
	call.Args = []any(args)
	d.skip()
	if v, _, err = d.expr(); err != nil {
		return call, false
	}
	switch kw := v.(type) {
	case *pyval.Dict:
		call.Kwargs = kw
	case nil:
	default:
		return call, false
	}
	d.skip()
	if d.peek() == ',' { // a trailing comma, as Python allows
		d.pos++
		d.skip()
	}
	if d.peek() != ')' {
		return call, false
	}
	d.pos++
	d.skip()
	return call, d.pos == len(d.data)
}

// callStr reads a plain str literal (plainSpan: no prefix, no escapes, not concatenated)
// and the comma after it.
func (d *decoder) callStr() (string, bool) {
	d.skip()
	if _, _, ok, n := d.stringStart(); !ok || n != 0 {
		return "", false
	}
	i, j, ok := d.plainSpan()
	if !ok || !d.comma() {
		return "", false
	}
	return d.text(i, j), true
}

// comma consumes a ',' after optional space.
func (d *decoder) comma() bool {
	d.skip()
	if d.peek() != ',' {
		return false
	}
	d.pos++
	return true
}
