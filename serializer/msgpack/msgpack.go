// Package msgpack is Pyro4's msgpack serializer (id 6), wire-compatible with Pyro4 4.82's
// MsgpackSerializer on python-msgpack 1.0 (packb(use_bin_type=True), unpackb(raw=False)).
// Importing it registers the codec with package serializer.
//
// Python values map to msgpack as Pyro4 maps them:
//
//	Python              msgpack                          decoded in Go as
//	None, bool          nil, bool                        nil, bool
//	int (64-bit range)  int or uint family               int64; *big.Int above MaxInt64
//	other int           ext 0x31, ASCII decimal          int64 or *big.Int
//	float               float 64 (float 32 accepted)     float64
//	complex             ext 0x30, two float64 LE         complex128
//	str                 str (UTF-8)                      string
//	bytes, bytearray    bin                              []byte
//	list, tuple, set    array                            []any
//	dict                map (keys of any type)           *pyval.Dict
//	datetime (naive)    ext 0x32, float64 LE timestamp   time.Time, in time.Local
//	date                ext 0x33, int64 LE ordinal       pyval.Date
//
// A datetime travels as its POSIX timestamp: Pyro4 writes a naive datetime's timestamp(),
// which reads it as local time, and reads one back with fromtimestamp(), as local time again
// (rounding to microseconds, half to even, as Python does). So the decoder gives the instant
// as a time.Time in the local zone, and the encoder writes any time.Time, whatever its zone,
// as its instant: a Python peer sees the same instant as naive local time of its own host.
// Nanoseconds beyond the microsecond are dropped, as isoformat() drops them. Pyro4 refuses
// datetimes with a tzinfo; Go has no naive times, so the zone is simply not sent. A
// pyval.Date travels as Python's date.toordinal(). Both must lie in Python's years 1 to 9999.
// Other ext codes, msgpack's own timestamp (-1) included, are refused, as Pyro4 refuses them.
//
// Note that Pyro4's own daemon decodes a call's arguments without its ext hook (loadsCall),
// so a Python server receives datetime, date, complex and big int arguments as
// msgpack.ExtType objects, and returns them unchanged if it echoes them; a Go daemon
// decodes them, as Pyro4's clients decode results.
//
// Map keys may be of any hashable type. Array keys decode as pyval.Tuple (Python's tuple keys
// pack to arrays), nested at most two deep. Python's unpacker refuses map keys other than str
// and bytes (strict_map_key), so values meant for Python should keep to those.
//
// Encoding writes what python-msgpack writes for the same value, byte for byte: the smallest
// int format, float 64, str8 and bin for short strings. Tuples, sets and frozensets become
// arrays; other Go values (structs, Go maps, ...) go through pyval.FromGo.
//
// Encoding uses github.com/vmihailenco/msgpack/v5 for the wire format. Decoding reads the
// format straight from the input instead: the module's Decoder costs a call through an
// io.Reader per value and allocates every value on its own, which made decoding a typical
// call three times slower than Python's C unpacker. The hand-written reader counts the
// values of a small input first and allocates them a slab per kind (see decoder), and
// DecodeCall decodes a call without building its outer array.
package msgpack

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"sync"
	"time"
	"unicode/utf8"

	vm "github.com/vmihailenco/msgpack/v5"

	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

// Pyro4's msgpack ext type codes.
const (
	ExtComplex  = 0x30 // complex: float64 real, float64 imag, little-endian
	ExtBigInt   = 0x31 // int beyond 64 bits: ASCII decimal text
	ExtDateTime = 0x32 // naive datetime: float64 POSIX timestamp, little-endian
	ExtDate     = 0x33 // date: int64 proleptic Gregorian ordinal (0001-01-01 is 1), little-endian
)

// maxIntDigits is CPython's default int_max_str_digits: Python refuses to parse longer
// decimal ints, so ext 0x31 payloads beyond it are neither written nor read.
const maxIntDigits = 4300

// Codec is the msgpack codec. The zero value is ready to use and safe for concurrent use.
type Codec struct{}

func init() { serializer.Register(Codec{}) }

// ID returns serializer.MsgpackID (6).
func (Codec) ID() int { return serializer.MsgpackID }

// Name returns "msgpack".
func (Codec) Name() string { return "msgpack" }

