package msgpack

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"github.com/gopyro/pyro/internal/slab"
	"math"
	"math/big"
	"strconv"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

// Unmarshal decodes one msgpack value, which must span all of data, into its canonical Go
// form (see the package documentation). Malformed input, unknown ext codes, trailing bytes
// and invalid UTF-8 in str give an error wrapping serializer.ErrMalformed; nesting deeper
// than serializer.MaxDepth one wrapping serializer.ErrLimit. A length header is checked
// against the rest of the input before anything is allocated for it.
//
// The values decoded from an input of up to 4 KiB share a few allocations, so keeping any
// part of the result keeps all of it alive.
func (Codec) Unmarshal(data []byte) (any, error) { return unmarshal(data, false, nil) }

// UnmarshalOwned is Unmarshal for data handed over (serializer.OwnedDecoder): bin values of
// serializer.AliasMin bytes or more (serializer.Alias) are slices of data, not copies.
func (Codec) UnmarshalOwned(data []byte) (any, error) { return unmarshal(data, true, nil) }

// UnmarshalMetered is UnmarshalOwned charging m for what it makes beyond the data
// (serializer.MeteredDecoder): before making an array, its count times serializer.SlotSize;
// before making a map, its count times serializer.EntrySize; the bytes of each str and bin
// it copies (not of bins left in the data) and of each ext payload; and the header each
// array, str, bin and map takes in Go (a slice's or string's box in an interface, a dict's
// struct). An error from m stops decoding at once and is returned wrapped. A nil m charges
// nothing.
func (Codec) UnmarshalMetered(data []byte, m serializer.Meter) (any, error) {
	return unmarshal(data, true, m)
}

func unmarshal(data []byte, alias bool, m serializer.Meter) (any, error) {
	dec := decoder{data: data, alias: alias, meter: m}
	// A metered decoder allocates value by value, each charged first, rather than the
	// slabs of a small input ahead of the charges.
	if m == nil {
		if n, ok := dec.count(); ok {
			dec.reserve(n)
		}
	}
	v, err := dec.value(0)
	if err != nil {
		return nil, err
	}
	if n := len(data) - dec.pos; n > 0 {
		return nil, fmt.Errorf("msgpack: %d bytes of extra data after the value: %w", n, serializer.ErrMalformed)
	}
	return v, nil
}

// decoder reads the msgpack wire format straight from the input slice (see the package
// documentation for why). It lives on the caller's stack; what it allocates is what the
// decoded value keeps.
//
// The values of a small input share storage: their strs one copy of the input, and the
// items of arrays and the dicts one slab per kind, each allocated once at the size counted
// before decoding. Keeping any part of the decoded value keeps all of it alive,
// which is why larger inputs allocate value by value (in chunks of a few). So do metered
// ones (UnmarshalMetered), whose meter is charged for each value before it is made.
type decoder struct {
	data  []byte
	pos   int
	copy  string           // data as a string, made at the first str of a small input
	alias bool             // data is owned: large bins may be slices of it
	meter serializer.Meter // charged for what is made, if not nil (UnmarshalMetered)

	slots slab.Slab[any] // the items of arrays, carved by list
	dicts slab.Slab[pyval.Dict]
}

// counts are how many values of each kind an input holds, counted before decoding so that
// each slab is allocated once and at its exact size.
type counts struct {
	items, dicts int
}

