package serpent

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

// DecodeError reports why and where serpent input could not be decoded.
type DecodeError struct {
	// Offset is the byte offset in the input (header included) where the problem was found.
	Offset int
	// Msg describes the problem.
	Msg string
	// Err is serializer.ErrMalformed, serializer.ErrLimit or serializer.ErrUnsupported.
	Err error
}

// Error formats the error as "serpent: <problem> at offset N: <sentinel>".
func (e *DecodeError) Error() string {
	return "serpent: " + e.Msg + " at offset " + strconv.Itoa(e.Offset) + ": " + e.Err.Error()
}

// Unwrap returns the sentinel error, for errors.Is.
func (e *DecodeError) Unwrap() error { return e.Err }

// maxDecimalDigits is Python 3.11's limit on decimal int literals (sys.int_info.default_max_str_digits);
// it also keeps big.Int's quadratic decimal conversion cheap.
const maxDecimalDigits = 4300

// Unmarshal decodes serpent text (or any Python literal expression) into canonical pyval form.
// The header line is an ordinary comment and may be missing. Errors are *DecodeError values
// wrapping serializer.ErrMalformed, serializer.ErrLimit or serializer.ErrUnsupported.
func Unmarshal(data []byte) (any, error) { return unmarshal(data, nil) }

// UnmarshalMetered is Unmarshal charging m for what the value takes beyond the data
// (serializer.MeteredDecoder): serializer.SlotSize for each element of a list, tuple or set
// and serializer.EntrySize for each dict entry as the parser reaches it, so that a huge
// container is stopped while it is built, the length of each str and bytes value, and a big
// int's digit count. Serpent never leaves values in the data, so the result is Unmarshal's
// (and serializer.UnmarshalOwned's). When m refuses a charge, decoding stops and the error
// returned wraps m's. A nil m charges nothing.
func (Codec) UnmarshalMetered(data []byte, m serializer.Meter) (any, error) {
	return unmarshal(data, m)
}

func unmarshal(data []byte, m serializer.Meter) (any, error) {
	// Python decodes the text as strict UTF-8 and refuses NUL characters before parsing.
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return nil, &DecodeError{i, "NUL byte", serializer.ErrMalformed}
	}
	if !utf8.Valid(data) {
		i := 0
		for i < len(data) {
			r, n := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			i += n
		}
		return nil, &DecodeError{i, "invalid UTF-8", serializer.ErrMalformed}
	}
	d := decoderPool.Get().(*decoder)
	*d = decoder{data: data, stack: d.stack[:0], sb: d.sb[:0], debt: serializer.Debt{Meter: m, Batch: chargeBatch}}
	v, err := d.top()
	if err == nil && d.debt.Meter != nil {
		err = d.settle()
	}
	if err != nil {
		v = nil
	}
	// Drop the references the stack still holds before the decoder is reused.
	clear(d.stack[:cap(d.stack)])
	if cap(d.stack) <= maxPooledStack && cap(d.sb) <= maxPooledString {
		d.data, d.copy, d.debt = nil, "", serializer.Debt{}
		decoderPool.Put(d)
	}
	return v, err
}

// Decoders are pooled: making their container stack and string scratch space costs two
// allocations and the zeroing of 320 bytes, a third of the time of decoding a small call.
// Big ones are dropped so that one large message does not pin its buffers.
var decoderPool = sync.Pool{New: func() any { return &decoder{stack: make([]any, 0, 16), sb: make([]byte, 0, 64)} }}

const (
	maxPooledStack  = 1024
	maxPooledString = 64 << 10
)

// kind tells the numeric forms apart, because literal_eval allows a sign only on a number
// and a sum only of a real number and an imaginary one.
type kind uint8

const (
	kOther  kind = iota
	kNum         // a numeric literal, perhaps in parentheses
	kSigned      // a numeric literal with a unary sign
	kSum         // real ± imaginary
)

// meta is what the parser knows about a value besides the value itself.
type meta struct {
	k kind
	// unhashable marks values Python could not use as a dict key or set element: lists, dicts,
	// sets, tuples holding those, and values converted from dicts (bytes, the NaN class-dict).
	unhashable bool
}

type decoder struct {
	data  []byte
	pos   int
	depth int
	stack []any  // elements of the containers being parsed
	sb    []byte // the string being built
	pend  rune   // an escaped high surrogate waiting for its low half
	// noFast turns str's fast path (plainStr) off, for the fuzz test comparing the two.
	noFast bool
	// copy is a small input as a string, made at its first plain str literal: those are
	// substrings of it, so a call's names and strs cost one allocation together (text).
	copy string
	// debt charges the meter, if any, for what the value takes (UnmarshalMetered).
	debt serializer.Debt
	// sbOwed is how much of sb has been counted (literal, str), so that a long str is
	// stopped while it is built.
	sbOwed int
}

// chargeBatch is how much the decoder counts before it charges its meter: one call per 64
// list elements or 16 dict entries, and at once for a str of this size or more.
const chargeBatch = 1 << 10

