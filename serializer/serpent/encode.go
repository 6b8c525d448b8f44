package serpent

import (
	"encoding/base64"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"unicode/utf8"

	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

// Marshal encodes v as serpent text, header included. See the package documentation for the
// exact forms and for the values Python cannot read (they give an error wrapping
// serializer.ErrUnsupported; nesting beyond serializer.MaxDepth wraps serializer.ErrLimit).
func Marshal(v any) ([]byte, error) {
	e := encoder{buf: make([]byte, 0, 128)}
	e.buf = append(e.buf, Header...)
	if err := e.value(v, 0); err != nil {
		return nil, err
	}
	return e.buf, nil
}

// maxDecimalBits bounds the ints written in decimal: Python 3.11 refuses decimal literals
// longer than 4300 digits (about 14284 bits), so larger ones go out in hex.
const maxDecimalBits = 14000

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
		e.buf = appendStr(e.buf, x)
	case []byte:
		if x == nil {
			e.buf = append(e.buf, "None"...)
			return nil
		}
		if err := open(depth); err != nil {
			return err
		}
		e.buf = append(e.buf, "{'data': '"...)
		e.buf = base64.StdEncoding.AppendEncode(e.buf, x)
		e.buf = append(e.buf, "', 'encoding': 'base64'}"...)
	case pyval.Tuple:
		if x == nil {
			e.buf = append(e.buf, "None"...)
			return nil
		}
		return e.tuple(x, depth, false)
	case []any:
		if x == nil {
			e.buf = append(e.buf, "None"...)
			return nil
		}
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
		c, err := serializer.Canonical(v)
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
	case []any, *pyval.Dict, *pyval.Set:
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
		if x == nil {
			return e.value(nil, depth)
		}
		e.buf = appendBytesLiteral(e.buf, x)
		return nil
	case pyval.Tuple:
		if x == nil {
			return e.value(nil, depth)
		}
		return e.tuple(x, depth, true)
	case nil, bool, int64, int, *big.Int, string:
	default:
		c, err := serializer.Canonical(k)
		if err != nil {
			return fmt.Errorf("serpent: %w", err)
		}
		return e.hashable(c, depth, what)
	}
	return e.value(k, depth)
}

func isNil(v any) bool {
	switch x := v.(type) {
	case []any:
		return x == nil
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

// appendFloat is pyval.FormatFloat without the allocation, with serpent's overflowing
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

const hexDigits = "0123456789abcdef"

// appendStr writes s as Python's repr() would: single quotes unless s holds a ' and no ",
// escapes for backslash, the quote, controls and non-printable code points, everything else raw.
func appendStr(b []byte, s string) []byte {
	quote := byte('\'')
	if containsByte(s, '\'') && !containsByte(s, '"') {
		quote = '"'
	}
	b = append(b, quote)
	start := 0 // s[start:i] is pending raw output
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f && c != quote && c != '\\' {
			i++
			continue
		}
		b = append(b, s[start:i]...)
		if c < utf8.RuneSelf {
			switch c {
			case quote, '\\':
				b = append(b, '\\', c)
			case '\t':
				b = append(b, '\\', 't')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			default:
				b = append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&15])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b, size = appendInvalid(b, s, i)
		case isPrintable(r):
			b = append(b, s[i:i+size]...)
		default:
			b = appendEscape(b, r)
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, quote)
}

func containsByte(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}

// appendEscape writes Python's escape for a non-printable code point.
func appendEscape(b []byte, r rune) []byte {
	switch {
	case r <= 0xff:
		return append(b, '\\', 'x', hexDigits[r>>4], hexDigits[r&15])
	case r <= 0xffff:
		return append(b, '\\', 'u', hexDigits[r>>12], hexDigits[r>>8&15], hexDigits[r>>4&15], hexDigits[r&15])
	}
	b = append(b, '\\', 'U')
	for shift := 28; shift >= 0; shift -= 4 {
		b = append(b, hexDigits[r>>uint(shift)&15])
	}
	return b
}

// wtf8Surrogate reports the surrogate code point that s[i:] starts with in generalized UTF-8
// (ED A0..BF 80..BF), as the decoder produces for lone surrogates.
func wtf8Surrogate(s string, i int) (rune, bool) {
	if i+2 < len(s) && s[i] == 0xed && s[i+1] >= 0xa0 && s[i+1] <= 0xbf && s[i+2] >= 0x80 && s[i+2] <= 0xbf {
		return 0xd000 | rune(s[i+1]&0x3f)<<6 | rune(s[i+2]&0x3f), true
	}
	return 0, false
}

// appendInvalid writes the invalid UTF-8 at s[i] and returns how many bytes it consumed.
// A WTF-8 surrogate becomes its \u escape; any other byte b becomes \udcXX (surrogateescape).
// The decoder maps \udc80-\udcff back to single bytes and merges an escaped high surrogate
// followed by a low one, so a high surrogate is written as \u only when a valid character or
// the end follows its run of high surrogates; otherwise its bytes are escaped one by one.
// With these rules decoding gives back exactly the bytes of s.
func appendInvalid(b []byte, s string, i int) ([]byte, int) {
	if r, ok := wtf8Surrogate(s, i); ok {
		switch {
		case r >= 0xdc80 && r <= 0xdcff:
			// would read back as one byte; escape its three bytes instead
		case r >= 0xdc00:
			return appendEscape(b, r), 3
		default:
			j := i + 3
			for {
				if r2, ok := wtf8Surrogate(s, j); !ok || r2 >= 0xdc00 {
					break
				}
				j += 3
			}
			if r2, n := utf8.DecodeRuneInString(s[j:]); j == len(s) || r2 != utf8.RuneError || n > 1 {
				return appendEscape(b, r), 3
			}
		}
	}
	return appendEscape(b, 0xdc00|rune(s[i])), 1
}

// appendBytesLiteral writes a b'...' literal the way Python's bytes repr does.
func appendBytesLiteral(b []byte, p []byte) []byte {
	quote := byte('\'')
	if containsByte(string(p), '\'') && !containsByte(string(p), '"') {
		quote = '"'
	}
	b = append(b, 'b', quote)
	for _, c := range p {
		switch {
		case c == quote || c == '\\':
			b = append(b, '\\', c)
		case c == '\t':
			b = append(b, '\\', 't')
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c < 0x20 || c >= 0x7f:
			b = append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&15])
		default:
			b = append(b, c)
		}
	}
	return append(b, quote)
}

// isPrintable reports whether Python's str.isprintable() holds for r, from the table
// generated out of Debian's Python.
func isPrintable(r rune) bool {
	if r < 0x7f {
		return r >= 0x20
	}
	if r <= 0xff {
		return r > 0xa0 && r != 0xad
	}
	u := uint32(r)
	lo, hi := 0, len(nonPrintable)/2
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if nonPrintable[2*m+1] < u {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo == len(nonPrintable)/2 || u < nonPrintable[2*lo]
}