// count walks a small input without decoding it, each value read only for its header. It gives
// up (false) at malformed input, which value then reports.
func (dec *decoder) count() (counts, bool) {
	var n counts
	if len(dec.data) > smallInput {
		return n, false
	}
	data := dec.data
	pending := 1 // values still to skip; a length header adds its items
	for i := 0; pending > 0 && i < len(data); pending-- {
		c := data[i]
		i++
		var skip int // payload bytes after the header
		switch {
		case c <= 0x7f, c == 0xc0, c == 0xc2, c == 0xc3:
		case c >= 0xe0:
		case c <= 0x8f:
			n.dicts++
			pending += 2 * int(c&0x0f)
		case c <= 0x9f:
			n.items += int(c & 0x0f)
			pending += int(c & 0x0f)
		case c <= 0xbf:
			skip = int(c & 0x1f)
		case c >= 0xd4 && c <= 0xd8:
			skip = 1 + 1<<(c-0xd4)
		case c == 0xc1:
			return n, false
		default:
			size := sizes[c]
			if size > len(data)-i {
				return n, false
			}
			var u uint64
			for _, b := range data[i : i+size] {
				u = u<<8 | uint64(b)
			}
			i += size
			if u > uint64(len(data)-i) { // no length, nor count of items, exceeds what is left
				u = uint64(len(data) - i)
			}
			switch c {
			case 0xca, 0xcb:
			case 0xcc, 0xcd, 0xce, 0xcf, 0xd0, 0xd1, 0xd2, 0xd3:
			case 0xd9, 0xda, 0xdb:
				skip = int(u)
			case 0xc4, 0xc5, 0xc6:
				skip = int(u)
			case 0xc7, 0xc8, 0xc9:
				skip = 1 + int(u)
			case 0xdc, 0xdd:
				n.items += int(u)
				pending += int(u)
			case 0xde, 0xdf:
				n.dicts++
				pending += 2 * int(u)
			}
			if c >= 0xcc && c <= 0xd3 {
			}
		}
		// every value still pending takes at least a byte
		if skip > len(data)-i || pending-1 > len(data)-i-skip {
			return n, false
		}
		i += skip
	}
	return n, pending == 0
}

// reserve allocates the slabs for n values.
func (dec *decoder) reserve(n counts) {
	dec.slots.Reserve(n.items)
	dec.dicts.Reserve(n.dicts)
}

// integer boxes v, from the slab unless the runtime has a static copy of it.
func (dec *decoder) integer(v int64) any {
	if v >= 0 && v < 256 {
		return v
	}
	return any(v)
}

// smallInput is the size up to which the decoded values share storage (see decoder).
const smallInput = 4 << 10

func malformed(format string, args ...any) error {
	return fmt.Errorf("msgpack: "+format+": %w", append(args, serializer.ErrMalformed)...)
}

func errEnd() error { return malformed("unexpected end of data") }

// What a value takes in Go beyond its items, entries or bytes, charged to a meter with them.
const (
	sliceBox = int(unsafe.Sizeof([]any(nil))) // an array's or bin's slice header, boxed in an interface
	strBox   = int(unsafe.Sizeof(""))         // a str's header, boxed
	dictHead = int(unsafe.Sizeof(pyval.Dict{}))
)

// charge charges the meter n bytes for a value about to be made, described by what (a
// format taking its count, for the error).
func (dec *decoder) charge(n int, what string, count int) error {
	if err := dec.meter.Charge(n); err != nil {
		return fmt.Errorf("msgpack: "+what+": %w", count, err)
	}
	return nil
}

// bin returns a checked bin of n bytes: a slice of the data when that is owned and the bin
// large (serializer.Alias), a copy otherwise.
func (dec *decoder) bin(n int) []byte {
	b := dec.take(n)
	if dec.alias && serializer.Alias(n, len(dec.data)) {
		return b
	}
	return bytes.Clone(b)
}

// chargeBin charges the meter for the bin of n bytes bin is about to make: its header, and
// its bytes unless they are left in the data.
func (dec *decoder) chargeBin(n int) error {
	size := sliceBox
	if !dec.alias || !serializer.Alias(n, len(dec.data)) {
		size += n
	}
	return dec.charge(size, "bin of %d bytes", n)
}

// take consumes the next n bytes, or returns nil when fewer are left.
func (dec *decoder) take(n int) []byte {
	if n > len(dec.data)-dec.pos {
		return nil
	}
	b := dec.data[dec.pos : dec.pos+n : dec.pos+n]
	dec.pos += n
	return b
}

