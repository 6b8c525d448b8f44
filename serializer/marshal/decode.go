package marshal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

// Type codes of CPython's marshal format (Python/marshal.c).
const (
	codeNull               = '0'
	codeNone               = 'N'
	codeFalse              = 'F'
	codeTrue               = 'T'
	codeStopIter           = 'S'
	codeEllipsis           = '.'
	codeInt                = 'i'
	codeInt64              = 'I' // only written by Python 2, still read by Python 3
	codeFloat              = 'f'
	codeBinaryFloat        = 'g'
	codeComplex            = 'x'
	codeBinaryComplex      = 'y'
	codeLong               = 'l'
	codeString             = 's' // bytes
	codeInterned           = 't'
	codeRef                = 'r'
	codeTuple              = '('
	codeSmallTuple         = ')'
	codeList               = '['
	codeDict               = '{'
	codeCode               = 'c'
	codeUnicode            = 'u'
	codeUnknown            = '?'
	codeSet                = '<'
	codeFrozenset          = '>'
	codeASCII              = 'a'
	codeASCIIInterned      = 'A'
	codeShortASCII         = 'z'
	codeShortASCIIInterned = 'Z'

	flagRef = 0x80
)

// Back-references let a small input describe a huge tree (each level of lists referring twice
// to the level below doubles it). Decoding shares the referenced values and stays linear, but
// whoever walks the result would not, so the expanded size (nodes plus string and bytes lengths,
// as if every reference were copied) is bounded by baseExpansion plus expansionFactor times the
// input length. Input without references always fits: each node costs at least one byte.
const (
	baseExpansion   = 1 << 20
	expansionFactor = 16
)

// Unmarshal decodes one marshal value into its canonical pyval form. The whole input must be
// that one value. Malformed input gives an error wrapping serializer.ErrMalformed, nesting
// beyond serializer.MaxDepth or back-references expanding beyond a multiple of the input size
// serializer.ErrLimit, and marshal types Pyro never carries (code objects, Ellipsis,
// StopIteration, self-containing structures) serializer.ErrUnsupported.
func Unmarshal(data []byte) (any, error) { return unmarshal(data, false, nil) }

// UnmarshalOwned is Unmarshal for data handed over (serializer.OwnedDecoder): bytes values of
// serializer.AliasMin bytes or more (serializer.Alias) are slices of data, not copies.
func UnmarshalOwned(data []byte) (any, error) { return unmarshal(data, true, nil) }

// UnmarshalMetered is UnmarshalOwned charging m for what it makes beyond the data
// (serializer.MeteredDecoder): serializer.SlotSize for each item of a tuple, list, set or
// frozenset, before the items are allocated, serializer.EntrySize for each dict entry, the
// length of each str and of each bytes value it copies, and the size of a big int's words.
// When m refuses a charge, decoding stops with an error wrapping m's. A nil m charges
// nothing.
func UnmarshalMetered(data []byte, m serializer.Meter) (any, error) { return unmarshal(data, true, m) }

