package msgpack

import (
	"bytes"
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/gopyro/pyro/internal/codectest"
	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

// Both ways: the Go value encodes to exactly these bytes (what python-msgpack writes) and
// the bytes decode back to an equal value.
var roundTrips = []struct {
	name string
	v    any
	hex  string
}{
	{"none", nil, "c0"},
	{"true", true, "c3"},
	{"false", false, "c2"},
	{"zero", int64(0), "00"},
	{"fixint max", int64(127), "7f"},
	{"uint8", int64(128), "cc80"},
	{"uint8 max", int64(255), "ccff"},
	{"uint16", int64(256), "cd0100"},
	{"uint32", int64(65536), "ce00010000"},
	{"uint64", int64(1 << 32), "cf0000000100000000"},
	{"int64 max", int64(math.MaxInt64), "cf7fffffffffffffff"},
	{"negfixint", int64(-32), "e0"},
	{"int8", int64(-33), "d0df"},
	{"int16", int64(-129), "d1ff7f"},
	{"int32", int64(-32769), "d2ffff7fff"},
	{"int64", int64(math.MinInt64), "d38000000000000000"},
	{"uint64 beyond int64", codectest.BigInt("18446744073709551615"), "cfffffffffffffffff"},
	{"ext int 2**64", codectest.BigInt("18446744073709551616"), "c714 31 3138343436373434303733373039353531363136"},
	{"ext int below int64", codectest.BigInt("-9223372036854775809"), "c714 31 2d39323233333732303336383534373735383039"},
	{"float", 1.5, "cb3ff8000000000000"},
	{"negzero", math.Copysign(0, -1), "cb8000000000000000"},
	{"inf", math.Inf(1), "cb7ff0000000000000"},
	{"complex", complex(0, 1), "d830 0000000000000000 000000000000f03f"},
	{"datetime epoch", time.Unix(0, 0), "d732 0000000000000000"},
	{"datetime micro", time.Unix(1577934240, 123457000), "d732 b8e607685783d741"},
	{"date", pyval.Date{Year: 2020, Month: 1, Day: 2}, "d733 92400b0000000000"},
	{"date min", pyval.Date{Year: 1, Month: 1, Day: 1}, "d733 0100000000000000"},
	{"date max", pyval.Date{Year: 9999, Month: 12, Day: 31}, "d733 dbb9370000000000"},
	{"dict of datetimes", pyval.DictOf("at", time.Unix(0, 0), "on", pyval.Date{Year: 2020, Month: 1, Day: 2}),
		"82 a26174 d7320000000000000000 a26f6e d73392400b0000000000"},
	{"empty str", "", "a0"},
	{"str", "é€😀", "a9c3a9e282acf09f9880"},
	{"str8", strings.Repeat("x", 32), "d920" + strings.Repeat("78", 32)},
	{"str16", strings.Repeat("x", 256), "da0100" + strings.Repeat("78", 256)},
	{"empty bytes", []byte{}, "c400"},
	{"bytes", []byte{0, 0xff}, "c40200ff"},
	{"bin16", bytes.Repeat([]byte{1}, 256), "c50100" + strings.Repeat("01", 256)},
	{"empty list", []any{}, "90"},
	{"nested list", []any{int64(1), []any{"a", nil}}, "9201 92a161c0"},
	{"array16", make([]any, 16), "dc0010" + strings.Repeat("c0", 16)},
	{"empty dict", pyval.NewDict(0), "80"},
	{"dict", pyval.DictOf("a", int64(1), "b", []any{}), "82a16101a16290"},
	{"dict bytes key", pyval.DictOf([]byte("k"), true), "81c4016bc3"},
	{"dict int key", pyval.DictOf(int64(1), "x"), "8101a178"},
	{"dict tuple key", pyval.DictOf(pyval.Tuple{int64(1), "a"}, nil), "819201a161c0"},
}

func TestRoundTrip(t *testing.T) {
	var c Codec
	for _, tc := range roundTrips {
		t.Run(tc.name, func(t *testing.T) {
			want := codectest.MustHex(t, tc.hex)
			got, err := c.Marshal(tc.v)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Marshal(%s) = %x, want %x", pyval.Repr(tc.v), got, want)
			}
			back, err := c.Unmarshal(want)
			if err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if !pyval.Equal(back, tc.v) {
				t.Errorf("Unmarshal(%x) = %s, want %s", want, pyval.Repr(back), pyval.Repr(tc.v))
			}
		})
	}
}

