// Package pyvaltest generates random canonical Python values for codec cross-checks.
package pyvaltest

import (
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/gopyro/pyro/pyval"
)

// Caps says which Python types a codec carries faithfully, so generated values survive a
// round trip through it unchanged.
type Caps struct {
	Tuples     bool // tuples stay tuples (json and msgpack turn them into lists)
	Sets       bool // sets stay sets
	Bytes      bool // bytes stay bytes
	Complex    bool
	BigInts    bool // ints beyond int64
	NonFinite  bool // nan, inf, -inf
	AnyKeys    bool // dict keys other than str (int, float, bool, tuple)
	NegZero    bool // -0.0 keeps its sign
	Surrogates bool // lone surrogate code points in str (never valid UTF-8 in Go, so normally false)
	DateTimes  bool // datetime (time.Time, whole microseconds) and date (pyval.Date): msgpack
}

// All is every capability except surrogates: serpent and marshal.
var All = Caps{Tuples: true, Sets: true, Bytes: true, Complex: true, BigInts: true, NonFinite: true, AnyKeys: true, NegZero: true}

// Gen makes random values within Caps.
type Gen struct {
	R    *rand.Rand
	Caps Caps
	// MaxDepth bounds nesting; MaxLen bounds container and string lengths.
	MaxDepth, MaxLen int
}

// New returns a generator seeded deterministically.
func New(seed uint64, caps Caps) *Gen {
	return &Gen{R: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), Caps: caps, MaxDepth: 4, MaxLen: 6}
}

// Value returns one random value.
func (g *Gen) Value() any { return g.value(0) }

func (g *Gen) value(depth int) any {
	kinds := 9
	if depth >= g.MaxDepth {
		kinds = 6 // scalars only
	}
	switch g.R.IntN(kinds) {
	case 0:
		return g.scalarMisc()
	case 1, 2:
		return g.Int()
	case 3:
		return g.Float()
	case 4, 5:
		if g.Caps.Bytes && g.R.IntN(4) == 0 {
			return g.Bytes()
		}
		return g.Str()
	case 6:
		n := g.R.IntN(g.MaxLen + 1)
		l := make([]any, n)
		for i := range l {
			l[i] = g.value(depth + 1)
		}
		if g.Caps.Tuples && g.R.IntN(2) == 0 {
			return pyval.Tuple(l)
		}
		return l
	case 7:
		n := g.R.IntN(g.MaxLen + 1)
		d := pyval.NewDict(n)
		for range n {
			d.Set(g.Key(), g.value(depth+1))
		}
		return d
	default:
		if g.Caps.Sets {
			s := pyval.NewSet()
			for range g.R.IntN(g.MaxLen + 1) {
				s.Add(g.Key())
			}
			return s
		}
		return g.Str()
	}
}

func (g *Gen) scalarMisc() any {
	switch g.R.IntN(4) {
	case 0:
		return nil
	case 1:
		return g.R.IntN(2) == 0
	case 2:
		if g.Caps.Complex {
			return complex(g.finite(), g.finite())
		}
	case 3:
		if g.Caps.DateTimes {
			return g.DateTime()
		}
	}
	return nil
}

// DateTime returns a time.Time in the local zone with whole microseconds, between the years
// 1900 and 2200, or (one time in four) a pyval.Date from Python's whole range.
func (g *Gen) DateTime() any {
	if g.R.IntN(4) == 0 {
		d, _ := pyval.DateFromOrdinal(1 + g.R.Int64N(3652059))
		return d
	}
	const from, to = -2208988800, 7258118400 // 1900-01-01 and 2200-01-01, UTC
	us := g.R.Int64N(1_000_000)
	if g.R.IntN(3) == 0 {
		us = 0
	}
	return time.Unix(from+g.R.Int64N(to-from), us*1000)
}

// Key returns a hashable dict key (a str unless Caps.AnyKeys).
func (g *Gen) Key() any {
	if !g.Caps.AnyKeys {
		return g.Str()
	}
	switch g.R.IntN(5) {
	case 0:
		return g.Int()
	case 1:
		return g.finite()
	case 2:
		if g.Caps.Tuples {
			return pyval.Tuple{g.Str(), g.Int()}
		}
	}
	return g.Str()
}

// Int returns an int64, or a *big.Int beyond int64 when BigInts.
func (g *Gen) Int() any {
	switch g.R.IntN(6) {
	case 0:
		return int64(g.R.IntN(10))
	case 1:
		return -int64(g.R.Uint64() >> 1)
	case 2:
		return []int64{math.MaxInt64, math.MinInt64, math.MaxInt32, math.MinInt32, 1 << 31, -1 << 31, 255, 256, 65536}[g.R.IntN(9)]
	case 3:
		if g.Caps.BigInts {
			b := new(big.Int).Lsh(big.NewInt(int64(g.R.IntN(1000)+1)), uint(64+g.R.IntN(200)))
			if g.R.IntN(2) == 0 {
				b.Neg(b)
			}
			return b
		}
	}
	return int64(g.R.Uint64()>>uint(g.R.IntN(64))) - int64(g.R.IntN(1000))
}

// Float returns a float, with the specials the caps allow.
func (g *Gen) Float() float64 {
	if g.R.IntN(8) == 0 {
		specials := []float64{0, 1, -1, 0.1, 1e16, 1e-5, 5e-324, math.MaxFloat64, 1.5e300, 123456789.123}
		if g.Caps.NegZero {
			specials = append(specials, math.Copysign(0, -1))
		}
		if g.Caps.NonFinite {
			specials = append(specials, math.NaN(), math.Inf(1), math.Inf(-1))
		}
		return specials[g.R.IntN(len(specials))]
	}
	return g.finite()
}

func (g *Gen) finite() float64 {
	switch g.R.IntN(3) {
	case 0:
		return float64(g.R.IntN(2000)-1000) / 8
	case 1:
		return (g.R.Float64() - 0.5) * math.Pow(10, float64(g.R.IntN(40)-20))
	}
	return math.Float64frombits(g.R.Uint64()&^(0x7ff<<52) | uint64(g.R.IntN(0x7fe)+1)<<52)
}

var alphabet = []rune("abcXYZ019 _-'\"\\\n\t\r\x00\x01\x1f\x7f\u00a0\u00ad\u00e9\u20ac\u2028\u200b\U0001F600\uffff{}[](),:#")

// Str returns a string mixing ASCII, quotes, escapes, control and non-ASCII characters.
func (g *Gen) Str() string {
	n := g.R.IntN(g.MaxLen*2 + 1)
	var b strings.Builder
	for range n {
		b.WriteRune(alphabet[g.R.IntN(len(alphabet))])
	}
	return b.String()
}

// Bytes returns random bytes.
func (g *Gen) Bytes() []byte {
	b := make([]byte, g.R.IntN(g.MaxLen*2+1))
	for i := range b {
		b[i] = byte(g.R.UintN(256))
	}
	return b
}
