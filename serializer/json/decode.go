package json

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"unicode/utf8"

	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

// maxIntDigits is Python's default limit on the digits of an int read from text
// (sys.int_info.default_max_str_digits); json.loads refuses longer ones, and it keeps the
// superlinear decimal conversion cheap.
const maxIntDigits = 4300

// Unmarshal decodes one JSON document as Python's json.loads does: objects become *pyval.Dict
// (keys in document order, a repeated key keeping its first place and last value), arrays
// []any, integers int64 or *big.Int, numbers with a fraction or exponent float64 (overflowing
// to ±Inf as Python's float() does), NaN, Infinity and -Infinity the float specials. An escaped
// lone surrogate (\ud800) becomes its three surrogatepass bytes, as Python keeps it in a str.
// Anything else, including invalid UTF-8, raw control characters in strings and trailing data,
// gives an error wrapping serializer.ErrMalformed; nesting beyond serializer.MaxDepth and ints
// longer than 4300 digits one wrapping serializer.ErrLimit.
func Unmarshal(data []byte) (any, error) {
	d := decoder{data: data}
	d.space()
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	d.space()
	if d.pos != len(d.data) {
		return nil, d.malformed("extra data after the value")
	}
	return v, nil
}

type decoder struct {
	data []byte
	pos  int
	buf  []byte // scratch for strings with escapes
}

func (d *decoder) malformed(msg string) error {
	return fmt.Errorf("json: %s at offset %d: %w", msg, d.pos, serializer.ErrMalformed)
}

func (d *decoder) space() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// literal consumes word if the input continues with it.
func (d *decoder) literal(word string) bool {
	if len(d.data)-d.pos >= len(word) && string(d.data[d.pos:d.pos+len(word)]) == word {
		d.pos += len(word)
		return true
	}
	return false
}

func (d *decoder) value(depth int) (any, error) {
	if d.pos >= len(d.data) {
		return nil, d.malformed("expecting a value, found the end")
	}
	switch c := d.data[d.pos]; c {
	case '{':
		return d.object(depth)
	case '[':
		return d.array(depth)
	case '"':
		return d.str()
	case 't':
		if d.literal("true") {
			return true, nil
		}
	case 'f':
		if d.literal("false") {
			return false, nil
		}
	case 'n':
		if d.literal("null") {
			return nil, nil
		}
	case 'N':
		if d.literal("NaN") {
			return math.NaN(), nil
		}
	case 'I':
		if d.literal("Infinity") {
			return math.Inf(1), nil
		}
	case '-':
		if d.literal("-Infinity") {
			return math.Inf(-1), nil
		}
		return d.number()
	default:
		if c >= '0' && c <= '9' {
			return d.number()
		}
	}
	return nil, d.malformed("expecting a value")
}

func (d *decoder) enter(depth int) error {
	if depth >= serializer.MaxDepth {
		return fmt.Errorf("json: nesting deeper than %d at offset %d: %w", serializer.MaxDepth, d.pos, serializer.ErrLimit)
	}
	return nil
}

func (d *decoder) object(depth int) (any, error) {
	if err := d.enter(depth); err != nil {
		return nil, err
	}
	d.pos++ // '{'
	dict := pyval.NewDict(0)
	d.space()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		return dict, nil
	}
	for {
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return nil, d.malformed("expecting a property name in double quotes")
		}
		key, err := d.str()
		if err != nil {
			return nil, err
		}
		d.space()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return nil, d.malformed("expecting ':'")
		}
		d.pos++
		d.space()
		val, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		dict.Set(key, val)
		d.space()
		if d.pos >= len(d.data) {
			return nil, d.malformed("expecting ',' or '}', found the end")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
			d.space()
		case '}':
			d.pos++
			return dict, nil
		default:
			return nil, d.malformed("expecting ',' or '}'")
		}
	}
}

func (d *decoder) array(depth int) (any, error) {
	if err := d.enter(depth); err != nil {
		return nil, err
	}
	d.pos++ // '['
	list := []any{}
	d.space()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		return list, nil
	}
	for {
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		list = append(list, v)
		d.space()
		if d.pos >= len(d.data) {
			return nil, d.malformed("expecting ',' or ']', found the end")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
			d.space()
		case ']':
			d.pos++
			return list, nil
		default:
			return nil, d.malformed("expecting ',' or ']'")
		}
	}
}