// charge counts n bytes of what the value takes against the meter, charging it whenever a
// batch is full. Callers check d.debt.Meter first, so that the unmetered decoder pays one
// comparison.
func (d *decoder) charge(n int) error {
	if err := d.debt.Owe(n); err != nil {
		return d.overBudget(err)
	}
	return nil
}

// settle charges the meter what is owed.
func (d *decoder) settle() error {
	if err := d.debt.Settle(); err != nil {
		return d.overBudget(err)
	}
	return nil
}

func (d *decoder) overBudget(err error) error {
	return fmt.Errorf("serpent: value over its memory budget at offset %d: %w", d.pos, err)
}

// smallInput is the size up to which plain str literals share one copy of the input: what
// keeps one of them keeps at most this much.
const smallInput = 4 << 10

// text returns data[i:j] as a string: a substring of the input's one copy when the input is
// small (copy), a copy of its own otherwise.
func (d *decoder) text(i, j int) string {
	if len(d.data) > smallInput {
		return string(d.data[i:j])
	}
	if d.copy == "" {
		d.copy = string(d.data)
	}
	return d.copy[i:j]
}

func (d *decoder) fail(pos int, msg string) error {
	return &DecodeError{pos, msg, serializer.ErrMalformed}
}

func (d *decoder) unexpected(pos int) error {
	if pos >= len(d.data) {
		return d.fail(pos, "unexpected end of input")
	}
	r, _ := utf8.DecodeRune(d.data[pos:])
	return d.fail(pos, "unexpected character "+strconv.QuoteRune(r))
}

// skip passes over whitespace, newlines, comments and backslash line joins; unlike Python it
// also accepts newlines outside brackets.
func (d *decoder) skip() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r', '\f':
			d.pos++
		case '#':
			for d.pos < len(d.data) && d.data[d.pos] != '\n' && d.data[d.pos] != '\r' {
				d.pos++
			}
		case '\\':
			if d.pos+1 < len(d.data) && d.data[d.pos+1] == '\n' {
				d.pos += 2
			} else if d.pos+1 < len(d.data) && d.data[d.pos+1] == '\r' {
				d.pos += 2
				if d.pos < len(d.data) && d.data[d.pos] == '\n' {
					d.pos++
				}
			} else {
				return
			}
		default:
			return
		}
	}
}

func (d *decoder) peek() byte {
	if d.pos < len(d.data) {
		return d.data[d.pos]
	}
	return 0 // NUL never occurs in valid input
}

func (d *decoder) top() (any, error) {
	d.skip()
	if d.pos >= len(d.data) {
		return nil, d.fail(d.pos, "no value")
	}
	v, _, err := d.expr()
	if err != nil {
		return nil, err
	}
	d.skip()
	if d.peek() == ',' {
		// literal_eval reads "1, 2" as a tuple
		items := []any{v}
		if d.debt.Meter != nil {
			if err := d.charge(serializer.SlotSize); err != nil {
				return nil, err
			}
		}
		for d.peek() == ',' {
			d.pos++
			d.skip()
			if d.pos >= len(d.data) {
				break
			}
			if v, _, err = d.expr(); err != nil {
				return nil, err
			}
			if d.debt.Meter != nil {
				if err := d.charge(serializer.SlotSize); err != nil {
					return nil, err
				}
			}
			items = append(items, v)
			d.skip()
		}
		v = pyval.Tuple(items)
	}
	if d.pos < len(d.data) {
		return nil, d.unexpected(d.pos)
	}
	return v, nil
}

func (d *decoder) enter() error {
	d.depth++
	if d.depth > serializer.MaxDepth {
		return &DecodeError{d.pos, "nesting deeper than " + strconv.Itoa(serializer.MaxDepth), serializer.ErrLimit}
	}
	return nil
}

// expr parses one value, including a complex sum such as -1.5-2j.
func (d *decoder) expr() (any, meta, error) {
	v, m, err := d.unary()
	if err != nil {
		return nil, m, err
	}
	d.skip()
	op := d.peek()
	if op != '+' && op != '-' {
		return v, m, nil
	}
	opPos := d.pos
	re, ok := d.realOf(v, m)
	if !ok {
		return nil, m, d.fail(opPos, "operator "+string(op)+" is only allowed between a real and an imaginary number")
	}
	d.pos++
	d.skip()
	rpos := d.pos
	w, wm, err := d.unary()
	if err != nil {
		return nil, wm, err
	}
	im, ok := w.(complex128)
	// literal_eval wants an unsigned imaginary literal on the right; a signed one is accepted
	// too, because serpent writes complex(1, -0.0) as (1.0+-0.0j).
	if !ok || (wm.k != kNum && wm.k != kSigned) {
		return nil, wm, d.fail(rpos, "the right operand of "+string(op)+" must be an imaginary number")
	}
	// Python's float ± complex arithmetic, signed zeros included.
	var c complex128
	if op == '+' {
		c = complex(re+real(im), zeroPlus(imag(im)))
	} else {
		c = complex(re-real(im), zeroPlus(-imag(im)))
	}
	d.skip()
	if p := d.peek(); p == '+' || p == '-' {
		return nil, wm, d.fail(d.pos, "operator "+string(p)+" is only allowed between a real and an imaginary number")
	}
	return c, meta{k: kSum}, nil
}