func unmarshal(data []byte, alias bool, m serializer.Meter) (any, error) {
	d := decoder{data: data, limit: baseExpansion + expansionFactor*len(data), alias: alias, debt: serializer.Debt{Meter: m, Batch: meterBatch}}
	v, _, err := d.value(0)
	if err != nil {
		return nil, err
	}
	if v == null {
		return nil, d.malformed("NULL object where a value is expected")
	}
	if d.pos != len(d.data) {
		return nil, d.malformed(fmt.Sprintf("%d bytes of trailing data", len(d.data)-d.pos))
	}
	if d.debt.Meter != nil {
		if err := d.settle(); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// nullMarker is what TYPE_NULL decodes to: the end of a dict, an error anywhere else.
type nullMarker struct{}

var null any = nullMarker{}

// ref is one entry of the reference table. busy marks a container still being decoded: a
// reference to it would build a cycle, which no canonical value may contain.
type ref struct {
	v    any
	w    int
	busy bool
}

type decoder struct {
	data  []byte
	pos   int
	refs  []ref
	limit int
	alias bool // data is owned: large bytes may be slices of it

	debt serializer.Debt // charges the meter, if any, for what is made
}

// meterBatch is what the decoder makes before it charges the meter: small values are
// charged together, anything larger before it is allocated.
const meterBatch = 4 << 10

// charge owes the meter n bytes for what is about to be made, charging it once a batch has
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
	return fmt.Errorf("marshal: the value decoded by offset %d exceeds the memory allowed: %w", d.pos, err)
}

func (d *decoder) malformed(msg string) error {
	return fmt.Errorf("marshal: %s at offset %d: %w", msg, d.pos, serializer.ErrMalformed)
}

var errEOF = errors.New("unexpected end of data")

func (d *decoder) need(n int) ([]byte, error) {
	if n < 0 || n > len(d.data)-d.pos {
		return nil, fmt.Errorf("marshal: need %d bytes at offset %d, have %d: %w", n, d.pos, len(d.data)-d.pos, serializer.ErrMalformed)
	}
	b := d.data[d.pos : d.pos+n]
	d.pos += n
	return b, nil
}

func (d *decoder) byte() (byte, error) {
	if d.pos >= len(d.data) {
		return 0, fmt.Errorf("marshal: %w at offset %d: %w", errEOF, d.pos, serializer.ErrMalformed)
	}
	c := d.data[d.pos]
	d.pos++
	return c, nil
}

func (d *decoder) int32() (int32, error) {
	b, err := d.need(4)
	if err != nil {
		return 0, err
	}
	return int32(binary.LittleEndian.Uint32(b)), nil
}

// count reads a container or string length and checks that the rest of the input can hold
// that many items of at least minSize bytes each, before anything is allocated for them.
func (d *decoder) count(minSize int) (int, error) {
	n, err := d.int32()
	if err != nil {
		return 0, err
	}
	if n < 0 {
		return 0, d.malformed(fmt.Sprintf("negative size %d", n))
	}
	if int(n) > (len(d.data)-d.pos)/minSize {
		return 0, d.malformed(fmt.Sprintf("size %d exceeds the remaining %d bytes", n, len(d.data)-d.pos))
	}
	return int(n), nil
}

// weigh adds a child's expanded size to its container's and enforces the expansion limit.
func (d *decoder) weigh(total, w int) (int, error) {
	total += w
	if total > d.limit {
		return 0, fmt.Errorf("marshal: back-references expand the data beyond %d nodes and bytes: %w", d.limit, serializer.ErrLimit)
	}
	return total, nil
}

// value decodes one object and returns it with its expanded size.
func (d *decoder) value(depth int) (any, int, error) {
	if depth > serializer.MaxDepth {
		return nil, 0, fmt.Errorf("marshal: nesting deeper than %d at offset %d: %w", serializer.MaxDepth, d.pos, serializer.ErrLimit)
	}
	start := d.pos
	c, err := d.byte()
	if err != nil {
		return nil, 0, err
	}
	raw := c
	flag := c&flagRef != 0
	c &^= flagRef

	// Singletons never enter the reference table, flag or not (as in CPython).
	switch c {
	case codeNull:
		return null, 0, nil
	case codeNone:
		return nil, 1, nil
	case codeFalse:
		return false, 1, nil
	case codeTrue:
		return true, 1, nil
	case codeRef:
		return d.backRef()
	case codeTuple, codeSmallTuple, codeList, codeDict, codeSet, codeFrozenset:
		return d.container(c, flag, depth)
	case codeStopIter, codeEllipsis, codeCode:
		d.pos = start
		return nil, 0, fmt.Errorf("marshal: type code %q (%s) at offset %d: %w", rune(c), codeName(c), start, serializer.ErrUnsupported)
	}
	v, w, err := d.scalar(c)
	if err != nil {
		if err == errBadCode {
			d.pos = start
			return nil, 0, d.malformed(fmt.Sprintf("unknown type code 0x%02x", raw))
		}
		return nil, 0, err
	}
	if flag {
		d.refs = append(d.refs, ref{v: v, w: w})
	}
	return v, w, nil
}

func codeName(c byte) string {
	switch c {
	case codeStopIter:
		return "StopIteration"
	case codeEllipsis:
		return "Ellipsis"
	case codeCode:
		return "code object"
	}
	return "?"
}

var errBadCode = errors.New("bad code")

func (d *decoder) backRef() (any, int, error) {
	at := d.pos - 1
	n, err := d.int32()
	if err != nil {
		return nil, 0, err
	}
	if n < 0 || int(n) >= len(d.refs) {
		d.pos = at
		return nil, 0, d.malformed(fmt.Sprintf("back-reference %d outside the table of %d", n, len(d.refs)))
	}
	r := d.refs[n]
	if r.busy {
		d.pos = at
		return nil, 0, fmt.Errorf("marshal: back-reference %d at offset %d makes a container contain itself: %w", n, at, serializer.ErrUnsupported)
	}
	return r.v, r.w, nil
}

// scalar decodes the non-container types; errBadCode for a code it does not know.
func (d *decoder) scalar(c byte) (any, int, error) {
	switch c {
	case codeInt:
		n, err := d.int32()
		return int64(n), 1, err
	case codeInt64:
		b, err := d.need(8)
		if err != nil {
			return nil, 0, err
		}
		return int64(binary.LittleEndian.Uint64(b)), 1, nil
	case codeLong:
		return d.long()
	case codeBinaryFloat:
		b, err := d.need(8)
		if err != nil {
			return nil, 0, err
		}
		return math.Float64frombits(binary.LittleEndian.Uint64(b)), 1, nil
	case codeBinaryComplex:
		b, err := d.need(16)
		if err != nil {
			return nil, 0, err
		}
		re := math.Float64frombits(binary.LittleEndian.Uint64(b))
		im := math.Float64frombits(binary.LittleEndian.Uint64(b[8:]))
		return complex(re, im), 1, nil
	case codeFloat:
		f, err := d.textFloat()
		return f, 1, err
	case codeComplex:
		re, err := d.textFloat()
		if err != nil {
			return nil, 0, err
		}
		im, err := d.textFloat()
		return complex(re, im), 1, err
	case codeString:
		n, err := d.count(1)
		if err != nil {
			return nil, 0, err
		}
		b, _ := d.need(n)
		if d.alias && serializer.Alias(n, len(d.data)) {
			return b[:n:n], 1 + n, nil
		}
		if d.debt.Meter != nil {
			if err := d.charge(n); err != nil {
				return nil, 0, err
			}
		}
		return append([]byte{}, b...), 1 + n, nil
	case codeUnicode, codeInterned:
		n, err := d.count(1)
		if err != nil {
			return nil, 0, err
		}
		at := d.pos
		b, _ := d.need(n)
		if d.debt.Meter != nil {
			if err := d.charge(n); err != nil {
				return nil, 0, err
			}
		}
		s := string(b)
		if !validPyUTF8(s) {
			d.pos = at
			return nil, 0, d.malformed("str is not UTF-8")
		}
		return s, 1 + n, nil
	case codeASCII, codeASCIIInterned:
		n, err := d.count(1)
		if err != nil {
			return nil, 0, err
		}
		b, _ := d.need(n)
		if d.debt.Meter != nil {
			return d.latin1Metered(b)
		}
		return latin1(b), 1 + n, nil
	case codeShortASCII, codeShortASCIIInterned:
		n, err := d.byte()
		if err != nil {
			return nil, 0, err
		}
		b, err := d.need(int(n))
		if err != nil {
			return nil, 0, err
		}
		if d.debt.Meter != nil {
			return d.latin1Metered(b)
		}
		return latin1(b), 1 + int(n), nil
	}
	return nil, 0, errBadCode
}

// latin1Metered is latin1 charging the meter for the string, as scalar returns it.
func (d *decoder) latin1Metered(b []byte) (any, int, error) {
	if err := d.charge(len(b)); err != nil {
		return nil, 0, err
	}
	s := latin1(b)
	if len(s) > len(b) { // two bytes for each non-ASCII one
		if err := d.charge(len(s) - len(b)); err != nil {
			return nil, 0, err
		}
	}
	return s, 1 + len(b), nil
}

// latin1 converts the bytes of an "ASCII" string, which CPython reads as Latin-1.
func latin1(b []byte) string {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			var sb strings.Builder
			sb.Grow(2 * len(b))
			for _, c := range b {
				sb.WriteRune(rune(c))
			}
			return sb.String()
		}
	}
	return string(b)
}

