package msgpack

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	vm "github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"

	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

// Unmarshal decodes one msgpack value, which must span all of data, into its canonical Go
// form (see the package documentation). Malformed input, unknown ext codes, trailing bytes
// and invalid UTF-8 in str give an error wrapping serializer.ErrMalformed; nesting deeper
// than serializer.MaxDepth one wrapping serializer.ErrLimit. A length header is checked
// against the rest of the input before anything is allocated for it.
func (Codec) Unmarshal(data []byte) (any, error) {
	dec := decoders.Get().(*decoder)
	defer dec.release()
	dec.data = data
	dec.r.Reset(data)
	v, err := dec.value(0)
	if err != nil {
		return nil, err
	}
	if n := dec.r.Len(); n > 0 {
		return nil, fmt.Errorf("msgpack: %d bytes of extra data after the value: %w", n, serializer.ErrMalformed)
	}
	return v, nil
}

// decoder is the per-call state, pooled. The module's Decoder reads r directly, without
// buffering, because a bytes.Reader is an io.ByteScanner: so r's position is always exact,
// and str payloads can be taken from the input without going through the Decoder.
type decoder struct {
	d       *vm.Decoder
	r       bytes.Reader
	data    []byte
	text    string // data as a string, made at the first str of a small input
	scratch []byte
}

var decoders = sync.Pool{New: func() any {
	dec := &decoder{d: vm.NewDecoder(nil)}
	dec.d.Reset(&dec.r)
	return dec
}}

func (dec *decoder) release() {
	dec.data, dec.text = nil, ""
	dec.r.Reset(nil)
	if cap(dec.scratch) > maxPooled {
		dec.scratch = nil
	}
	decoders.Put(dec)
}

// smallInput is the size up to which all str values share one copy of the input: a single
// allocation instead of one per str, at the price of keeping at most this much alive.
const smallInput = 4 << 10

func malformed(format string, args ...any) error {
	return fmt.Errorf("msgpack: "+format+": %w", append(args, serializer.ErrMalformed)...)
}

// wrap turns the module's errors (short reads, unexpected codes) into ErrMalformed.
func wrap(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return malformed("unexpected end of data")
	}
	return malformed("%v", err)
}

// need checks a length header against what is left of the input, each item taking at least
// size bytes, before anything is allocated for it.
func (dec *decoder) need(n, size int, what string) error {
	if n < 0 || n > dec.r.Len()/size {
		return malformed("%s of length %d but only %d bytes left", what, n, dec.r.Len())
	}
	return nil
}

func (dec *decoder) value(depth int) (any, error) {
	d := dec.d
	c, err := d.PeekCode()
	if err != nil {
		return nil, wrap(err)
	}
	switch {
	case msgpcode.IsFixedNum(c), c == msgpcode.Int8, c == msgpcode.Int16, c == msgpcode.Int32,
		c == msgpcode.Int64, c == msgpcode.Uint8, c == msgpcode.Uint16, c == msgpcode.Uint32:
		n, err := d.DecodeInt64()
		if err != nil {
			return nil, wrap(err)
		}
		return n, nil
	case c == msgpcode.Uint64:
		n, err := d.DecodeUint64()
		if err != nil {
			return nil, wrap(err)
		}
		if n > math.MaxInt64 {
			return new(big.Int).SetUint64(n), nil
		}
		return int64(n), nil
	case c == msgpcode.Nil:
		if err := d.DecodeNil(); err != nil {
			return nil, wrap(err)
		}
		return nil, nil
	case c == msgpcode.True, c == msgpcode.False:
		b, err := d.DecodeBool()
		if err != nil {
			return nil, wrap(err)
		}
		return b, nil
	case c == msgpcode.Float, c == msgpcode.Double:
		f, err := d.DecodeFloat64()
		if err != nil {
			return nil, wrap(err)
		}
		return f, nil
	case msgpcode.IsString(c):
		return dec.str()
	case msgpcode.IsBin(c):
		n, err := dec.d.DecodeBytesLen()
		if err != nil {
			return nil, wrap(err)
		}
		if err := dec.need(n, 1, "bin"); err != nil {
			return nil, err
		}
		b := make([]byte, n)
		if err := dec.d.ReadFull(b); err != nil {
			return nil, wrap(err)
		}
		return b, nil
	case msgpcode.IsFixedArray(c), c == msgpcode.Array16, c == msgpcode.Array32:
		n, err := d.DecodeArrayLen()
		if err != nil {
			return nil, wrap(err)
		}
		if depth >= serializer.MaxDepth {
			return nil, depthError()
		}
		if err := dec.need(n, 1, "array"); err != nil {
			return nil, err
		}
		l := make([]any, n)
		for i := range l {
			if l[i], err = dec.value(depth + 1); err != nil {
				return nil, err
			}
		}
		return l, nil
	case msgpcode.IsFixedMap(c), c == msgpcode.Map16, c == msgpcode.Map32:
		n, err := d.DecodeMapLen()
		if err != nil {
			return nil, wrap(err)
		}
		if depth >= serializer.MaxDepth {
			return nil, depthError()
		}
		if err := dec.need(n, 2, "map"); err != nil {
			return nil, err
		}
		m := pyval.NewDict(n)
		for range n {
			k, err := dec.value(depth + 1)
			if err != nil {
				return nil, err
			}
			if k, err = hashable(k, 0); err != nil {
				return nil, err
			}
			v, err := dec.value(depth + 1)
			if err != nil {
				return nil, err
			}
			m.Set(k, v)
		}
		return m, nil
	case msgpcode.IsExt(c):
		return dec.ext()
	}
	return nil, malformed("invalid type code 0x%02x", c)
}

