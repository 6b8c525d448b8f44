package json

import (
	"errors"
	"fmt"
	"github.com/gopyro/pyro/internal/slab"
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
//
// The values decoded from an input of up to 4 KiB share a few allocations, so keeping any
// part of the result keeps all of it alive.
func Unmarshal(data []byte) (any, error) { return unmarshal(data, nil) }

// UnmarshalMetered is Unmarshal charging m for what it makes (serializer.MeteredDecoder):
// serializer.SlotSize for each array item and serializer.EntrySize for each object member
// as it is added, the length of each str and the digits of each int too long for an int64.
// When m refuses a charge, decoding stops with an error wrapping m's. A nil m charges
// nothing.
func UnmarshalMetered(data []byte, m serializer.Meter) (any, error) { return unmarshal(data, m) }

func unmarshal(data []byte, m serializer.Meter) (any, error) {
	d := decoder{data: data, debt: serializer.Debt{Meter: m, Batch: meterBatch}}
	if n, ok := d.count(); ok {
		d.reserve(n)
	}
	d.space()
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	d.space()
	if d.pos != len(d.data) {
		return nil, d.malformed("extra data after the value")
	}
	if d.debt.Meter != nil {
		if err := d.settle(); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// decoder is the state of one Unmarshal, on the caller's stack.
//
// The values of a small input share storage: their strs one copy of the input (unless
// escaped), and the items of arrays and the dicts one slab per kind, each
// allocated once at the size counted before decoding. Keeping any part of the decoded value
// keeps all of it alive, which is why larger inputs allocate value by value (in chunks of a
// few).
type decoder struct {
	data []byte
	pos  int
	buf  []byte // scratch for strings with escapes
	copy string // data as a string, made at the first str of a small input

	sizes [tracked]int32 // items of the first containers, in document order
	known int            // how many of sizes were counted
	next  int            // index of the next container value opens

	slots slab.Slab[any] // the items of arrays, carved by list
	dicts slab.Slab[pyval.Dict]

	debt serializer.Debt // charges the meter, if any, for what is made
}

// meterBatch is what the decoder makes before it charges the meter: an array is charged
// every 256 items as it grows.
const meterBatch = 4 << 10

// charge owes the meter n bytes for what is being made, charging it once a batch has
// gathered. Only for a decoder with a meter.
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
	return fmt.Errorf("json: the value decoded by offset %d exceeds the memory allowed: %w", d.pos, err)
}

// smallInput is the size up to which the decoded values share storage.
const smallInput = 4 << 10

// tracked is how many containers count records the size of, and maxOpen how deep it follows
// them: deeper inputs are decoded without slabs.
const (
	tracked = 32
	maxOpen = 64
)

// counts are how many values of each kind an input holds.
type counts struct{ items, dicts int }

// count walks a small input without decoding it, counting the values of each kind and the
// items of the first containers. It gives up (false) at malformed input, which value then
// reports; its counts are only sizes to allocate, each at most one per input byte.
func (d *decoder) count() (counts, bool) {
	var n counts
	data := d.data
	if len(data) > smallInput {
		return n, false
	}
	var open [maxOpen]int32 // for each open container, its index in sizes or -1
	var array [maxOpen]bool
	depth, containers := 0, 0
	for i := 0; i < len(data); i++ {
		cl := classes[data[i]]
		if cl == other {
			continue
		}
		if cl >= quote && depth > 0 && array[depth-1] {
			n.items++
			if k := open[depth-1]; k >= 0 {
				d.sizes[k]++
			}
		}
		switch cl {
		case colon:
			if depth > 0 && !array[depth-1] {
				if k := open[depth-1]; k >= 0 {
					d.sizes[k]++
				}
			}
		case closing:
			if depth == 0 {
				return n, false
			}
			depth--
		case quote:
			for i++; i < len(data) && data[i] != '"'; i++ {
				if data[i] == '\\' {
					i++
				}
			}
			if i >= len(data) {
				return n, false
			}
		case opening:
			if depth == maxOpen {
				return n, false
			}
			if data[i] == '[' {
			} else {
				n.dicts++
			}
			open[depth], array[depth] = -1, data[i] == '['
			if containers < tracked {
				open[depth] = int32(containers)
			}
			containers++
			depth++
		case word:
			// true, false, null, NaN, Infinity: skip all but the first letter
			switch data[i] {
			case 'N', 'I':
			}
			for i+1 < len(data) && classes[data[i+1]] == word {
				i++
			}
		case number:
			if data[i] == '-' && i+1 < len(data) && data[i+1] == 'I' {
				continue // -Infinity, counted at the I
			}
			j, float := i+1, false
		digits:
			for ; j < len(data); j++ {
				switch data[j] {
				case '.', 'e', 'E':
					float = true
				case '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '+', '-':
				default:
					break digits
				}
			}
			if float {
			} else if data[i] == '-' || j-i > 2 { // perhaps outside the runtime's static 0..255
			}
			i = j - 1
		}
	}
	if depth != 0 {
		return n, false
	}
	d.known = min(containers, tracked)
	return n, true
}

// reserve allocates the slabs for n values.
func (d *decoder) reserve(n counts) {
	d.slots.Reserve(n.items)
	d.dicts.Reserve(n.dicts)
}

// Classes of bytes for count; those from quote on start a value.
const (
	other = iota
	colon
	closing
	quote
	opening
	word
	number
)

var classes = func() (t [256]uint8) {
	t[':'] = colon
	t[']'], t['}'] = closing, closing
	t['"'] = quote
	t['['], t['{'] = opening, opening
	for _, c := range "tfnNIaeilrsuy" { // the letters of true, false, null, NaN, Infinity
		t[c] = word
	}
	for _, c := range "-0123456789" {
		t[c] = number
	}
	return t
}()

// size returns the counted items of the container value is opening, or -1.
func (d *decoder) size() int {
	i := d.next
	d.next++
	if i < d.known {
		return int(d.sizes[i])
	}
	return -1
}

// list returns a fresh []any of length n from the items slab, full to capacity so that
// appending to it cannot reach a neighbour.
func (d *decoder) list(n int) []any {
	return d.slots.Take(n)
}

// integer boxes v, from the slab unless the runtime has a static copy of it.
func (d *decoder) integer(v int64) any {
	if v >= 0 && v < 256 {
		return v
	}
	return any(v)
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
		s, err := d.str()
		if err != nil {
			return nil, err
		}
		return any(s), nil
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
			return any(math.NaN()), nil
		}
	case 'I':
		if d.literal("Infinity") {
			return any(math.Inf(1)), nil
		}
	case '-':
		if d.literal("-Infinity") {
			return any(math.Inf(-1)), nil
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
	n := d.size()
	// The dict itself lives in the slab; only its items are allocated.
	dict := d.dicts.Slot()
	*dict = *pyval.NewDict(max(n, 0))
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
		if d.debt.Meter != nil {
			if err := d.charge(serializer.EntrySize); err != nil {
				return nil, err
			}
		}
		dict.Set(any(key), val)
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
	l, err := d.items(depth)
	if err != nil {
		return nil, err
	}
	return any(l), nil
}

// items reads the items of an array after its '['. They go in a slice of the counted size
// when there is one, else one grown by append.
func (d *decoder) items(depth int) ([]any, error) {
	var list []any
	if n := d.size(); n > 0 {
		list = d.list(n)
	}
	k := 0 // items read
	d.space()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		return []any{}, nil
	}
	for {
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		if d.debt.Meter != nil {
			if err := d.charge(serializer.SlotSize); err != nil {
				return nil, err
			}
		}
		if k < len(list) {
			list[k] = v
		} else {
			list = append(list[:k], v)
		}
		k++
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
			return list[:k:k], nil
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
	if isFloat {
		f, err := strconv.ParseFloat(string(d.data[start:i]), 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			d.pos = start
			return nil, d.malformed(fmt.Sprintf("bad number %q", d.data[start:i]))
		}
		return any(f), nil
	}
	if n := intEnd - digitsAt; n <= 18 {
		var x int64
		for _, c := range d.data[digitsAt:intEnd] {
			x = x*10 + int64(c-'0')
		}
		if d.data[start] == '-' {
			x = -x
		}
		return d.integer(x), nil
	} else if n > maxIntDigits {
		d.pos = start
		return nil, fmt.Errorf("json: int of %d digits at offset %d exceeds Python's limit of %d: %w", n, start, maxIntDigits, serializer.ErrLimit)
	} else if d.debt.Meter != nil {
		if err := d.charge(n); err != nil {
			return nil, err
		}
	}
	text := string(d.data[start:i])
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
		if plain[c] {
			i++
			continue
		}
		switch {
		case c == '"':
			d.pos = i + 1
			if d.debt.Meter != nil && i > start {
				if err := d.charge(i - start); err != nil {
					return "", err
				}
			}
			if len(d.data) > smallInput {
				return string(d.data[start:i]), nil
			}
			if d.copy == "" {
				d.copy = string(d.data)
			}
			return d.copy[start:i], nil
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

// plain marks the bytes a str may hold as they are: printable ASCII but '"' and '\\'.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// strEscaped finishes a string whose first escape is at i.
func (d *decoder) strEscaped(start, i int) (string, error) {
	buf := append(d.buf[:0], d.data[start:i]...)
	defer func() { d.buf = buf[:0] }()
	for i < len(d.data) {
		c := d.data[i]
		switch {
		case c == '"':
			d.pos = i + 1
			if d.debt.Meter != nil {
				if err := d.charge(len(buf)); err != nil {
					return "", err
				}
			}
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