// long decodes TYPE_LONG: a signed digit count, then base-2**15 digits, least significant first.
func (d *decoder) long() (any, int, error) {
	at := d.pos - 1
	n, err := d.int32()
	if err != nil {
		return nil, 0, err
	}
	neg := n < 0
	size := int(n)
	if neg {
		size = -size
	}
	if size > (len(d.data)-d.pos)/2 {
		return nil, 0, d.malformed(fmt.Sprintf("int of %d digits exceeds the remaining %d bytes", size, len(d.data)-d.pos))
	}
	b, _ := d.need(2 * size)
	for i := 0; i < size; i++ {
		if binary.LittleEndian.Uint16(b[2*i:]) >= 1<<15 {
			d.pos = at
			return nil, 0, d.malformed("int digit out of range")
		}
	}
	if size > 0 && binary.LittleEndian.Uint16(b[2*size-2:]) == 0 {
		d.pos = at
		return nil, 0, d.malformed("unnormalized int")
	}
	if size <= 4 { // at most 60 bits: fits int64 directly
		var x int64
		for i := size - 1; i >= 0; i-- {
			x = x<<15 | int64(binary.LittleEndian.Uint16(b[2*i:]))
		}
		if neg {
			x = -x
		}
		return x, 1, nil
	}
	nw := (size*15 + bits.UintSize - 1) / bits.UintSize
	if d.debt.Meter != nil {
		if err := d.charge(nw * (bits.UintSize / 8)); err != nil {
			return nil, 0, err
		}
	}
	words := make([]big.Word, nw)
	for i := 0; i < size; i++ {
		digit := big.Word(binary.LittleEndian.Uint16(b[2*i:]))
		bit := i * 15
		w, off := bit/bits.UintSize, uint(bit%bits.UintSize)
		words[w] |= digit << off
		if off > bits.UintSize-15 {
			words[w+1] |= digit >> (bits.UintSize - off)
		}
	}
	x := new(big.Int).SetBits(words)
	if neg {
		x.Neg(x)
	}
	if x.IsInt64() {
		return x.Int64(), 1, nil
	}
	return x, 1 + size, nil
}