// uint reads a big-endian unsigned number of size bytes (1, 2, 4 or 8).
func (dec *decoder) uint(size int) (uint64, bool) {
	b := dec.take(size)
	if b == nil {
		return 0, false
	}
	switch size {
	case 1:
		return uint64(b[0]), true
	case 2:
		return uint64(binary.BigEndian.Uint16(b)), true
	case 4:
		return uint64(binary.BigEndian.Uint32(b)), true
	}
	return binary.BigEndian.Uint64(b), true
}

func (dec *decoder) check(u uint64, per int, what string) (int, error) {
	if left := len(dec.data) - dec.pos; u > uint64(left/per) {
		return 0, malformed("%s of length %d but only %d bytes left", what, u, left)
	}
	return int(u), nil
}

// sizes of the length or number that follows each type byte from 0xc4 (bin 8) on.
var sizes = [...]int{
	0xc4: 1, 0xc5: 2, 0xc6: 4, // bin
	0xc7: 1, 0xc8: 2, 0xc9: 4, // ext
	0xca: 4, 0xcb: 8, // float
	0xcc: 1, 0xcd: 2, 0xce: 4, 0xcf: 8, // uint
	0xd0: 1, 0xd1: 2, 0xd2: 4, 0xd3: 8, // int
	0xd9: 1, 0xda: 2, 0xdb: 4, // str
	0xdc: 2, 0xdd: 4, // array
	0xde: 2, 0xdf: 4, // map
}

func (dec *decoder) value(depth int) (any, error) {
	if dec.pos >= len(dec.data) {
		return nil, errEnd()
	}
	c := dec.data[dec.pos]
	dec.pos++
	switch {
	case c <= 0x7f:
		return int64(c), nil
	case c >= 0xe0:
		return dec.integer(int64(int8(c))), nil
	case c <= 0x8f:
		return dec.dict(int(c&0x0f), depth)
	case c <= 0x9f:
		return dec.array(int(c&0x0f), depth)
	case c <= 0xbf:
		return dec.str(int(c & 0x1f))
	}
	switch c {
	case 0xc0:
		return nil, nil
	case 0xc2:
		return false, nil
	case 0xc3:
		return true, nil
	case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8: // fixext 1, 2, 4, 8, 16
		return dec.ext(1 << (c - 0xd4))
	case 0xc1:
		return nil, malformed("invalid type code 0x%02x", c)
	}
	size := sizes[c]
	u, ok := dec.uint(size)
	if !ok {
		return nil, errEnd()
	}
	switch c {
	case 0xca:
		return any(float64(math.Float32frombits(uint32(u)))), nil
	case 0xcb:
		return any(math.Float64frombits(u)), nil
	case 0xcc, 0xcd, 0xce, 0xcf:
		if u > math.MaxInt64 {
			return new(big.Int).SetUint64(u), nil
		}
		return dec.integer(int64(u)), nil
	case 0xd0:
		return dec.integer(int64(int8(u))), nil
	case 0xd1:
		return dec.integer(int64(int16(u))), nil
	case 0xd2:
		return dec.integer(int64(int32(u))), nil
	case 0xd3:
		return dec.integer(int64(u)), nil
	case 0xd9, 0xda, 0xdb:
		n, err := dec.check(u, 1, "str")
		if err != nil {
			return nil, err
		}
		return dec.str(n)
	case 0xc4, 0xc5, 0xc6:
		n, err := dec.check(u, 1, "bin")
		if err != nil {
			return nil, err
		}
		if dec.meter != nil {
			if err := dec.chargeBin(n); err != nil {
				return nil, err
			}
		}
		return dec.bin(n), nil
	case 0xc7, 0xc8, 0xc9:
		return dec.ext(u)
	case 0xdc, 0xdd:
		return dec.array(int(u), depth)
	}
	return dec.dict(int(u), depth) // 0xde, 0xdf
}

func (dec *decoder) array(n, depth int) (any, error) {
	l, err := dec.items(n, depth)
	if err != nil {
		return nil, err
	}
	return any(l), nil
}

