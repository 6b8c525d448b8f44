package marshal

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"slices"
	"unicode/utf8"

	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

// Marshal encodes v in marshal version 4 without references, as Python 3.11's marshal.loads
// reads it: ints in the int32 range as 'i' and larger ones as 'l', floats as 'g', complex as
// 'y', short ASCII str as 'z', other ASCII as 'a', other str as 'u', bytes as 's'. Values that
// are not in canonical pyval form are converted with pyval.FromGo first; datetimes and dates
// are written as isoformat() text. A value marshal cannot
// carry (unhashable dict keys, str that is not UTF-8, a Go type with no Python form) gives an
// error wrapping serializer.ErrUnsupported; nesting beyond serializer.MaxDepth (a cycle, say)
// one wrapping serializer.ErrLimit.
func Marshal(v any) ([]byte, error) { return appendMarshal(make([]byte, 0, 128), v) }

func appendMarshal(dst []byte, v any) ([]byte, error) {
	out, _, err := appendMarshalSplice(dst, v, 0)
	return out, err
}

func appendMarshalSplice(dst []byte, v any, spliceMin int) ([]byte, serializer.Splice, error) {
	e := encoder{buf: dst, splice: serializer.Splice{Min: spliceMin}}
	if err := e.value(v, 0); err != nil {
		return nil, serializer.Splice{}, err
	}
	return e.buf, e.splice, nil
}

// tailRoom is the slack left after a large bytes value.
const tailRoom = 64

type encoder struct {
	buf    []byte
	splice serializer.Splice // the large bytes value left out, if asked (Min > 0)
}

func unsupported(format string, args ...any) error {
	return fmt.Errorf("marshal: "+format+": %w", append(args, serializer.ErrUnsupported)...)
}

func (e *encoder) int32(n int) {
	e.buf = binary.LittleEndian.AppendUint32(e.buf, uint32(int32(n)))
}

// size writes a length, which marshal limits to int32.
func (e *encoder) size(n int, what string) error {
	if n > math.MaxInt32 {
		return unsupported("%s of length %d exceeds marshal's 2**31-1", what, n)
	}
	e.int32(n)
	return nil
}

func (e *encoder) value(v any, depth int) error {
	if depth > serializer.MaxDepth {
		return fmt.Errorf("marshal: nesting deeper than %d (a cycle?): %w", serializer.MaxDepth, serializer.ErrLimit)
	}
	switch x := v.(type) {
	case nil:
		e.buf = append(e.buf, codeNone)
	case bool:
		if x {
			e.buf = append(e.buf, codeTrue)
		} else {
			e.buf = append(e.buf, codeFalse)
		}
	case int64:
		e.int64(x)
	case int:
		e.int64(int64(x))
	case *big.Int:
		if x == nil { // typed nil pointers are None, in every codec
			e.buf = append(e.buf, codeNone)
			return nil
		}
		if x.IsInt64() {
			e.int64(x.Int64())
		} else {
			e.bigLong(x)
		}
	case float64:
		e.buf = append(e.buf, codeBinaryFloat)
		e.buf = binary.LittleEndian.AppendUint64(e.buf, math.Float64bits(x))
	case complex128:
		e.buf = append(e.buf, codeBinaryComplex)
		e.buf = binary.LittleEndian.AppendUint64(e.buf, math.Float64bits(real(x)))
		e.buf = binary.LittleEndian.AppendUint64(e.buf, math.Float64bits(imag(x)))
	case string:
		return e.str(x)
	case []byte:
		e.buf = append(e.buf, codeString)
		if err := e.size(len(x), "bytes"); err != nil {
			return err
		}
		if e.splice.Take(x, len(e.buf)) {
			return nil // written from x itself (serializer.Splice)
		}
		// One growth, with room for what usually follows (the rest of a call), so that a
		// large payload is copied once.
		e.buf = append(slices.Grow(e.buf, len(x)+tailRoom), x...)
	case pyval.Tuple:
		if len(x) < 256 {
			e.buf = append(e.buf, codeSmallTuple, byte(len(x)))
		} else {
			e.buf = append(e.buf, codeTuple)
			if err := e.size(len(x), "tuple"); err != nil {
				return err
			}
		}
		return e.items(x, depth)
	case []any:
		e.buf = append(e.buf, codeList)
		if err := e.size(len(x), "list"); err != nil {
			return err
		}
		return e.items(x, depth)
	case *pyval.Dict:
		if x == nil {
			e.buf = append(e.buf, codeNone)
			return nil
		}
		e.buf = append(e.buf, codeDict)
		for _, it := range x.Items() {
			if !hashable(it.Key, 0) {
				return unsupported("dict key of type %s is unhashable", pyval.TypeName(it.Key))
			}
			if err := e.value(it.Key, depth+1); err != nil {
				return err
			}
			if err := e.value(it.Value, depth+1); err != nil {
				return err
			}
		}
		e.buf = append(e.buf, codeNull)
	case *pyval.Set:
		if x == nil {
			e.buf = append(e.buf, codeNone)
			return nil
		}
		if x.Frozen {
			e.buf = append(e.buf, codeFrozenset)
		} else {
			e.buf = append(e.buf, codeSet)
		}
		items := x.Items()
		if err := e.size(len(items), "set"); err != nil {
			return err
		}
		for _, it := range items {
			if !hashable(it, 0) {
				return unsupported("set member of type %s is unhashable", pyval.TypeName(it))
			}
		}
		return e.items(items, depth)
	default:
		c, err := serializer.CanonicalNoDates(v)
		if err != nil {
			return fmt.Errorf("marshal: %w", err)
		}
		if !isCanonical(c) {
			return unsupported("pyval.FromGo gave a %T for a %T", c, v)
		}
		return e.value(c, depth)
	}
	return nil
}