// Marshal encodes v as Pyro4's msgpack serializer would. Tuples and sets become arrays,
// values that are not canonical go through pyval.FromGo first. The error wraps
// serializer.ErrUnsupported for values msgpack cannot carry and serializer.ErrLimit for
// nesting deeper than serializer.MaxDepth (a dict that contains itself, say).
func (Codec) Marshal(v any) ([]byte, error) {
	enc := encoders.Get().(*encoder)
	defer enc.release()
	if err := enc.value(v, 0); err != nil {
		return nil, err
	}
	return enc.result(), nil
}

// encoder is the per-call state, pooled so a call costs one allocation: the result.
type encoder struct {
	e      *vm.Encoder
	buf    bytes.Buffer
	splice serializer.Splice // the large bytes value left out, if asked (Min > 0)
}

var encoders = sync.Pool{New: func() any {
	enc := &encoder{e: vm.NewEncoder(nil)}
	enc.e.Reset(&enc.buf)
	return enc
}}

// tailRoom is the slack left after a large bytes value, so that the few bytes after it
// (the rest of a call) do not make its buffer grow, and copy it, again.
const tailRoom = 64

// maxPooled is the largest buffer kept for reuse, so one huge message does not pin memory.
const maxPooled = 64 << 10

// AppendMarshal is Marshal into dst (serializer.AppendMarshaler).
func (c Codec) AppendMarshal(dst []byte, v any) ([]byte, error) {
	out, _, err := c.AppendMarshalSplice(dst, v, 0)
	return out, err
}

// AppendMarshalSplice is AppendMarshal leaving a bytes value of min bytes or more out
// (serializer.SpliceAppender).
func (Codec) AppendMarshalSplice(dst []byte, v any, min int) ([]byte, serializer.Splice, error) {
	return appendWith(dst, min, func(enc *encoder) error { return enc.value(v, 0) })
}

// appendWith runs encode with a pooled encoder writing into dst.
func appendWith(dst []byte, spliceMin int, encode func(*encoder) error) ([]byte, serializer.Splice, error) {
	enc := encoders.Get().(*encoder)
	defer enc.release()
	own := enc.buf // the encoder's pooled buffer, put back below
	enc.buf = *bytes.NewBuffer(dst)
	enc.splice = serializer.Splice{Min: spliceMin}
	err := encode(enc)
	out, s := enc.buf.Bytes(), enc.splice
	enc.buf, enc.splice = own, serializer.Splice{}
	return out, s, err
}

// result returns the encoded bytes: a copy of a buffer that goes back to the pool, or the
// buffer itself when it is too large to be pooled (a large payload is never copied twice).
func (enc *encoder) result() []byte {
	if enc.buf.Cap() > maxPooled {
		return enc.buf.Bytes()
	}
	return bytes.Clone(enc.buf.Bytes())
}

func (enc *encoder) release() {
	if enc.buf.Cap() > maxPooled {
		return
	}
	enc.buf.Reset()
	encoders.Put(enc)
}