// textFloat decodes the old text float form: a one-byte length, then what Python's float()
// accepts without spaces or underscores.
func (d *decoder) textFloat() (float64, error) {
	n, err := d.byte()
	if err != nil {
		return 0, err
	}
	at := d.pos
	b, err := d.need(int(n))
	if err != nil {
		return 0, err
	}
	f, ok := parsePyFloat(string(b))
	if !ok {
		d.pos = at
		return 0, d.malformed(fmt.Sprintf("bad float text %q", b))
	}
	return f, nil
}

// parsePyFloat parses the decimal, inf and nan forms of PyOS_string_to_double. Go's
// ParseFloat alone would also take hex floats and underscores, and refuses a signed nan.
func parsePyFloat(s string) (float64, bool) {
	body := s
	neg := false
	if body != "" && (body[0] == '+' || body[0] == '-') {
		neg = body[0] == '-'
		body = body[1:]
	}
	switch strings.ToLower(body) {
	case "nan":
		return math.NaN(), true
	case "inf", "infinity":
		if neg {
			return math.Inf(-1), true
		}
		return math.Inf(1), true
	}
	digits, i := 0, 0
	for i < len(body) && body[i] >= '0' && body[i] <= '9' {
		i, digits = i+1, digits+1
	}
	if i < len(body) && body[i] == '.' {
		i++
		for i < len(body) && body[i] >= '0' && body[i] <= '9' {
			i, digits = i+1, digits+1
		}
	}
	if digits == 0 {
		return 0, false
	}
	if i < len(body) && (body[i] == 'e' || body[i] == 'E') {
		i++
		if i < len(body) && (body[i] == '+' || body[i] == '-') {
			i++
		}
		exp := 0
		for i < len(body) && body[i] >= '0' && body[i] <= '9' {
			i, exp = i+1, exp+1
		}
		if exp == 0 {
			return 0, false
		}
	}
	if i != len(body) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false
	}
	return f, true
}