// Encode only: Go forms msgpack cannot tell apart on the way back.
func TestMarshalOnly(t *testing.T) {
	var c Codec
	for _, tc := range []struct {
		name string
		v    any
		hex  string
	}{
		{"tuple", pyval.Tuple{int64(1), "a"}, "9201a161"},
		{"set", pyval.NewSet(int64(2)), "9102"},
		{"go int", 300, "cd012c"},
		{"nil bytes", []byte(nil), "c400"},
		{"nan", math.NaN(), "cb7ff8000000000001"},
		{"big int in int64 range", big.NewInt(-5), "fb"},
		// any zone: the instant travels; beyond the microsecond is dropped
		{"datetime in a zone", time.Date(2020, 1, 2, 4, 4, 0, 123457999, time.FixedZone("", 3600)), "d732 b8e607685783d741"},
		{"datetime pointer", ptr(time.Unix(0, 0)), "d732 0000000000000000"},
		{"datetime in a struct", struct{ At time.Time }{time.Unix(0, 0)}, "81 a24174 d7320000000000000000"},
	} {
		got, err := c.Marshal(tc.v)
		if err != nil {
			t.Fatalf("%s: Marshal: %v", tc.name, err)
		}
		if want := codectest.MustHex(t, tc.hex); !bytes.Equal(got, want) {
			t.Errorf("%s: Marshal = %x, want %x", tc.name, got, want)
		}
	}
}

