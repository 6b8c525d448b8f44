package serpent

import (
	"encoding/base64"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"

	"github.com/gopyro/pyro/internal/pyrepr"
	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

// Marshal encodes v as serpent text, header included. See the package documentation for the
// exact forms and for the values Python cannot read (they give an error wrapping
// serializer.ErrUnsupported; nesting beyond serializer.MaxDepth wraps serializer.ErrLimit).
func Marshal(v any) ([]byte, error) { return appendMarshal(make([]byte, 0, 128), v) }

func appendMarshal(dst []byte, v any) ([]byte, error) {
	e := encoder{buf: dst}
	e.buf = append(e.buf, Header...)
	if err := e.value(v, 0); err != nil {
		return nil, err
	}
	return e.buf, nil
}

// maxDecimalBits bounds the ints written in decimal: Python 3.11 refuses decimal literals
// longer than 4300 digits (about 14284 bits), so larger ones go out in hex.
const maxDecimalBits = 14000

// tailRoom is the slack left after a large bytes value.
const tailRoom = 64

type encoder struct {
	buf []byte
}

func unsupported(format string, args ...any) error {
	return fmt.Errorf("serpent: "+format+": %w", append(args, serializer.ErrUnsupported)...)
}

// open checks that one more bracket fits under serializer.MaxDepth; depth counts the brackets
// around the value being written, just as the decoder counts them.
func open(depth int) error {
	if depth >= serializer.MaxDepth {
		return fmt.Errorf("serpent: nesting deeper than %d (or a reference cycle): %w", serializer.MaxDepth, serializer.ErrLimit)
	}
	return nil
}

func (e *encoder) value(v any, depth int) error {
	switch x := v.(type) {
	case nil:
		e.buf = append(e.buf, "None"...)
	case bool:
		if x {
			e.buf = append(e.buf, "True"...)
		} else {
			e.buf = append(e.buf, "False"...)
		}
	case int64:
		e.buf = strconv.AppendInt(e.buf, x, 10)
	case int:
		e.buf = strconv.AppendInt(e.buf, int64(x), 10)
	case *big.Int:
		if x == nil {
			e.buf = append(e.buf, "None"...)
			return nil
		}
		return e.bigInt(x)
	case float64:
		if math.IsNaN(x) {
			if err := open(depth); err != nil {
				return err
			}
			e.buf = append(e.buf, "{'__class__':'float','value':'nan'}"...)
			return nil
		}
		e.buf = appendFloat(e.buf, x)
	case complex128:
		if err := open(depth); err != nil {
			return err
		}
		return e.complex(x)
	case string:
		e.buf = pyrepr.AppendStr(e.buf, x)
	case []byte: // a nil slice is b'', as in every codec
		if err := open(depth); err != nil {
			return err
		}
		// One growth, with room for what usually follows (the rest of a call), so that a
		// large payload is encoded once and not copied again.
		e.buf = slices.Grow(e.buf, base64.StdEncoding.EncodedLen(len(x))+tailRoom)
		e.buf = append(e.buf, "{'data': '"...)
		e.buf = base64.StdEncoding.AppendEncode(e.buf, x)
		e.buf = append(e.buf, "', 'encoding': 'base64'}"...)
	case pyval.Tuple: // nil is the empty tuple
		return e.tuple(x, depth, false)
	case []any: // nil is the empty list
		if err := open(depth); err != nil {
			return err
		}
		e.buf = append(e.buf, '[')
		for i, el := range x {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			if err := e.value(el, depth+1); err != nil {
				return err
			}
		}
		e.buf = append(e.buf, ']')
	case *pyval.Dict:
		if x == nil {
			e.buf = append(e.buf, "None"...)
			return nil
		}
		if err := open(depth); err != nil {
			return err
		}
		e.buf = append(e.buf, '{')
		for i, it := range x.Items() {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			if err := e.hashable(it.Key, depth+1, "dict key"); err != nil {
				return err
			}
			e.buf = append(e.buf, ':')
			if err := e.value(it.Value, depth+1); err != nil {
				return err
			}
		}
		e.buf = append(e.buf, '}')
	case *pyval.Set:
		if x == nil {
			e.buf = append(e.buf, "None"...)
			return nil
		}
		if err := open(depth); err != nil {
			return err
		}
		if x.Len() == 0 {
			// serpent has no empty-set literal and writes an empty tuple
			e.buf = append(e.buf, "()"...)
			return nil
		}
		e.buf = append(e.buf, '{')
		for i, el := range x.Items() {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			if err := e.hashable(el, depth+1, "set element"); err != nil {
				return err
			}
		}
		e.buf = append(e.buf, '}')
	default:
		c, err := serializer.CanonicalNoDates(v)
		if err != nil {
			return fmt.Errorf("serpent: %w", err)
		}
		return e.value(c, depth)
	}
	return nil
}

// hashable writes a dict key or set element. Lists, dicts and sets are refused (Python could
// not hash them), and so is NaN, whose class-dict could not be hashed either; bytes go out as
// a b'...' literal because serpent's base64 dict could not be a key. serpent also refuses None
// keys, but Python reads them, so they are written.
func (e *encoder) hashable(k any, depth int, what string) error {
	switch x := k.(type) {
	case []any:
		return unsupported("unhashable %s as %s", pyval.TypeName(k), what)
	case *pyval.Dict, *pyval.Set:
		if isNil(k) {
			return e.value(nil, depth)
		}
		return unsupported("unhashable %s as %s", pyval.TypeName(k), what)
	case float64:
		if math.IsNaN(x) {
			return unsupported("NaN as %s", what)
		}
	case complex128:
		if math.IsNaN(real(x)) || math.IsNaN(imag(x)) {
			return unsupported("NaN as %s", what)
		}
	case []byte:
		e.buf = pyrepr.AppendBytes(e.buf, x)
		return nil
	case pyval.Tuple:
		return e.tuple(x, depth, true)
	case nil, bool, int64, int, *big.Int, string:
	default:
		c, err := serializer.CanonicalNoDates(k)
		if err != nil {
			return fmt.Errorf("serpent: %w", err)
		}
		return e.hashable(c, depth, what)
	}
	return e.value(k, depth)
}

func isNil(v any) bool {
	switch x := v.(type) {
	case *pyval.Dict:
		return x == nil
	case *pyval.Set:
		return x == nil
	}
	return false
}

func (e *encoder) tuple(x pyval.Tuple, depth int, hashed bool) error {
	if err := open(depth); err != nil {
		return err
	}
	e.buf = append(e.buf, '(')
	for i, el := range x {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		var err error
		if hashed {
			err = e.hashable(el, depth+1, "tuple element in a dict key or set")
		} else {
			err = e.value(el, depth+1)
		}
		if err != nil {
			return err
		}
	}
	if len(x) == 1 {
		e.buf = append(e.buf, ',')
	}
	e.buf = append(e.buf, ')')
	return nil
}

func (e *encoder) bigInt(x *big.Int) error {
	if x.BitLen() <= maxDecimalBits {
		e.buf = x.Append(e.buf, 10)
		return nil
	}
	if x.Sign() < 0 {
		e.buf = append(e.buf, '-')
	}
	e.buf = append(e.buf, "0x"...)
	e.buf = new(big.Int).Abs(x).Append(e.buf, 16)
	return nil
}

// complex writes serpent's (re+imj) form. Python evaluates it with float arithmetic, where
// -0.0 + 0.0 is 0.0, so serpent's text for a -0.0 part either fails to parse ("+-0.0j") or
// loses the sign. The -Xj form keeps a -0.0 real part exactly when the imaginary part is
// negative; other -0.0 parts come back as 0.0.
func (e *encoder) complex(c complex128) error {
	re, im := real(c), imag(c)
	if math.IsNaN(re) || math.IsNaN(im) {
		return unsupported("complex with a NaN part (no Python literal for it)")
	}
	e.buf = append(e.buf, '(')
	if re == 0 && math.Signbit(re) && math.Signbit(im) {
		e.buf = append(e.buf, '-')
		e.buf = appendFloat(e.buf, -im)
		e.buf = append(e.buf, "j)"...)
		return nil
	}
	e.buf = appendFloat(e.buf, re)
	if im == 0 {
		im = 0 // -0.0 after '+' would read "+-0.0j", which literal_eval rejects
	}
	if im >= 0 {
		e.buf = append(e.buf, '+')
	}
	e.buf = appendFloat(e.buf, im)
	e.buf = append(e.buf, "j)"...)
	return nil
}

// appendFloat is pyrepr.FormatFloat without the allocation, with serpent's overflowing
// literal for the infinities. NaN is the caller's business.
func appendFloat(b []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(b, "1e30000"...)
	case math.IsInf(f, -1):
		return append(b, "-1e30000"...)
	}
	abs := math.Abs(f)
	if abs != 0 && (abs < 1e-4 || abs >= 1e16) {
		return strconv.AppendFloat(b, f, 'e', -1, 64)
	}
	start := len(b)
	b = strconv.AppendFloat(b, f, 'f', -1, 64)
	for _, c := range b[start:] {
		if c == '.' {
			return b
		}
	}
	return append(b, ".0"...)
}