func (dec *decoder) str() (any, error) {
	n, err := dec.d.DecodeBytesLen()
	if err != nil {
		return nil, wrap(err)
	}
	if err := dec.need(n, 1, "str"); err != nil {
		return nil, err
	}
	pos := len(dec.data) - dec.r.Len()
	var s string
	if len(dec.data) <= smallInput {
		if dec.text == "" {
			dec.text = string(dec.data)
		}
		s = dec.text[pos : pos+n]
	} else {
		s = string(dec.data[pos : pos+n])
	}
	if _, err := dec.r.Seek(int64(n), io.SeekCurrent); err != nil {
		return nil, wrap(err)
	}
	if !utf8.ValidString(s) {
		return nil, malformed("str is not valid UTF-8")
	}
	return s, nil
}

// maxKeyNesting bounds the nesting of arrays used as map keys: ((1, 2), 3) is fine. Python
// cannot read tuple keys at all (strict_map_key), and pyval's hashing of tuple keys costs
// time exponential in their nesting, which hostile input must not control.
const maxKeyNesting = 2

// hashable makes a decoded map key usable as a Python dict key: arrays become tuples (Python
// packs tuple keys as arrays), maps are refused as Python would refuse them.
func hashable(k any, level int) (any, error) {
	switch x := k.(type) {
	case []any:
		if level >= maxKeyNesting {
			return nil, fmt.Errorf("msgpack: map key nests arrays more than %d deep: %w", maxKeyNesting, serializer.ErrLimit)
		}
		t := make(pyval.Tuple, len(x))
		for i, e := range x {
			var err error
			if t[i], err = hashable(e, level+1); err != nil {
				return nil, err
			}
		}
		return t, nil
	case *pyval.Dict:
		return nil, malformed("map used as a map key is unhashable")
	}
	return k, nil
}

func (dec *decoder) ext() (any, error) {
	code, n, err := dec.d.DecodeExtHeader()
	if err != nil {
		return nil, wrap(err)
	}
	if err := dec.need(n, 1, "ext"); err != nil {
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
	// The payload is consumed before the next read, so a reused buffer can hold it.
	if cap(dec.scratch) < n {
		dec.scratch = make([]byte, n)
	}
	p := dec.scratch[:n]
	if err := dec.d.ReadFull(p); err != nil {
		return nil, wrap(err)
	}
	switch code {
	case ExtComplex:
		return complex(getFloat(p[:8]), getFloat(p[8:])), nil
	case ExtBigInt:
		return parseInt(p)
	case ExtDateTime:
		return isoDateTime(getFloat(p))
	default:
		return isoDate(int64(binary.LittleEndian.Uint64(p)))
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

// isoDateTime renders a POSIX timestamp as Python's datetime.fromtimestamp(ts).isoformat():
// naive local time, microseconds rounded half to even, omitted when zero.
func isoDateTime(ts float64) (any, error) {
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
	s := fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02d", t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second())
	if us != 0 {
		s += fmt.Sprintf(".%06d", int(us))
	}
	return s, nil
}

// maxOrdinal is date(9999, 12, 31).toordinal().
const maxOrdinal = 3652059

// isoDate renders a proleptic Gregorian ordinal as Python's date.fromordinal(n).isoformat().
func isoDate(n int64) (any, error) {
	if n < 1 || n > maxOrdinal {
		return nil, malformed("ext 0x33 ordinal %d is out of date's range 1..%d", n, maxOrdinal)
	}
	t := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(n-1))
	return fmt.Sprintf("%04d-%02d-%02d", t.Year(), t.Month(), t.Day()), nil
}