func (enc *encoder) value(v any, depth int) error {
	e := enc.e
	switch x := v.(type) {
	case nil:
		return e.EncodeNil()
	case bool:
		return e.EncodeBool(x)
	case int64:
		return e.EncodeInt(x)
	case int:
		return e.EncodeInt(int64(x))
	case *big.Int:
		return enc.bigInt(x)
	case float64:
		return e.EncodeFloat64(x)
	case complex128:
		if err := e.EncodeExtHeader(ExtComplex, 16); err != nil {
			return err
		}
		var p [16]byte
		putFloat(p[:8], real(x))
		putFloat(p[8:], imag(x))
		enc.buf.Write(p[:])
		return nil
	case string:
		return enc.str(x)
	case []byte:
		// EncodeBytes would write nil for a nil slice; Python's b'' is an empty bin.
		if err := e.EncodeBytesLen(len(x)); err != nil {
			return err
		}
		if enc.splice.Take(x, enc.buf.Len()) {
			return nil // written from x itself (serializer.Splice)
		}
		enc.buf.Grow(len(x) + tailRoom) // one growth, with room for what usually follows
		enc.buf.Write(x)
		return nil
	case pyval.Tuple:
		return enc.array(x, depth)
	case []any:
		return enc.array(x, depth)
	case *pyval.Set:
		// Pyro4 sends sets as tuples, which msgpack packs as arrays.
		if x == nil {
			return e.EncodeNil()
		}
		return enc.array(x.Items(), depth)
	case time.Time:
		return enc.dateTime(x)
	case pyval.Date:
		return enc.date(x)
	case *pyval.Dict:
		if x == nil {
			return e.EncodeNil()
		}
		if depth >= serializer.MaxDepth {
			return depthError()
		}
		if err := e.EncodeMapLen(x.Len()); err != nil {
			return err
		}
		for _, it := range x.Items() {
			if err := enc.value(it.Key, depth+1); err != nil {
				return err
			}
			if err := enc.value(it.Value, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if depth >= serializer.MaxDepth {
		return depthError()
	}
	c, err := serializer.Canonical(v)
	if err != nil {
		return fmt.Errorf("msgpack: %w", err)
	}
	return enc.value(c, depth+1)
}

func (enc *encoder) str(s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("msgpack: str %.40q is not valid UTF-8: %w", s, serializer.ErrUnsupported)
	}
	return enc.e.EncodeString(s)
}

func (enc *encoder) array(items []any, depth int) error {
	if depth >= serializer.MaxDepth {
		return depthError()
	}
	if err := enc.e.EncodeArrayLen(len(items)); err != nil {
		return err
	}
	for _, it := range items {
		if err := enc.value(it, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// bigInt writes ints the way python-msgpack does: the 64-bit formats while they fit (uint64
// included), Pyro4's decimal ext 0x31 beyond.
func (enc *encoder) bigInt(x *big.Int) error {
	switch {
	case x == nil: // typed nil pointers are None, in every codec
		return enc.e.EncodeNil()
	case x.IsInt64():
		return enc.e.EncodeInt(x.Int64())
	case x.IsUint64():
		return enc.e.EncodeUint(x.Uint64())
	}
	text := x.Text(10)
	if n := len(text) - boolInt(x.Sign() < 0); n > maxIntDigits {
		return fmt.Errorf("msgpack: int of %d digits exceeds Python's %d-digit limit: %w", n, maxIntDigits, serializer.ErrUnsupported)
	}
	if err := enc.e.EncodeExtHeader(ExtBigInt, len(text)); err != nil {
		return err
	}
	enc.buf.WriteString(text)
	return nil
}

// dateTime writes Pyro4's ext 0x32: the timestamp Python's datetime.timestamp() computes,
// whole seconds plus microseconds / 1e6, so that Python's fromtimestamp reads the microsecond
// back exactly.
func (enc *encoder) dateTime(t time.Time) error {
	if y := t.Year(); y < 1 || y > 9999 {
		return fmt.Errorf("msgpack: datetime in year %d, outside Python's 1..9999: %w", y, serializer.ErrUnsupported)
	}
	if err := enc.e.EncodeExtHeader(ExtDateTime, 8); err != nil {
		return err
	}
	var p [8]byte
	putFloat(p[:], float64(t.Unix())+float64(t.Nanosecond()/1000)/1e6)
	enc.buf.Write(p[:])
	return nil
}

// date writes Pyro4's ext 0x33: Python's date.toordinal().
func (enc *encoder) date(d pyval.Date) error {
	if !d.Valid() {
		return fmt.Errorf("msgpack: date %d-%02d-%02d is not a day of Python's years 1..9999: %w",
			d.Year, d.Month, d.Day, serializer.ErrUnsupported)
	}
	if err := enc.e.EncodeExtHeader(ExtDate, 8); err != nil {
		return err
	}
	var p [8]byte
	binary.LittleEndian.PutUint64(p[:], uint64(d.Ordinal()))
	enc.buf.Write(p[:])
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func depthError() error {
	return fmt.Errorf("msgpack: nesting deeper than %d: %w", serializer.MaxDepth, serializer.ErrLimit)
}

// Pyro4 packs ext payloads in the host's byte order, little-endian on every platform it is
// known to run on (x86-64, arm64).
func putFloat(b []byte, f float64) { binary.LittleEndian.PutUint64(b, math.Float64bits(f)) }

func getFloat(b []byte) float64 { return math.Float64frombits(binary.LittleEndian.Uint64(b)) }