func (e *encoder) items(items []any, depth int) error {
	for _, it := range items {
		if err := e.value(it, depth+1); err != nil {
			return err
		}
	}
	return nil
}

func (e *encoder) int64(x int64) {
	if x >= math.MinInt32 && x <= math.MaxInt32 {
		e.buf = append(e.buf, codeInt)
		e.int32(int(x))
		return
	}
	mag := uint64(x)
	if x < 0 {
		mag = -mag
	}
	var digits [5]uint16 // 64 bits need at most five 15-bit digits
	n := 0
	for mag != 0 {
		digits[n] = uint16(mag & 0x7fff)
		mag >>= 15
		n++
	}
	if x < 0 {
		n = -n
	}
	e.buf = append(e.buf, codeLong)
	e.int32(n)
	for _, dg := range digits[:max(n, -n)] {
		e.buf = binary.LittleEndian.AppendUint16(e.buf, dg)
	}
}

// bigLong writes an int beyond int64 as base-2**15 digits, least significant first.
func (e *encoder) bigLong(x *big.Int) {
	words := x.Bits()
	nbits := x.BitLen()
	n := (nbits + 14) / 15
	count := n
	if x.Sign() < 0 {
		count = -n
	}
	e.buf = append(e.buf, codeLong)
	e.int32(count)
	for i := 0; i < n; i++ {
		bit := i * 15
		w, off := bit/bits.UintSize, uint(bit%bits.UintSize)
		digit := uint(words[w]) >> off
		if off > bits.UintSize-15 && w+1 < len(words) {
			digit |= uint(words[w+1]) << (bits.UintSize - off)
		}
		e.buf = binary.LittleEndian.AppendUint16(e.buf, uint16(digit&0x7fff))
	}
}

func (e *encoder) str(s string) error {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	switch {
	case ascii && len(s) < 256:
		e.buf = append(e.buf, codeShortASCII, byte(len(s)))
	case ascii:
		e.buf = append(e.buf, codeASCII)
		if err := e.size(len(s), "str"); err != nil {
			return err
		}
	default:
		if !validPyUTF8(s) {
			return unsupported("str %q is not UTF-8", truncate(s))
		}
		e.buf = append(e.buf, codeUnicode)
		if err := e.size(len(s), "str"); err != nil {
			return err
		}
	}
	e.buf = append(e.buf, s...)
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