// items reads the n items of an array.
func (dec *decoder) items(n, depth int) ([]any, error) {
	if depth >= serializer.MaxDepth {
		return nil, depthError()
	}
	if _, err := dec.check(uint64(n), 1, "array"); err != nil {
		return nil, err
	}
	if dec.meter != nil {
		if err := dec.charge(n*serializer.SlotSize+sliceBox, "array of %d items", n); err != nil {
			return nil, err
		}
	}
	l := dec.list(n)
	for i := range l {
		var err error
		if l[i], err = dec.value(depth + 1); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// list returns a fresh []any of length n from the items slab, full to capacity so that
// appending to it cannot reach a neighbour.
func (dec *decoder) list(n int) []any {
	if n == 0 {
		return []any{}
	}
	return dec.slots.Take(n)
}

func (dec *decoder) dict(n, depth int) (any, error) {
	if depth >= serializer.MaxDepth {
		return nil, depthError()
	}
	if _, err := dec.check(uint64(n), 2, "map"); err != nil {
		return nil, err
	}
	if dec.meter != nil {
		if err := dec.charge(n*serializer.EntrySize+dictHead, "map of %d entries", n); err != nil {
			return nil, err
		}
	}
	// The dict itself lives in the slab; only its items are allocated.
	m := dec.dicts.Slot()
	*m = *pyval.NewDict(n)
	for range n {
		k, err := dec.value(depth + 1)
		if err != nil {
			return nil, err
		}
		if k, err = dec.hashable(k, 0); err != nil {
			return nil, err
		}
		v, err := dec.value(depth + 1)
		if err != nil {
			return nil, err
		}
		m.Set(k, v)
	}
	return m, nil
}

func (dec *decoder) str(n int) (any, error) {
	s, err := dec.text(n)
	if err != nil {
		return nil, err
	}
	return any(s), nil
}

// text reads a str payload of n bytes.
func (dec *decoder) text(n int) (string, error) {
	b := dec.take(n)
	if b == nil {
		return "", malformed("str of length %d but only %d bytes left", n, len(dec.data)-dec.pos)
	}
	small := len(dec.data) <= smallInput
	if dec.meter != nil {
		size := strBox // the box str gives it
		if !small {
			size += n
		} else if dec.copy == "" {
			size += len(dec.data)
		}
		if err := dec.charge(size, "str of %d bytes", n); err != nil {
			return "", err
		}
	}
	var s string
	if small {
		if dec.copy == "" {
			dec.copy = string(dec.data)
		}
		s = dec.copy[dec.pos-n : dec.pos]
	} else {
		s = string(b)
	}
	if !utf8.ValidString(s) {
		return "", malformed("str is not valid UTF-8")
	}
	return s, nil
}

// maxKeyNesting bounds the nesting of arrays used as map keys: ((1, 2), 3) is fine. Python
// cannot read tuple keys at all (strict_map_key), and pyval's hashing of tuple keys costs
// time exponential in their nesting, which hostile input must not control.
const maxKeyNesting = 2

// hashable makes a decoded map key usable as a Python dict key: arrays become tuples (Python
// packs tuple keys as arrays), maps are refused as Python would refuse them.
func (dec *decoder) hashable(k any, level int) (any, error) {
	switch x := k.(type) {
	case []any:
		if level >= maxKeyNesting {
			return nil, fmt.Errorf("msgpack: map key nests arrays more than %d deep: %w", maxKeyNesting, serializer.ErrLimit)
		}
		if dec.meter != nil {
			if err := dec.charge(len(x)*serializer.SlotSize+sliceBox, "tuple key of %d items", len(x)); err != nil {
				return nil, err
			}
		}
		t := make(pyval.Tuple, len(x))
		for i, e := range x {
			var err error
			if t[i], err = dec.hashable(e, level+1); err != nil {
				return nil, err
			}
		}
		return t, nil
	case *pyval.Dict:
		return nil, malformed("map used as a map key is unhashable")
	}
	return k, nil
}

// ext reads an ext type byte and a payload of u bytes.
func (dec *decoder) ext(u uint64) (any, error) {
	t := dec.take(1)
	if t == nil {
		return nil, errEnd()
	}
	code := int8(t[0])
	n, err := dec.check(u, 1, "ext")
	if err != nil {
		return nil, err
	}
	// Lengths and codes are checked before the payload is read.
	switch code {
	case ExtComplex, ExtDateTime, ExtDate:
		want := 8
		if code == ExtComplex {
			want = 16
		}
		if n != want {
			return nil, malformed("ext 0x%02x payload of %d bytes, want %d", code, n, want)
		}
	case ExtBigInt:
	case -1:
		return nil, malformed("msgpack timestamp (ext -1) is not a Pyro4 type")
	default:
		return nil, malformed("invalid ext code for Pyro4 msgpack: %d", code)
	}
	if dec.meter != nil {
		if err := dec.charge(n, "ext of %d bytes", n); err != nil {
			return nil, err
		}
	}
	p := dec.take(n)
	switch code {
	case ExtComplex:
		return complex(getFloat(p[:8]), getFloat(p[8:])), nil
	case ExtBigInt:
		return parseInt(p)
	case ExtDateTime:
		return dateTime(getFloat(p))
	default:
		d, err := pyval.DateFromOrdinal(int64(binary.LittleEndian.Uint64(p)))
		if err != nil {
			return nil, malformed("ext 0x33: %v", err)
		}
		return d, nil
	}
}

// parseInt reads ext 0x31 text as Python's int(bytes) does: surrounding ASCII whitespace,
// an optional sign, decimal digits with single underscores between them.
func parseInt(p []byte) (any, error) {
	s := p
	for len(s) > 0 && isSpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	digits := make([]byte, 0, len(s))
	if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
		if s[0] == '-' {
			digits = append(digits, '-')
		}
		s = s[1:]
	}
	prevDigit := false
	for _, ch := range s {
		switch {
		case ch >= '0' && ch <= '9':
			digits = append(digits, ch)
			prevDigit = true
		case ch == '_' && prevDigit:
			prevDigit = false
		default:
			return nil, malformed("ext 0x31 payload %.40q is not a decimal int", p)
		}
	}
	if !prevDigit {
		return nil, malformed("ext 0x31 payload %.40q is not a decimal int", p)
	}
	text := string(digits)
	if nd := len(text) - boolInt(text[0] == '-'); nd > maxIntDigits {
		return nil, malformed("ext 0x31 int of %d digits exceeds Python's %d-digit limit", nd, maxIntDigits)
	}
	if i, err := strconv.ParseInt(text, 10, 64); err == nil {
		return i, nil
	}
	b, ok := new(big.Int).SetString(text, 10)
	if !ok {
		return nil, malformed("ext 0x31 payload %.40q is not a decimal int", p)
	}
	return b, nil
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// dateTime reads a POSIX timestamp as Python's datetime.fromtimestamp(ts) does: microseconds
// rounded half to even, the result in local time.
func dateTime(ts float64) (any, error) {
	if math.IsNaN(ts) || math.IsInf(ts, 0) {
		return nil, malformed("ext 0x32 timestamp %v is not finite", ts)
	}
	sec, frac := math.Modf(ts)
	us := math.RoundToEven(frac * 1e6)
	if us >= 1e6 {
		us -= 1e6
		sec++
	} else if us < 0 {
		us += 1e6
		sec--
	}
	// a year of 9999 is 2.5e11 seconds away; beyond 1e12 int64 nanoseconds would overflow
	if math.Abs(sec) > 1e12 {
		return nil, malformed("ext 0x32 timestamp %v is out of datetime's range", ts)
	}
	t := time.Unix(int64(sec), int64(us)*1000).Local()
	// CPython also converts the time a day earlier (to detect a DST fold), which must be
	// a valid datetime too: so 0001-01-01 itself is refused.
	if t.Year() > 9999 || time.Unix(int64(sec)-24*3600, 0).Local().Year() < 1 {
		return nil, malformed("ext 0x32 timestamp %v is out of datetime's range", ts)
	}
	return t, nil
}
