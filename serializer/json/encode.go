package json

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"unicode/utf8"

	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

// Marshal encodes v as Pyro4's json serializer does (json.dumps(v, ensure_ascii=False) in
// UTF-8): compact ", " and ": " separators, non-ASCII text unescaped, floats in Python's repr
// form with NaN, Infinity and -Infinity as bare tokens, ints of any size. Tuples and sets
// become arrays. Dict keys that are int, float, bool or None become strings as Python's json
// makes them ("1", "1.5", "true", "null"); other keys, bytes and complex numbers give an error
// wrapping serializer.ErrUnsupported. A lone surrogate in a str (held as its three
// surrogatepass bytes, as the marshal codec decodes it) is written as a \udXXX escape; other
// invalid UTF-8 is refused. Values not in canonical pyval form are converted with
// pyval.FromGo first; datetimes and dates are written as isoformat() text, as Pyro4 does.
func Marshal(v any) ([]byte, error) {
	e := encoder{buf: make([]byte, 0, 128)}
	if err := e.value(v, 0); err != nil {
		return nil, err
	}
	return e.buf, nil
}

type encoder struct {
	buf []byte
}

func unsupported(format string, args ...any) error {
	return fmt.Errorf("json: "+format+": %w", append(args, serializer.ErrUnsupported)...)
}

func (e *encoder) value(v any, depth int) error {
	if depth > serializer.MaxDepth {
		return fmt.Errorf("json: nesting deeper than %d (a cycle?): %w", serializer.MaxDepth, serializer.ErrLimit)
	}
	switch x := v.(type) {
	case nil:
		e.buf = append(e.buf, "null"...)
	case bool:
		if x {
			e.buf = append(e.buf, "true"...)
		} else {
			e.buf = append(e.buf, "false"...)
		}
	case int64:
		e.buf = strconv.AppendInt(e.buf, x, 10)
	case int:
		e.buf = strconv.AppendInt(e.buf, int64(x), 10)
	case *big.Int:
		if x == nil { // typed nil pointers are None, in every codec
			e.buf = append(e.buf, "null"...)
			return nil
		}
		e.buf = x.Append(e.buf, 10)
	case float64:
		e.float(x)
	case string:
		return e.str(x)
	case pyval.Tuple:
		return e.array(x, depth)
	case []any:
		return e.array(x, depth)
	case *pyval.Set:
		if x == nil {
			e.buf = append(e.buf, "null"...)
			return nil
		}
		return e.array(x.Items(), depth)
	case *pyval.Dict:
		if x == nil {
			e.buf = append(e.buf, "null"...)
			return nil
		}
		return e.dict(x, depth)
	case []byte:
		return unsupported("bytes cannot be sent in json (Pyro4 refuses them too); use serpent, marshal or msgpack, or encode them as str")
	case complex128:
		return unsupported("complex cannot be sent in json")
	default:
		c, err := serializer.CanonicalNoDates(v)
		if err != nil {
			return fmt.Errorf("json: %w", err)
		}
		if !isCanonical(c) {
			return unsupported("pyval.FromGo gave a %T for a %T", c, v)
		}
		return e.value(c, depth)
	}
	return nil
}

func (e *encoder) array(items []any, depth int) error {
	e.buf = append(e.buf, '[')
	for i, it := range items {
		if i > 0 {
			e.buf = append(e.buf, ", "...)
		}
		if err := e.value(it, depth+1); err != nil {
			return err
		}
	}
	e.buf = append(e.buf, ']')
	return nil
}

func (e *encoder) dict(d *pyval.Dict, depth int) error {
	e.buf = append(e.buf, '{')
	for i, it := range d.Items() {
		if i > 0 {
			e.buf = append(e.buf, ", "...)
		}
		if err := e.key(it.Key); err != nil {
			return err
		}
		e.buf = append(e.buf, ": "...)
		if err := e.value(it.Value, depth+1); err != nil {
			return err
		}
	}
	e.buf = append(e.buf, '}')
	return nil
}