// Decode only: forms python-msgpack or Pyro4 may write that Go never writes.
func TestUnmarshalOnly(t *testing.T) {
	var c Codec
	for _, tc := range []struct {
		name string
		hex  string
		want any
	}{
		{"float32", "ca3fc00000", 1.5},
		{"float32 nan", "ca7fc00000", math.NaN()},
		{"wide int8", "d005", int64(5)},
		{"wide uint64", "cf0000000000000007", int64(7)},
		{"int64 positive", "d3000000000000002a", int64(42)},
		{"str8 short", "d90161", "a"},
		{"str32", "db00000001 61", "a"},
		{"bin32", "c600000001 61", []byte("a")},
		{"array32", "dd00000001 c0", []any{nil}},
		{"map32", "df00000001 a16101", pyval.DictOf("a", int64(1))},
		{"ext int small", "d531 3432", int64(42)},
		{"ext int python syntax", "c708 31 202d315f3030305f", nil}, // trailing underscore: invalid
		{"ext int spaces underscores", "c708 31 092b315f303030 0a", int64(1000)},
		{"ext int leading zeros", "d631 30303037", int64(7)},
		{"duplicate keys keep first position, last value", "83a16101a16202a16103", pyval.DictOf("a", int64(3), "b", int64(2))},
		{"nested array key limit", "81 9191c0 c0", pyval.DictOf(pyval.Tuple{pyval.Tuple{nil}}, nil)},
		{"nested array key", "81 92 91 01 a161 c0", pyval.DictOf(pyval.Tuple{pyval.Tuple{int64(1)}, "a"}, nil)},
	} {
		got, err := c.Unmarshal(codectest.MustHex(t, tc.hex))
		if tc.want == nil {
			if err == nil || !errors.Is(err, serializer.ErrMalformed) {
				t.Errorf("%s: Unmarshal = %v, %v; want ErrMalformed", tc.name, got, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: Unmarshal: %v", tc.name, err)
			continue
		}
		if !pyval.Equal(got, tc.want) {
			t.Errorf("%s: Unmarshal = %s, want %s", tc.name, pyval.Repr(got), pyval.Repr(tc.want))
		}
	}
}

func TestDateTimeRounding(t *testing.T) {
	// fromtimestamp rounds the microseconds half to even and borrows for negative times
	for _, tc := range []struct {
		ts   float64
		want time.Time
	}{
		{1.5, time.Unix(1, 500000000)},
		{-1.5, time.Unix(-2, 500000000)},
		{0.0000005, time.Unix(0, 0)},
		{0.0000015, time.Unix(0, 2000)},
		{0.9999996, time.Unix(1, 0)},
		{-62135510400, time.Date(1, 1, 2, 0, 0, 0, 0, time.UTC)},
		{253402300799.9999, time.Date(9999, 12, 31, 23, 59, 59, 999908000, time.UTC)},
	} {
		got, err := dateTime(tc.ts)
		if err != nil || !got.(time.Time).Equal(tc.want) || got.(time.Time).Location() != time.Local {
			t.Errorf("dateTime(%v) = %v, %v; want %v in the local zone", tc.ts, got, err, tc.want)
		}
	}
	if !localIsUTC() {
		return // the limits below are the years 1 and 9999 in UTC
	}
	for _, ts := range []float64{math.NaN(), math.Inf(-1), 1e300, -62135510401, 253402300800, 253402300799.999999, -1e19} {
		if _, err := dateTime(ts); !errors.Is(err, serializer.ErrMalformed) {
			t.Errorf("dateTime(%v) error = %v, want ErrMalformed", ts, err)
		}
	}
}

func TestUnmarshalErrors(t *testing.T) {
	var c Codec
	for _, tc := range []struct {
		name string
		hex  string
		want error
	}{
		{"empty", "", serializer.ErrMalformed},
		{"never used code", "c1", serializer.ErrMalformed},
		{"trailing data", "0102", serializer.ErrMalformed},
		{"truncated uint16", "cd01", serializer.ErrMalformed},
		{"truncated float", "cb3ff8", serializer.ErrMalformed},
		{"str longer than input", "db7fffffff61", serializer.ErrMalformed},
		{"bin longer than input", "c6ffffffff", serializer.ErrMalformed},
		{"array longer than input", "ddffffffff", serializer.ErrMalformed},
		{"map longer than input", "df7fffffff c0c0c0", serializer.ErrMalformed},
		{"map needs two bytes per item", "82 c0c0c0", serializer.ErrMalformed},
		{"ext longer than input", "c9ffffffff31", serializer.ErrMalformed},
		{"invalid utf-8", "a2c328", serializer.ErrMalformed},
		{"utf-8 surrogate", "a3eda080", serializer.ErrMalformed},
		{"unknown ext", "d40500", serializer.ErrMalformed},
		{"timestamp ext", "d6ff00000000", serializer.ErrMalformed},
		{"complex short", "d730 0000000000000000", serializer.ErrMalformed},
		{"date short", "d633 01000000", serializer.ErrMalformed},
		{"date zero", "d733 0000000000000000", serializer.ErrMalformed},
		{"date too late", "d733 dcb9370000000000", serializer.ErrMalformed},
		{"datetime nan", "d732 000000000000f87f", serializer.ErrMalformed},
		{"ext int empty", "c70031", serializer.ErrMalformed},
		{"ext int hex", "d43178", serializer.ErrMalformed},
		{"ext int double underscore", "d631315f5f31", serializer.ErrMalformed},
		{"ext int lone sign", "d4312d", serializer.ErrMalformed},
		{"ext int nul", "d5313100", serializer.ErrMalformed},
		{"map key is a map", "81 80 c0", serializer.ErrMalformed},
		{"map key nests arrays deeply", "81 919191c0 c0", serializer.ErrLimit},
		{"deep arrays", strings.Repeat("91", serializer.MaxDepth+1) + "c0", serializer.ErrLimit},
		{"deep maps", strings.Repeat("81a0", serializer.MaxDepth+1) + "c0", serializer.ErrLimit},
	} {
		v, err := c.Unmarshal(codectest.MustHex(t, tc.hex))
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: Unmarshal = %v, %v; want error wrapping %v", tc.name, pyval.Repr(v), err, tc.want)
		}
	}
	// exactly MaxDepth levels are fine
	if _, err := c.Unmarshal(codectest.MustHex(t, strings.Repeat("91", serializer.MaxDepth)+"c0")); err != nil {
		t.Errorf("MaxDepth nested arrays: %v", err)
	}
	// the digit limit Python applies to int(bytes)
	long := "1" + strings.Repeat("0", maxIntDigits)
	data := append([]byte{0xc8, byte((len(long)) >> 8), byte(len(long)), 0x31}, long...)
	if _, err := c.Unmarshal(data); !errors.Is(err, serializer.ErrMalformed) {
		t.Errorf("ext int of %d digits: err = %v, want ErrMalformed", len(long), err)
	}
	data = append([]byte{0xc8, byte((len(long) - 1) >> 8), byte(len(long) - 1), 0x31}, long[1:]...)
	if _, err := c.Unmarshal(data); err != nil {
		t.Errorf("ext int of %d digits: %v", maxIntDigits, err)
	}
}

func TestMarshalErrors(t *testing.T) {
	var c Codec
	self := pyval.NewDict(1)
	self.Set("me", self)
	deep := any(nil)
	for range serializer.MaxDepth + 1 {
		deep = []any{deep}
	}
	huge := new(big.Int).Exp(big.NewInt(10), big.NewInt(maxIntDigits), nil)
	for _, tc := range []struct {
		name string
		v    any
		want error
	}{
		{"self-containing dict", self, serializer.ErrLimit},
		{"too deep", deep, serializer.ErrLimit},
		{"invalid utf-8", "\xff", serializer.ErrUnsupported},
		{"int beyond Python's digit limit", huge, serializer.ErrUnsupported},
		{"channel", make(chan int), serializer.ErrUnsupported},
		{"datetime in year 10000", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), serializer.ErrUnsupported},
		{"datetime in year 0", time.Time{}.Add(-time.Hour), serializer.ErrUnsupported},
		{"February 30th", pyval.Date{Year: 2024, Month: 2, Day: 30}, serializer.ErrUnsupported},
		{"zero date", pyval.Date{}, serializer.ErrUnsupported},
	} {
		if b, err := c.Marshal(tc.v); !errors.Is(err, tc.want) {
			t.Errorf("%s: Marshal = %x, %v; want error wrapping %v", tc.name, b, err, tc.want)
		}
	}
	ok := new(big.Int).Sub(huge, big.NewInt(1)) // 4300 nines
	if _, err := c.Marshal(ok); err != nil {
		t.Errorf("Marshal of a %d-digit int: %v", maxIntDigits, err)
	}
}