// container decodes tuples, lists, dicts, sets and frozensets. A flagged container takes its
// reference index before its items, as CPython numbers them.
func (d *decoder) container(c byte, flag bool, depth int) (any, int, error) {
	var n int
	var err error
	switch c {
	case codeSmallTuple:
		var b byte
		b, err = d.byte()
		n = int(b)
		if err == nil && n > len(d.data)-d.pos {
			err = d.malformed(fmt.Sprintf("tuple of %d exceeds the remaining %d bytes", n, len(d.data)-d.pos))
		}
	case codeDict:
	default:
		n, err = d.count(1)
	}
	if err != nil {
		return nil, 0, err
	}
	idx := -1
	if flag {
		idx = len(d.refs)
		d.refs = append(d.refs, ref{busy: true})
	}
	if d.debt.Meter != nil && c != codeDict {
		if err := d.charge(n * serializer.SlotSize); err != nil {
			return nil, 0, err
		}
	}
	var v any
	w := 1
	switch c {
	case codeTuple, codeSmallTuple, codeList:
		items := make([]any, n)
		for i := range items {
			item, iw, err := d.value(depth + 1)
			if err != nil {
				return nil, 0, err
			}
			if item == null {
				return nil, 0, d.malformed("NULL object inside a " + containerName(c))
			}
			if w, err = d.weigh(w, iw); err != nil {
				return nil, 0, err
			}
			items[i] = item
		}
		if c == codeList {
			v = items
		} else {
			v = pyval.Tuple(items)
		}
	case codeDict:
		dict := pyval.NewDict(0)
		for {
			key, kw, err := d.value(depth + 1)
			if err != nil {
				return nil, 0, err
			}
			if key == null {
				break
			}
			val, vw, err := d.value(depth + 1)
			if err != nil {
				return nil, 0, err
			}
			if val == null { // CPython ends the dict here too, dropping the key
				break
			}
			if !hashable(key, 0) {
				return nil, 0, fmt.Errorf("marshal: dict key of type %s before offset %d is unhashable: %w", pyval.TypeName(key), d.pos, serializer.ErrMalformed)
			}
			if w, err = d.weigh(w, kw+vw); err != nil {
				return nil, 0, err
			}
			if d.debt.Meter != nil {
				if err := d.charge(serializer.EntrySize); err != nil {
					return nil, 0, err
				}
			}
			dict.Set(key, val)
		}
		v = dict
	default: // set, frozenset
		set := pyval.NewSet()
		set.Frozen = c == codeFrozenset
		for range n {
			item, iw, err := d.value(depth + 1)
			if err != nil {
				return nil, 0, err
			}
			if item == null {
				return nil, 0, d.malformed("NULL object inside a " + containerName(c))
			}
			if !hashable(item, 0) {
				return nil, 0, fmt.Errorf("marshal: set member of type %s before offset %d is unhashable: %w", pyval.TypeName(item), d.pos, serializer.ErrMalformed)
			}
			if w, err = d.weigh(w, iw); err != nil {
				return nil, 0, err
			}
			set.Add(item)
		}
		v = set
	}
	if idx >= 0 {
		d.refs[idx] = ref{v: v, w: w}
	}
	return v, w, nil
}

func containerName(c byte) string {
	switch c {
	case codeList:
		return "list"
	case codeSet:
		return "set"
	case codeFrozenset:
		return "frozenset"
	}
	return "tuple"
}

// maxKeyDepth bounds how deeply tuples and frozensets nest inside a dict key or set member.
// Python has no such limit, but hashing a key here costs time exponential in its nesting, and
// real keys are flat.
const maxKeyDepth = 8

// hashable reports whether v may be a dict key or set member in Python.
func hashable(v any, depth int) bool {
	switch x := v.(type) {
	case nil, bool, int64, int, *big.Int, float64, complex128, string, []byte:
		return true
	case pyval.Tuple:
		if depth >= maxKeyDepth {
			return false
		}
		for _, e := range x {
			if !hashable(e, depth+1) {
				return false
			}
		}
		return true
	case *pyval.Set:
		return x.Frozen && depth < maxKeyDepth
	}
	return false
}

// validPyUTF8 reports whether b is what CPython's UTF-8 codec with surrogatepass accepts:
// UTF-8 in which the surrogate code points U+D800..U+DFFF may appear, each as its own
// three-byte sequence.
func validPyUTF8(b string) bool {
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			i++
			continue
		}
		if c == 0xED && i+2 < len(b) && b[i+1] >= 0xA0 && b[i+1] <= 0xBF && b[i+2]&0xC0 == 0x80 {
			i += 3
			continue
		}
		r, size := utf8.DecodeRuneInString(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return false
		}
		i += size
	}
	return true
}