// number reads what Python's json number pattern matches: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][-+]?[0-9]+)?
// An optional part that is incomplete is left unread, for the caller to reject as Python does.
func (d *decoder) number() (any, error) {
	start := d.pos
	i := d.pos
	if d.data[i] == '-' {
		i++
	}
	digitsAt := i
	if i < len(d.data) && d.data[i] == '0' {
		i++
	} else {
		for i < len(d.data) && isDigit(d.data[i]) {
			i++
		}
	}
	if i == digitsAt {
		return nil, d.malformed("expecting a value")
	}
	intEnd := i
	isFloat := false
	if i+1 < len(d.data) && d.data[i] == '.' && isDigit(d.data[i+1]) {
		i += 2
		for i < len(d.data) && isDigit(d.data[i]) {
			i++
		}
		isFloat = true
	}
	if i < len(d.data) && (d.data[i] == 'e' || d.data[i] == 'E') {
		j := i + 1
		if j < len(d.data) && (d.data[j] == '+' || d.data[j] == '-') {
			j++
		}
		if j < len(d.data) && isDigit(d.data[j]) {
			for j < len(d.data) && isDigit(d.data[j]) {
				j++
			}
			i = j
			isFloat = true
		}
	}
	d.pos = i
	text := string(d.data[start:i])
	if isFloat {
		f, err := strconv.ParseFloat(text, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			d.pos = start
			return nil, d.malformed(fmt.Sprintf("bad number %q", text))
		}
		return f, nil
	}
	if n := intEnd - digitsAt; n <= 18 {
		var x int64
		for _, c := range d.data[digitsAt:intEnd] {
			x = x*10 + int64(c-'0')
		}
		if d.data[start] == '-' {
			x = -x
		}
		return x, nil
	} else if n > maxIntDigits {
		d.pos = start
		return nil, fmt.Errorf("json: int of %d digits at offset %d exceeds Python's limit of %d: %w", n, start, maxIntDigits, serializer.ErrLimit)
	}
	b, ok := new(big.Int).SetString(text, 10)
	if !ok {
		d.pos = start
		return nil, d.malformed(fmt.Sprintf("bad number %q", text))
	}
	if b.IsInt64() {
		return b.Int64(), nil
	}
	return b, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// str reads a string starting at its opening quote.
func (d *decoder) str() (string, error) {
	d.pos++ // '"'
	start := d.pos
	// fast path: no escapes
	for i := start; i < len(d.data); {
		c := d.data[i]
		switch {
		case c == '"':
			d.pos = i + 1
			return string(d.data[start:i]), nil
		case c == '\\':
			return d.strEscaped(start, i)
		case c < 0x20:
			d.pos = i
			return "", d.malformed("invalid control character in string")
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(d.data[i:])
			if r == utf8.RuneError && size == 1 {
				d.pos = i
				return "", d.malformed("invalid UTF-8")
			}
			i += size
		}
	}
	d.pos = start - 1
	return "", d.malformed("unterminated string")
}

// strEscaped finishes a string whose first escape is at i.
func (d *decoder) strEscaped(start, i int) (string, error) {
	buf := append(d.buf[:0], d.data[start:i]...)
	defer func() { d.buf = buf[:0] }()
	for i < len(d.data) {
		c := d.data[i]
		switch {
		case c == '"':
			d.pos = i + 1
			return string(buf), nil
		case c == '\\':
			if i+1 >= len(d.data) {
				d.pos = i
				return "", d.malformed("unterminated string")
			}
			esc := d.data[i+1]
			i += 2
			switch esc {
			case '"', '\\', '/':
				buf = append(buf, esc)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, ok := hex4(d.data[i:])
				if !ok {
					d.pos = i - 2
					return "", d.malformed(`invalid \uXXXX escape`)
				}
				i += 4
				if r >= 0xD800 && r < 0xDC00 && i+1 < len(d.data) && d.data[i] == '\\' && d.data[i+1] == 'u' {
					if lo, ok := hex4(d.data[i+2:]); ok && lo >= 0xDC00 && lo < 0xE000 {
						r = 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00)
						i += 6
					}
				}
				if r >= 0xD800 && r < 0xE000 {
					// lone surrogate: keep it in surrogatepass form, as Python keeps it in a str
					buf = append(buf, 0xED, byte(0x80|(r>>6)&0x3F), byte(0x80|r&0x3F))
				} else {
					buf = utf8.AppendRune(buf, r)
				}
			default:
				d.pos = i - 2
				return "", d.malformed("invalid escape")
			}
		case c < 0x20:
			d.pos = i
			return "", d.malformed("invalid control character in string")
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			i++
		default:
			r, size := utf8.DecodeRune(d.data[i:])
			if r == utf8.RuneError && size == 1 {
				d.pos = i
				return "", d.malformed("invalid UTF-8")
			}
			buf = append(buf, d.data[i:i+size]...)
			i += size
		}
	}
	d.pos = start - 1
	return "", d.malformed("unterminated string")
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(v)
	}
	return r, true
}