func TestRegistered(t *testing.T) {
	codectest.CheckRegistered(t, Codec{}, serializer.MsgpackID, "msgpack")
}

func TestCall(t *testing.T) {
	var c Codec
	call := codectest.TypicalCall()
	data, err := serializer.MarshalCall(c, call)
	if err != nil {
		t.Fatal(err)
	}
	// ('MyWorker', 'get_rate', ['EURUSD', 3, 1.5, {...}], {'timeout': 2.5}) as Python packs it
	want := "94a84d79576f726b6572a86765745f72617465" +
		"94a6455552555344 03 cb3ff8000000000000 82a6616d6f756e7464a47461677392a161a162" +
		"81a774696d656f7574cb4004000000000000"
	if !bytes.Equal(data, codectest.MustHex(t, want)) {
		t.Errorf("MarshalCall = %x\nwant          %s", data, want)
	}
	back, err := serializer.UnmarshalCall(c, data)
	if err != nil {
		t.Fatal(err)
	}
	if !codectest.SameCall(back, call) {
		t.Errorf("UnmarshalCall = %+v, want %+v", back, call)
	}
}

func ptr[T any](v T) *T { return &v }

func localIsUTC() bool {
	for _, year := range []int{1, 1970, 2020, 9999} {
		if _, off := time.Date(year, 1, 1, 0, 0, 0, 0, time.Local).Zone(); off != 0 {
			return false
		}
	}
	return true
}

func TestMarshalGoValues(t *testing.T) {
	var c Codec
	type point struct {
		X, Y int
		Tag  string `pyro:"tag"`
	}
	got, err := c.Marshal([]any{point{1, 2, "p"}, map[string]uint8{"k": 200}, float32(0.5)})
	if err != nil {
		t.Fatal(err)
	}
	want := pyval.DictOf("X", int64(1), "Y", int64(2), "tag", "p")
	v, err := c.Unmarshal(got)
	if err != nil {
		t.Fatal(err)
	}
	l := v.([]any)
	if !pyval.Equal(l[0], want) || !pyval.Equal(l[1], pyval.DictOf("k", int64(200))) || !pyval.Equal(l[2], 0.5) {
		t.Errorf("round trip of Go values = %s", pyval.Repr(v))
	}
	var conv *pyval.ConvertError
	if _, err := c.Marshal(func() {}); !errors.As(err, &conv) || !errors.Is(err, serializer.ErrUnsupported) {
		t.Errorf("Marshal(func) error = %v, want a *pyval.ConvertError wrapping ErrUnsupported", err)
	}
	type node struct{ Next *node }
	loop := &node{}
	loop.Next = loop
	if _, err := c.Marshal(loop); !errors.Is(err, serializer.ErrLimit) {
		t.Errorf("Marshal(cyclic struct) error = %v, want ErrLimit", err)
	}
}
