package gateway

import (
	"strconv"
	"unicode/utf8"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/pyval"
	pjson "github.com/gopyro/pyro/serializer/json"
)

// Results travel as Pyro's json serializer writes them (json.dumps(ensure_ascii=False)):
// the daemon's reply, decoded into canonical values and encoded again, gives the bytes the
// daemon sent. What the gateway says itself ($meta, its own errors) is json.dumps with
// Python's default ensure_ascii=True, as Pyro's gateways write it.

// resultJSON is a call's result as the daemon's json serializer wrote it.
func resultJSON(v any) ([]byte, error) { return pjson.Marshal(v) }

// dumpsJSON is Python's json.dumps(v): ", " and ": " separators, non-ASCII escaped.
func dumpsJSON(v any) []byte {
	b, err := pjson.Marshal(v)
	if err != nil { // only ever given str, list, dict, bool and None
		panic("gateway: " + err.Error())
	}
	return asciiEscape(b)
}

// asciiEscape rewrites non-ASCII characters as \uXXXX escapes (surrogate pairs beyond the
// BMP), as ensure_ascii does. Outside strings JSON has only ASCII, so the whole text can be
// rewritten.
func asciiEscape(b []byte) []byte {
	i := 0
	for i < len(b) && b[i] < utf8.RuneSelf {
		i++
	}
	if i == len(b) {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	out = append(out, b[:i]...)
	for i < len(b) {
		if b[i] < utf8.RuneSelf {
			out = append(out, b[i])
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		i += n
		if r >= 0x10000 {
			r -= 0x10000
			out = appendU(out, 0xD800+(r>>10))
			out = appendU(out, 0xDC00+(r&0x3FF))
			continue
		}
		out = appendU(out, r)
	}
	return out
}

func appendU(out []byte, r rune) []byte {
	h := strconv.FormatInt(int64(r), 16)
	out = append(out, `\u`...)
	for range 4 - len(h) {
		out = append(out, '0')
	}
	return append(out, h...)
}

// exceptionDict is Pyro's class_to_dict of an exception: class, args and attributes, in
// that key order.
func exceptionDict(class string, args []any, attrs *pyval.Dict) *pyval.Dict {
	if args == nil {
		args = []any{}
	}
	if attrs == nil {
		attrs = pyval.NewDict(0)
	}
	return pyval.DictOf("__class__", class, "__exception__", true, "args", args, "attributes", attrs)
}

// remoteExceptionDict rebuilds the exception a daemon sent: its attributes, then its
// traceback, where Pyro's daemons put it (they set _pyroTraceback last).
func remoteExceptionDict(re *pyro.RemoteError) *pyval.Dict {
	attrs := pyval.NewDict(0)
	if re.Attributes != nil {
		for _, it := range re.Attributes.Items() {
			attrs.Set(it.Key, it.Value)
		}
	}
	if re.Traceback != nil {
		tb := make([]any, len(re.Traceback))
		for i, l := range re.Traceback {
			tb[i] = l
		}
		attrs.Set("_pyroTraceback", tb)
	}
	return exceptionDict(re.Class, re.Args, attrs)
}
