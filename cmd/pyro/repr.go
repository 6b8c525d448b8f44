package main

import (
	"bytes"
	"strings"

	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

// pyRepr renders a canonical value as Python's repr() does (['a', 'b'], {'k': 1}), so the
// tools print what their Python counterparts print.
func pyRepr(v any) string {
	var b strings.Builder
	writePyRepr(&b, v)
	return b.String()
}

func writePyRepr(b *strings.Builder, v any) {
	join := func(open, close string, items []any, trailingComma bool) {
		b.WriteString(open)
		for i, it := range items {
			if i > 0 {
				b.WriteString(", ")
			}
			writePyRepr(b, it)
		}
		if trailingComma && len(items) == 1 {
			b.WriteByte(',')
		}
		b.WriteString(close)
	}
	switch x := v.(type) {
	case string, []byte:
		b.WriteString(serpentLiteral(x))
	case []any:
		join("[", "]", x, false)
	case pyval.Tuple:
		join("(", ")", x, true)
	case *pyval.Set:
		if x.Len() == 0 {
			b.WriteString("set()")
			return
		}
		join("{", "}", x.Items(), false)
	case *pyval.Dict:
		b.WriteByte('{')
		for i, it := range x.Items() {
			if i > 0 {
				b.WriteString(", ")
			}
			writePyRepr(b, it.Key)
			b.WriteString(": ")
			writePyRepr(b, it.Value)
		}
		b.WriteByte('}')
	default:
		b.WriteString(pyval.Repr(v))
	}
}

// serpentLiteral is the serpent text of a scalar: Python's own repr for str.
func serpentLiteral(v any) string {
	c, err := serializer.ByName("serpent")
	if err != nil {
		return pyval.Repr(v)
	}
	out, err := c.Marshal(v)
	if err != nil {
		return pyval.Repr(v)
	}
	if i := bytes.IndexByte(out, '\n'); i >= 0 && bytes.HasPrefix(out, []byte("#")) {
		out = out[i+1:]
	}
	return string(out)
}

// stringsRepr renders a list of str like Python's repr of a list.
func stringsRepr(items []string) string {
	l := make([]any, len(items))
	for i, s := range items {
		l[i] = s
	}
	return pyRepr(l)
}