// key writes a dict key, turning the scalar key types into strings as Python's json does.
func (e *encoder) key(k any) error {
	switch x := k.(type) {
	case string:
		return e.str(x)
	case nil:
		e.buf = append(e.buf, `"null"`...)
	case bool:
		if x {
			e.buf = append(e.buf, `"true"`...)
		} else {
			e.buf = append(e.buf, `"false"`...)
		}
	case int64, int, float64:
		e.buf = append(e.buf, '"')
		_ = e.value(x, 0) // cannot fail for these types
		e.buf = append(e.buf, '"')
	case *big.Int:
		if x == nil {
			return unsupported("nil *big.Int")
		}
		e.buf = append(e.buf, '"')
		e.buf = x.Append(e.buf, 10)
		e.buf = append(e.buf, '"')
	default:
		return unsupported("dict key of type %s (json keys must be str, int, float, bool or None)", pyval.TypeName(k))
	}
	return nil
}

// float writes f as Python's float.__repr__ does, with Python json's names for the specials.
func (e *encoder) float(f float64) {
	switch {
	case math.IsNaN(f):
		e.buf = append(e.buf, "NaN"...)
		return
	case math.IsInf(f, 1):
		e.buf = append(e.buf, "Infinity"...)
		return
	case math.IsInf(f, -1):
		e.buf = append(e.buf, "-Infinity"...)
		return
	}
	if abs := math.Abs(f); abs != 0 && (abs < 1e-4 || abs >= 1e16) {
		// Go's shortest 'e' form matches Python's repr: 1e+16, 1.5e-05
		e.buf = strconv.AppendFloat(e.buf, f, 'e', -1, 64)
		return
	}
	start := len(e.buf)
	e.buf = strconv.AppendFloat(e.buf, f, 'f', -1, 64)
	for _, c := range e.buf[start:] {
		if c == '.' {
			return
		}
	}
	e.buf = append(e.buf, ".0"...)
}

const hexDigits = "0123456789abcdef"

// str writes a JSON string as Python's json.dumps(ensure_ascii=False) does: only the quote,
// the backslash and control characters below U+0020 are escaped.
func (e *encoder) str(s string) error {
	e.buf = append(e.buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			if c == 0xED && i+2 < len(s) && s[i+1] >= 0xA0 && s[i+1] <= 0xBF && s[i+2]&0xC0 == 0x80 {
				// a lone surrogate in surrogatepass form: escape it, since raw it is not UTF-8
				e.buf = append(e.buf, s[start:i]...)
				r := rune(c&0x0F)<<12 | rune(s[i+1]&0x3F)<<6 | rune(s[i+2]&0x3F)
				e.buf = append(e.buf, '\\', 'u', hexDigits[r>>12], hexDigits[r>>8&0xF], hexDigits[r>>4&0xF], hexDigits[r&0xF])
				i += 3
				start = i
				continue
			}
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				return unsupported("str %q is not UTF-8", truncate(s))
			}
			i += size
			continue
		}
		if c >= 0x20 && c != '"' && c != '\\' {
			i++
			continue
		}
		e.buf = append(e.buf, s[start:i]...)
		switch c {
		case '"':
			e.buf = append(e.buf, '\\', '"')
		case '\\':
			e.buf = append(e.buf, '\\', '\\')
		case '\n':
			e.buf = append(e.buf, '\\', 'n')
		case '\r':
			e.buf = append(e.buf, '\\', 'r')
		case '\t':
			e.buf = append(e.buf, '\\', 't')
		case '\b':
			e.buf = append(e.buf, '\\', 'b')
		case '\f':
			e.buf = append(e.buf, '\\', 'f')
		default:
			e.buf = append(e.buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		}
		i++
		start = i
	}
	e.buf = append(e.buf, s[start:]...)
	e.buf = append(e.buf, '"')
	return nil
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// isCanonical reports whether v is one of pyval's canonical forms, so a conversion result can
// be encoded without converting again.
func isCanonical(v any) bool {
	switch v.(type) {
	case nil, bool, int64, int, *big.Int, float64, complex128, string, []byte,
		pyval.Tuple, []any, *pyval.Dict, *pyval.Set:
		return true
	}
	return false
}