// zeroPlus returns 0.0 + x under IEEE rules (which make -0.0 into 0.0), spelled out so that
// no compiler simplification of the constant can change it. 0.0 - x is zeroPlus(-x).
func zeroPlus(x float64) float64 {
	if x == 0 {
		return 0
	}
	return x
}

func (d *decoder) realOf(v any, m meta) (float64, bool) {
	if m.k != kNum && m.k != kSigned {
		return 0, false
	}
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	case *big.Int:
		f, _ := new(big.Float).SetInt(x).Float64()
		return f, !math.IsInf(f, 0) // Python: int too large to convert to float
	}
	return 0, false
}

func (d *decoder) unary() (any, meta, error) {
	sign := d.peek()
	if sign != '+' && sign != '-' {
		return d.atom()
	}
	d.pos++
	d.skip()
	p := d.pos
	v, m, err := d.atom()
	if err != nil {
		return nil, m, err
	}
	if m.k != kNum {
		return nil, m, d.fail(p, "unary "+string(sign)+" needs a number")
	}
	if sign == '-' {
		switch x := v.(type) {
		case int64:
			if x == math.MinInt64 {
				v = new(big.Int).Neg(big.NewInt(x))
			} else {
				v = -x
			}
		case *big.Int:
			n := new(big.Int).Neg(x)
			if n.IsInt64() {
				v = n.Int64()
			} else {
				v = n
			}
		case float64:
			v = -x
		case complex128:
			v = complex(-real(x), -imag(x))
		}
	}
	return v, meta{k: kSigned}, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isIdentStart(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }

func isIdentChar(c byte) bool { return isIdentStart(c) || isDigit(c) || c >= 0x80 }

func (d *decoder) atom() (any, meta, error) {
	if d.pos >= len(d.data) {
		return nil, meta{}, d.unexpected(d.pos)
	}
	c := d.data[d.pos]
	switch {
	case isDigit(c):
		return d.number()
	case c == '.':
		if d.pos+1 < len(d.data) && isDigit(d.data[d.pos+1]) {
			return d.number()
		}
		if bytes.HasPrefix(d.data[d.pos:], []byte("...")) {
			return nil, meta{}, &DecodeError{d.pos, "Ellipsis has no Go form", serializer.ErrUnsupported}
		}
	case c == '\'' || c == '"':
		return d.str(false, false)
	case c == '(':
		return d.paren()
	case c == '[':
		return d.list()
	case c == '{':
		return d.brace()
	case isIdentStart(c):
		return d.name()
	}
	return nil, meta{}, d.unexpected(d.pos)
}

func (d *decoder) name() (any, meta, error) {
	start := d.pos
	for d.pos < len(d.data) && isIdentChar(d.data[d.pos]) {
		d.pos++
	}
	word := d.data[start:d.pos]
	if q := d.peek(); q == '\'' || q == '"' {
		raw, isBytes, ok := stringPrefix(word)
		if ok {
			return d.str(raw, isBytes)
		}
		if len(word) <= 2 {
			return nil, meta{}, d.fail(start, "string prefix "+strconv.Quote(string(word))+" is not a literal")
		}
	}
	switch string(word) {
	case "None":
		return nil, meta{}, nil
	case "True":
		return true, meta{}, nil
	case "False":
		return false, meta{}, nil
	case "set":
		d.skip()
		if d.peek() != '(' {
			break
		}
		d.pos++
		d.skip()
		if d.peek() != ')' {
			return nil, meta{}, d.fail(d.pos, "set() takes no arguments in a literal")
		}
		d.pos++
		return pyval.NewSet(), meta{unhashable: true}, nil
	}
	return nil, meta{}, d.fail(start, "name "+strconv.Quote(string(word))+" is not a literal")
}

// stringPrefix reads a string prefix: r, u, b, br or rb in any case.
func stringPrefix(w []byte) (raw, isBytes, ok bool) {
	if len(w) > 2 {
		return false, false, false
	}
	var u bool
	for _, c := range w {
		switch c | 0x20 {
		case 'r':
			if raw {
				return false, false, false
			}
			raw = true
		case 'b':
			if isBytes {
				return false, false, false
			}
			isBytes = true
		case 'u':
			u = true
		default:
			return false, false, false
		}
	}
	if u && len(w) > 1 {
		return false, false, false
	}
	return raw, isBytes, true
}

func (d *decoder) paren() (any, meta, error) {
	if err := d.enter(); err != nil {
		return nil, meta{}, err
	}
	defer func() { d.depth-- }()
	d.pos++
	d.skip()
	if d.peek() == ')' {
		d.pos++
		return pyval.Tuple{}, meta{}, nil
	}
	v, m, err := d.expr()
	if err != nil {
		return nil, m, err
	}
	d.skip()
	switch d.peek() {
	case ')':
		d.pos++
		return v, m, nil // grouping parentheses: the value keeps its kind
	case ',':
	default:
		return nil, m, d.unexpected(d.pos)
	}
	if d.debt.Meter != nil {
		if err := d.charge(serializer.SlotSize); err != nil {
			return nil, m, err
		}
	}
	base := len(d.stack)
	d.stack = append(d.stack, v)
	unhashable := m.unhashable
	for {
		// at a ','
		d.pos++
		d.skip()
		if d.peek() == ')' {
			break
		}
		v, m, err := d.expr()
		if err != nil {
			return nil, m, err
		}
		if d.debt.Meter != nil {
			if err := d.charge(serializer.SlotSize); err != nil {
				return nil, m, err
			}
		}
		d.stack = append(d.stack, v)
		unhashable = unhashable || m.unhashable
		d.skip()
		if d.peek() == ')' {
			break
		}
		if d.peek() != ',' {
			return nil, m, d.unexpected(d.pos)
		}
	}
	d.pos++
	t := make(pyval.Tuple, len(d.stack)-base)
	copy(t, d.stack[base:])
	d.stack = d.stack[:base]
	return t, meta{unhashable: unhashable}, nil
}

// items parses comma-separated values up to the closing byte onto d.stack.
func (d *decoder) items(closing byte) error {
	for {
		d.skip()
		if d.peek() == closing {
			d.pos++
			return nil
		}
		v, _, err := d.expr()
		if err != nil {
			return err
		}
		if d.debt.Meter != nil {
			if err := d.charge(serializer.SlotSize); err != nil {
				return err
			}
		}
		d.stack = append(d.stack, v)
		d.skip()
		switch d.peek() {
		case ',':
			d.pos++
		case closing:
			d.pos++
			return nil
		default:
			return d.unexpected(d.pos)
		}
	}
}

func (d *decoder) list() (any, meta, error) {
	if err := d.enter(); err != nil {
		return nil, meta{}, err
	}
	d.pos++
	base := len(d.stack)
	if err := d.items(']'); err != nil {
		return nil, meta{}, err
	}
	d.depth--
	l := make([]any, len(d.stack)-base)
	copy(l, d.stack[base:])
	d.stack = d.stack[:base]
	return l, meta{unhashable: true}, nil
}

func (d *decoder) hashable(pos int, k any, m meta) error {
	if m.unhashable {
		return &DecodeError{pos, "unhashable " + pyval.TypeName(k) + " as a dict key or set element", serializer.ErrMalformed}
	}
	return nil
}

func (d *decoder) brace() (any, meta, error) {
	if err := d.enter(); err != nil {
		return nil, meta{}, err
	}
	defer func() { d.depth-- }()
	d.pos++
	d.skip()
	if d.peek() == '}' {
		d.pos++
		return pyval.NewDict(0), meta{unhashable: true}, nil
	}
	kpos := d.pos
	k, km, err := d.expr()
	if err != nil {
		return nil, km, err
	}
	if err := d.hashable(kpos, k, km); err != nil {
		return nil, km, err
	}
	d.skip()
	base := len(d.stack)
	d.stack = append(d.stack, k)
	if d.peek() != ':' {
		// a set
		if d.debt.Meter != nil {
			if err := d.charge(serializer.SlotSize); err != nil {
				return nil, km, err
			}
		}
		for {
			switch d.peek() {
			case '}':
				d.pos++
				s := pyval.NewSet(d.stack[base:]...)
				d.stack = d.stack[:base]
				return s, meta{unhashable: true}, nil
			case ',':
				d.pos++
				d.skip()
				if d.peek() == '}' {
					continue
				}
				epos := d.pos
				e, em, err := d.expr()
				if err != nil {
					return nil, em, err
				}
				if err := d.hashable(epos, e, em); err != nil {
					return nil, em, err
				}
				if d.debt.Meter != nil {
					if err := d.charge(serializer.SlotSize); err != nil {
						return nil, em, err
					}
				}
				d.stack = append(d.stack, e)
				d.skip()
			default:
				return nil, km, d.unexpected(d.pos)
			}
		}
	}
dict:
	for {
		// at a ':' after a key
		d.pos++
		d.skip()
		v, vm, err := d.expr()
		if err != nil {
			return nil, vm, err
		}
		if d.debt.Meter != nil {
			if err := d.charge(serializer.EntrySize); err != nil {
				return nil, vm, err
			}
		}
		d.stack = append(d.stack, v)
		d.skip()
		switch d.peek() {
		case '}':
			d.pos++
			break dict
		case ',':
			d.pos++
			d.skip()
			if d.peek() == '}' {
				d.pos++
				break dict
			}
		default:
			return nil, vm, d.unexpected(d.pos)
		}
		kpos = d.pos
		k, km, err := d.expr()
		if err != nil {
			return nil, km, err
		}
		if err := d.hashable(kpos, k, km); err != nil {
			return nil, km, err
		}
		d.stack = append(d.stack, k)
		d.skip()
		if d.peek() != ':' {
			return nil, km, d.unexpected(d.pos)
		}
	}
	kv := d.stack[base:]
	dict := pyval.NewDict(len(kv) / 2)
	for i := 0; i < len(kv); i += 2 {
		dict.Set(kv[i], kv[i+1])
	}
	d.stack = d.stack[:base]
	v := fromDict(dict)
	if b, ok := v.([]byte); ok && d.debt.Meter != nil {
		if err := d.charge(len(b)); err != nil {
			return nil, meta{}, err
		}
	}
	return v, meta{unhashable: true}, nil
}

// fromDict applies the two dict conventions a Go reader wants undone: serpent's bytes dict
// becomes []byte, and Pyro4's float class-dict (how NaN travels) becomes a float64.
func fromDict(dict *pyval.Dict) any {
	if dict.Len() == 2 {
		if enc, ok := dict.GetString("encoding"); ok && enc == "base64" {
			if data, ok := dict.GetString("data"); ok {
				if s, ok := data.(string); ok {
					if b, err := base64.StdEncoding.DecodeString(s); err == nil {
						return b
					}
				}
			}
		}
	}
	if dict.Len() >= 2 {
		if c, ok := dict.GetString("__class__"); ok && c == "float" {
			if v, ok := dict.GetString("value"); ok {
				if s, ok := v.(string); ok {
					if f, ok := pyFloat(s); ok {
						return f
					}
				}
			}
		}
	}
	return dict
}

// pyFloat parses s as Python's float(str) does (ASCII digits only).
func pyFloat(s string) (float64, bool) {
	t := strings.TrimSpace(s)
	neg := false
	if t != "" && (t[0] == '+' || t[0] == '-') {
		neg = t[0] == '-'
		t = t[1:]
	}
	var f float64
	switch strings.ToLower(t) {
	case "nan":
		f = math.NaN()
	case "inf", "infinity":
		f = math.Inf(1)
	default:
		// scanNumber wants a digit or ".digit" first
		if t == "" || !(isDigit(t[0]) || t[0] == '.' && len(t) > 1 && isDigit(t[1])) {
			return 0, false
		}
		end, _, imag, msg := scanNumber([]byte(t), 0)
		if msg != "" || imag || end != len(t) {
			return 0, false
		}
		var err error
		f, err = strconv.ParseFloat(strings.ReplaceAll(t, "_", ""), 64)
		if err != nil && !math.IsInf(f, 0) && f != 0 {
			return 0, false
		}
	}
	if neg {
		f = -f
	}
	return f, true
}

// scanNumber reads a decimal number literal (int, float or imaginary) starting at data[i],
// which is a digit or a '.', and returns where it ends, or a message saying why it is invalid.
func scanNumber(data []byte, i int) (end int, isFloat, imag bool, msg string) {
	digits := func(i int) (int, string) {
		for i < len(data) {
			if isDigit(data[i]) {
				i++
			} else if data[i] == '_' && i+1 < len(data) && isDigit(data[i+1]) {
				i += 2
			} else if data[i] == '_' {
				return i, "invalid decimal literal"
			} else {
				break
			}
		}
		return i, ""
	}
	if isDigit(data[i]) {
		if i, msg = digits(i); msg != "" {
			return i, false, false, msg
		}
	}
	if i < len(data) && data[i] == '.' {
		isFloat = true
		i++
		if i < len(data) && isDigit(data[i]) {
			if i, msg = digits(i); msg != "" {
				return i, false, false, msg
			}
		} else if i < len(data) && data[i] == '_' {
			return i, false, false, "invalid decimal literal"
		}
	}
	if i < len(data) && data[i]|0x20 == 'e' {
		j := i + 1
		if j < len(data) && (data[j] == '+' || data[j] == '-') {
			j++
		}
		if j >= len(data) || !isDigit(data[j]) {
			return i, false, false, "invalid decimal literal"
		}
		isFloat = true
		if i, msg = digits(j); msg != "" {
			return i, false, false, msg
		}
	}
	if i < len(data) && data[i]|0x20 == 'j' {
		imag = true
		i++
	}
	if i < len(data) && (isIdentChar(data[i]) || data[i] == '.') {
		return i, false, false, "invalid decimal literal"
	}
	return i, isFloat, imag, ""
}

func (d *decoder) number() (any, meta, error) {
	start := d.pos
	data := d.data
	if data[start] == '0' && start+1 < len(data) {
		switch data[start+1] | 0x20 {
		case 'x':
			return d.radixInt(16, 4)
		case 'o':
			return d.radixInt(8, 3)
		case 'b':
			return d.radixInt(2, 1)
		}
	}
	end, isFloat, imag, msg := scanNumber(data, start)
	if msg != "" {
		return nil, meta{}, d.fail(end, msg)
	}
	d.pos = end
	text := data[start:end]
	if imag {
		text = text[:len(text)-1]
	}
	if bytes.IndexByte(text, '_') >= 0 {
		text = bytes.ReplaceAll(text, []byte("_"), nil)
	}
	if isFloat || imag {
		f, err := strconv.ParseFloat(string(text), 64)
		if err != nil && !math.IsInf(f, 0) && f != 0 {
			return nil, meta{}, d.fail(start, "invalid float literal")
		}
		if imag {
			return complex(0, f), meta{k: kNum}, nil
		}
		return f, meta{k: kNum}, nil
	}
	if text[0] == '0' {
		for _, c := range text {
			if c != '0' {
				return nil, meta{}, d.fail(start, "leading zeros in decimal integer literals are not permitted")
			}
		}
		return int64(0), meta{k: kNum}, nil
	}
	if len(text) <= 18 {
		var n int64
		for _, c := range text {
			n = n*10 + int64(c-'0')
		}
		return n, meta{k: kNum}, nil
	}
	if len(text) > maxDecimalDigits {
		return nil, meta{}, &DecodeError{start, "decimal int literal longer than " + strconv.Itoa(maxDecimalDigits) + " digits", serializer.ErrLimit}
	}
	if d.debt.Meter != nil {
		if err := d.charge(len(text)); err != nil {
			return nil, meta{}, err
		}
	}
	b, _ := new(big.Int).SetString(string(text), 10)
	return normInt(b), meta{k: kNum}, nil
}

func normInt(b *big.Int) any {
	if b.IsInt64() {
		return b.Int64()
	}
	return b
}

// radixInt reads a 0x, 0o or 0b literal. Its digits are packed into words directly, in
// linear time whatever the length (big.Int.SetString would be quadratic).
func (d *decoder) radixInt(radix int, bits uint) (any, meta, error) {
	start := d.pos
	i := start + 2
	val := func(c byte) int {
		switch {
		case isDigit(c):
			return int(c - '0')
		case c|0x20 >= 'a' && c|0x20 <= 'f':
			return int(c|0x20-'a') + 10
		}
		return 99
	}
	var digits []byte
	for {
		if i < len(d.data) && d.data[i] == '_' {
			i++
		}
		if i >= len(d.data) || val(d.data[i]) >= radix {
			return nil, meta{}, d.fail(i, "invalid digit in base "+strconv.Itoa(radix)+" literal")
		}
		digits = append(digits, byte(val(d.data[i])))
		i++
		if i >= len(d.data) || (d.data[i] != '_' && val(d.data[i]) >= radix) {
			break
		}
	}
	if i < len(d.data) && (isIdentChar(d.data[i]) || d.data[i] == '.') {
		return nil, meta{}, d.fail(i, "invalid digit in base "+strconv.Itoa(radix)+" literal")
	}
	d.pos = i
	if d.debt.Meter != nil {
		if err := d.charge(len(digits)); err != nil {
			return nil, meta{}, err
		}
	}
	const wordBits = 32 << (^big.Word(0) >> 63)
	words := make([]big.Word, (uint(len(digits))*bits+wordBits-1)/wordBits)
	var pos uint
	for k := len(digits) - 1; k >= 0; k-- {
		v := big.Word(digits[k])
		w, off := pos/wordBits, pos%wordBits
		words[w] |= v << off
		if off+bits > wordBits {
			words[w+1] |= v >> (wordBits - off)
		}
		pos += bits
	}
	return normInt(new(big.Int).SetBits(words)), meta{k: kNum}, nil
}

// stringStart reports whether a string literal (with an optional prefix) starts at d.pos.
func (d *decoder) stringStart() (raw, isBytes, ok bool, n int) {
	for n = 0; n <= 2 && d.pos+n < len(d.data); n++ {
		c := d.data[d.pos+n]
		if c == '\'' || c == '"' {
			raw, isBytes, ok = stringPrefix(d.data[d.pos : d.pos+n])
			return raw, isBytes, ok, n
		}
		if !isIdentStart(c) {
			break
		}
	}
	return false, false, false, 0
}

// str parses one string literal at d.pos (past its prefix) and any literals implicitly
// concatenated to it.
func (d *decoder) str(raw, isBytes bool) (any, meta, error) {
	if d.noFast {
		// the general path only
	} else if v, ok, err := d.plainStr(isBytes); ok || err != nil {
		return v, meta{}, err
	}
	d.sb = d.sb[:0]
	d.pend = 0
	d.sbOwed = 0
	for {
		if err := d.literal(raw, isBytes); err != nil {
			return nil, meta{}, err
		}
		d.skip()
		p := d.pos
		r2, b2, ok, n := d.stringStart()
		if !ok {
			break
		}
		if b2 != isBytes {
			return nil, meta{}, d.fail(p, "cannot mix bytes and str literals")
		}
		raw = r2
		d.pos += n
	}
	if !isBytes {
		d.flush()
	}
	if d.debt.Meter != nil {
		if err := d.charge(len(d.sb) - d.sbOwed); err != nil {
			return nil, meta{}, err
		}
	}
	if isBytes {
		b := make([]byte, len(d.sb))
		copy(b, d.sb)
		return b, meta{}, nil
	}
	return string(d.sb), meta{}, nil
}

// plainStr is str's fast path for the usual literal, large ones above all (the base64 text
// of a bytes value): one single-quoted run of printable ASCII without escapes, not followed
// by another literal. It copies the run once, straight from the input; anything else, and
// whatever fails, it leaves to the general path (reporting false, d.pos unchanged). The
// error is the meter's refusal of the copy.
func (d *decoder) plainStr(isBytes bool) (any, bool, error) {
	i, j, ok := d.plainSpan()
	if !ok {
		return nil, false, nil
	}
	if d.debt.Meter != nil {
		if err := d.charge(j - i); err != nil {
			return nil, false, err
		}
	}
	if isBytes {
		return append([]byte(nil), d.data[i:j]...), true, nil
	}
	return d.text(i, j), true, nil
}

// plainSpan is plainStr's scan: the literal's text is d.data[start:end]; d.pos moves past it.
func (d *decoder) plainSpan() (start, end int, ok bool) {
	data := d.data
	q := data[d.pos]
	i := d.pos + 1
	if i < len(data) && data[i] == q {
		return 0, 0, false // empty or triple-quoted: the general path
	}
	i = plainRun(data, i, q)
	for i < len(data) && data[i] != q {
		if c := data[i]; c == '\\' || c < 0x20 || c >= 0x7f {
			return 0, 0, false
		}
		i++
	}
	if i >= len(data) {
		return 0, 0, false
	}
	save := d.pos
	d.pos = i + 1
	d.skip()
	if _, _, ok, _ := d.stringStart(); ok {
		d.pos = save // implicit concatenation
		return 0, 0, false
	}
	return save + 1, i, true
}

// plainRun skips, eight bytes at a time, from i over bytes that are printable ASCII other
// than the quote q and the backslash, and returns where such a run may end (plainStr checks
// the rest byte by byte). A long literal (the base64 of a large bytes value) goes fast.
func plainRun(data []byte, i int, q byte) int {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	// hasByte(w, c): some byte of w equals c; hasLess(w, c): some byte is below c (c <= 128).
	hasZero := func(w uint64) bool { return (w-ones)&^w&highs != 0 }
	for ; i+8 <= len(data); i += 8 {
		w := binary.LittleEndian.Uint64(data[i:])
		if w&highs != 0 || // non-ASCII
			(w-0x20*ones)&^w&highs != 0 || // a byte below 0x20
			hasZero(w^(0x7f*ones)) || hasZero(w^(uint64(q)*ones)) || hasZero(w^('\\'*ones)) {
			return i
		}
	}
	return i
}

// putRune adds a decoded code point to a str. Lone surrogates, which Go strings cannot hold,
// become the byte 0x80-0xff for \udc80-\udcff (Python's surrogateescape) and generalized
// UTF-8 otherwise; an escaped high surrogate followed by a low one becomes one character.
func (d *decoder) putRune(r rune) {
	if d.pend != 0 {
		if r >= 0xdc00 && r <= 0xdfff {
			d.sb = utf8.AppendRune(d.sb, 0x10000+(d.pend-0xd800)<<10+(r-0xdc00))
			d.pend = 0
			return
		}
		d.flush()
	}
	switch {
	case r >= 0xd800 && r <= 0xdbff:
		d.pend = r
	case r >= 0xdc80 && r <= 0xdcff:
		d.sb = append(d.sb, byte(r))
	case r >= 0xdc00 && r <= 0xdfff:
		d.sb = append(d.sb, 0xed, 0x80|byte(r>>6&0x3f), 0x80|byte(r&0x3f))
	default:
		d.sb = utf8.AppendRune(d.sb, r)
	}
}

func (d *decoder) flush() {
	if d.pend != 0 {
		r := d.pend
		d.pend = 0
		d.sb = append(d.sb, 0xed, 0x80|byte(r>>6&0x3f), 0x80|byte(r&0x3f))
	}
}

// literal parses one quoted literal at d.pos into d.sb.
func (d *decoder) literal(raw, isBytes bool) error {
	data := d.data
	start := d.pos
	q := data[d.pos]
	triple := d.pos+2 < len(data) && data[d.pos+1] == q && data[d.pos+2] == q
	if triple {
		d.pos += 3
	} else {
		d.pos++
	}
	for {
		// copy a run of ordinary characters
		i := d.pos
		for i < len(data) {
			c := data[i]
			if c == q || c == '\\' || c == '\n' || c == '\r' || (isBytes && c >= 0x80) {
				break
			}
			i++
		}
		if d.debt.Meter != nil {
			// the run, and what escapes added since the last
			if err := d.chargeSB(i - d.pos); err != nil {
				return err
			}
		}
		if i > d.pos {
			if !isBytes {
				d.flush()
			}
			d.sb = append(d.sb, data[d.pos:i]...)
			d.pos = i
		}
		if i >= len(data) {
			return d.fail(start, "unterminated string literal")
		}
		c := data[i]
		switch {
		case c == q:
			if !triple {
				d.pos++
				return nil
			}
			if i+2 < len(data) && data[i+1] == q && data[i+2] == q {
				d.pos += 3
				return nil
			}
			d.byteOut(c, isBytes)
			d.pos++
		case c == '\n' || c == '\r':
			if !triple {
				return d.fail(start, "unterminated string literal")
			}
			d.newline(isBytes)
		case c >= 0x80: // only in bytes
			return d.fail(i, "bytes can only contain ASCII literal characters")
		case raw:
			// the backslash stays, and the character after it cannot end the literal
			d.byteOut('\\', isBytes)
			d.pos++
			if d.pos >= len(data) {
				return d.fail(start, "unterminated string literal")
			}
			switch n := data[d.pos]; {
			case n == '\n' || n == '\r':
				d.newline(isBytes)
			case n >= 0x80:
				if isBytes {
					return d.fail(d.pos, "bytes can only contain ASCII literal characters")
				}
			default:
				d.byteOut(n, isBytes)
				d.pos++
			}
		default:
			if err := d.escape(isBytes); err != nil {
				return err
			}
		}
	}
}

// chargeSB counts what d.sb holds beyond what was counted, and n bytes about to be added.
func (d *decoder) chargeSB(n int) error {
	n += len(d.sb) - d.sbOwed
	d.sbOwed += n
	return d.charge(n)
}

// newline adds a source newline (\n, \r\n or \r) as "\n", as Python's tokenizer does.
func (d *decoder) newline(isBytes bool) {
	if d.data[d.pos] == '\r' && d.pos+1 < len(d.data) && d.data[d.pos+1] == '\n' {
		d.pos++
	}
	d.pos++
	d.byteOut('\n', isBytes)
}

func (d *decoder) byteOut(c byte, isBytes bool) {
	if !isBytes {
		d.flush()
	}
	d.sb = append(d.sb, c)
}

func hexVal(c byte) int {
	switch {
	case isDigit(c):
		return int(c - '0')
	case c|0x20 >= 'a' && c|0x20 <= 'f':
		return int(c|0x20-'a') + 10
	}
	return -1
}

// escape decodes the backslash escape at d.pos.
func (d *decoder) escape(isBytes bool) error {
	data := d.data
	at := d.pos
	d.pos++
	if d.pos >= len(data) {
		return d.fail(at, "unterminated string literal")
	}
	c := data[d.pos]
	d.pos++
	var r rune
	switch c {
	case '\n':
		return nil
	case '\r':
		if d.pos < len(data) && data[d.pos] == '\n' {
			d.pos++
		}
		return nil
	case '\\', '\'', '"':
		r = rune(c)
	case 'a':
		r = 7
	case 'b':
		r = 8
	case 'f':
		r = 12
	case 'n':
		r = 10
	case 'r':
		r = 13
	case 't':
		r = 9
	case 'v':
		r = 11
	case '0', '1', '2', '3', '4', '5', '6', '7':
		r = rune(c - '0')
		for k := 0; k < 2 && d.pos < len(data) && data[d.pos] >= '0' && data[d.pos] <= '7'; k++ {
			r = r*8 + rune(data[d.pos]-'0')
			d.pos++
		}
		if isBytes {
			r &= 0xff // Python 3.11 keeps the low byte of \400-\777 in bytes
		}
	case 'x', 'u', 'U':
		n := 2
		if !isBytes && c == 'u' {
			n = 4
		} else if !isBytes && c == 'U' {
			n = 8
		} else if c != 'x' {
			// \u and \U are not escapes in bytes
			d.sb = append(d.sb, '\\')
			d.pos--
			return nil
		}
		for k := 0; k < n; k++ {
			if d.pos >= len(data) || hexVal(data[d.pos]) < 0 {
				return d.fail(at, "truncated \\"+string(c)+" escape")
			}
			r = r*16 + rune(hexVal(data[d.pos]))
			d.pos++
		}
		if r > utf8.MaxRune {
			return d.fail(at, "illegal Unicode character in \\U escape")
		}
	case 'N':
		if !isBytes {
			return &DecodeError{at, "\\N{...} escapes are not supported", serializer.ErrUnsupported}
		}
		fallthrough
	default:
		// not an escape: the backslash stays and the character is read normally
		d.byteOut('\\', isBytes)
		d.pos--
		return nil
	}
	if isBytes {
		d.sb = append(d.sb, byte(r))
	} else {
		d.putRune(r)
	}
	return nil
}
