package json

import (
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"

	"github.com/gopyro/pyro/internal/codectest"
	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

var negZero = math.Copysign(0, -1)

func TestDecode(t *testing.T) {
	tests := []struct {
		in   string
		want any
	}{
		{`null`, nil},
		{` true `, true},
		{"\t\n\r false", false},
		{`0`, int64(0)},
		{`-0`, int64(0)},
		{`-12`, int64(-12)},
		{`999999999999999999`, int64(999999999999999999)},
		{`9223372036854775807`, int64(math.MaxInt64)},
		{`-9223372036854775808`, int64(math.MinInt64)},
		{`9223372036854775808`, codectest.BigInt("9223372036854775808")},
		{`-1000000000000000000000000000000`, codectest.BigInt("-1000000000000000000000000000000")},
		{`1.5`, 1.5},
		{`-0.0`, negZero},
		{`1E5`, 1e5},
		{`1e-5`, 1e-5},
		{`2.5e+3`, 2500.0},
		{`1e400`, math.Inf(1)},
		{`-1e400`, math.Inf(-1)},
		{`1e-400`, 0.0},
		{`NaN`, math.NaN()},
		{`Infinity`, math.Inf(1)},
		{`-Infinity`, math.Inf(-1)},
		{`""`, ""},
		{`"é€😀\u007f"`, "é€😀\x7f"},
		{`"\"\\\/\b\f\n\r\t\u0000\u00e9\u20AC"`, "\"\\/\b\f\n\r\t\x00é€"},
		{`"\ud83d\ude00"`, "😀"},
		{`"\ud800"`, "\xed\xa0\x80"},
		{`"\ud800\u0041"`, "\xed\xa0\x80A"},
		{`"\udc00\ud800x"`, "\xed\xb0\x80\xed\xa0\x80x"},
		{`"a\ud83d"`, "a\xed\xa0\xbd"},
		{`[]`, []any{}},
		{`[ 1 , [ ] , { } ]`, []any{int64(1), []any{}, pyval.NewDict(0)}},
		{`{"b": 1, "a": [2.5, "x"]}`, pyval.DictOf("b", int64(1), "a", []any{2.5, "x"})},
		{`{"a": 1, "b": 2, "a": 3}`, pyval.DictOf("a", int64(3), "b", int64(2))},
		{`{"object": "obj", "method": "m", "params": [], "kwargs": null}`, pyval.DictOf("object", "obj", "method", "m", "params", []any{}, "kwargs", nil)},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Unmarshal([]byte(tt.in))
			if err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if !pyval.Equal(got, tt.want) {
				t.Fatalf("got %s (%T), want %s (%T)", pyval.Repr(got), got, pyval.Repr(tt.want), tt.want)
			}
		})
	}
}

func TestDecodeOrder(t *testing.T) {
	v, err := Unmarshal([]byte(`{"z": 1, "a": 2, "m": 3, "z": 4}`))
	if err != nil {
		t.Fatal(err)
	}
	keys := v.(*pyval.Dict).Keys()
	if len(keys) != 3 || keys[0] != "z" || keys[1] != "a" || keys[2] != "m" {
		t.Fatalf("keys %v, want [z a m] in document order", keys)
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		in   string
		want error
	}{
		{``, serializer.ErrMalformed},
		{`   `, serializer.ErrMalformed},
		{`01`, serializer.ErrMalformed},
		{`1.`, serializer.ErrMalformed},
		{`.5`, serializer.ErrMalformed},
		{`+1`, serializer.ErrMalformed},
		{`1e`, serializer.ErrMalformed},
		{`1e+`, serializer.ErrMalformed},
		{`-`, serializer.ErrMalformed},
		{`-NaN`, serializer.ErrMalformed},
		{`nan`, serializer.ErrMalformed},
		{`-infinity`, serializer.ErrMalformed},
		{`-Infinityx`, serializer.ErrMalformed},
		{`tru`, serializer.ErrMalformed},
		{`nul`, serializer.ErrMalformed},
		{`1 2`, serializer.ErrMalformed},
		{"[]\f", serializer.ErrMalformed},
		{"\ufeff1", serializer.ErrMalformed},
		{`[1,]`, serializer.ErrMalformed},
		{`[1 2]`, serializer.ErrMalformed},
		{`[`, serializer.ErrMalformed},
		{`[1`, serializer.ErrMalformed},
		{`{"a":1,}`, serializer.ErrMalformed},
		{`{1:2}`, serializer.ErrMalformed},
		{`{"a" 1}`, serializer.ErrMalformed},
		{`{"a":}`, serializer.ErrMalformed},
		{`{"a":1`, serializer.ErrMalformed},
		{`{'a':1}`, serializer.ErrMalformed},
		{`"abc`, serializer.ErrMalformed},
		{`"abc\`, serializer.ErrMalformed},
		{`"ab\"`, serializer.ErrMalformed},
		{"\"\t\"", serializer.ErrMalformed},
		{"\"a\\n\x01\"", serializer.ErrMalformed},
		{`"\x"`, serializer.ErrMalformed},
		{`"\u12"`, serializer.ErrMalformed},
		{`"\u12g4"`, serializer.ErrMalformed},
		{"\"\xff\"", serializer.ErrMalformed},
		{"\"\\n\xc3\"", serializer.ErrMalformed},
		{"\"\xed\xa0\x80\"", serializer.ErrMalformed}, // raw surrogates are not UTF-8
		{"1" + strings.Repeat("0", maxIntDigits), serializer.ErrLimit},
		{strings.Repeat("[", serializer.MaxDepth+1) + strings.Repeat("]", serializer.MaxDepth+1), serializer.ErrLimit},
		{strings.Repeat(`{"a":`, serializer.MaxDepth+1) + "1" + strings.Repeat("}", serializer.MaxDepth+1), serializer.ErrLimit},
	}
	for _, tt := range tests {
		name := tt.in
		if len(name) > 30 {
			name = name[:30]
		}
		t.Run(name, func(t *testing.T) {
			got, err := Unmarshal([]byte(tt.in))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Unmarshal(%q) = %s, %v; want an error wrapping %v", tt.in, pyval.Repr(got), err, tt.want)
			}
		})
	}
	// the limits are not off by one
	ok := strings.Repeat("[", serializer.MaxDepth) + strings.Repeat("]", serializer.MaxDepth)
	if _, err := Unmarshal([]byte(ok)); err != nil {
		t.Errorf("depth %d: %v", serializer.MaxDepth, err)
	}
	if v, err := Unmarshal([]byte("1" + strings.Repeat("0", maxIntDigits-1))); err != nil || v.(*big.Int).BitLen() < 14000 {
		t.Errorf("%d digits: %v", maxIntDigits, err)
	}
}

func TestEncode(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"None", nil, `null`},
		{"bools", []any{true, false}, `[true, false]`},
		{"ints", []any{int64(-5), 7, int64(math.MinInt64)}, `[-5, 7, -9223372036854775808]`},
		{"big", codectest.BigInt("-1180591620717411303424"), `-1180591620717411303424`},
		{"floats", []any{1.5, 0.0, negZero, 1e16, 1e15, 1e-5, 0.0001, 5e-324, 0.1, 123456789.123, -2.0}, `[1.5, 0.0, -0.0, 1e+16, 1000000000000000.0, 1e-05, 0.0001, 5e-324, 0.1, 123456789.123, -2.0]`},
		{"specials", []any{math.NaN(), math.Inf(1), math.Inf(-1)}, `[NaN, Infinity, -Infinity]`},
		{"escapes", "\"\\/\b\f\n\r\t\x00\x1f\x7f\u2028é😀", `"\"\\/\b\f\n\r\t\u0000\u001f` + "\x7f\u2028é😀\""},
		{"lone surrogate", "a\xed\xa0\x80b\xed\xbf\xbf", `"a\ud800b\udfff"`},
		{"tuple", pyval.Tuple{int64(1), pyval.Tuple{}}, `[1, []]`},
		{"set", pyval.NewSet("a"), `["a"]`},
		{"frozenset", &pyval.Set{Frozen: true}, `[]`},
		{"dict", pyval.DictOf("b", int64(1), "a", pyval.NewDict(0)), `{"b": 1, "a": {}}`},
		{"keys", pyval.DictOf(int64(5), "i", 2.5, "f", true, "t", false, "F", nil, "n", codectest.BigInt("100000000000000000000"), "b", math.Inf(-1), "inf", 1e16, "e"),
			`{"5": "i", "2.5": "f", "true": "t", "false": "F", "null": "n", "100000000000000000000": "b", "-Infinity": "inf", "1e+16": "e"}`},
		{"Go map via FromGo", map[string]any{"b": []int{1}, "a": uint8(2)}, `{"a": 2, "b": [1]}`},
		{"nil dict", (*pyval.Dict)(nil), `null`},
		{"nil list", []any(nil), `[]`},
		{"nil list", []any(nil), `[]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Marshal(tt.v)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if string(got) != tt.want {
				t.Fatalf("Marshal(%s)\n got %s\nwant %s", pyval.Repr(tt.v), got, tt.want)
			}
			if _, err := Unmarshal(got); err != nil {
				t.Fatalf("own output does not decode: %v", err)
			}
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	cyclic := []any{nil}
	cyclic[0] = cyclic
	goCycle := map[string]any{}
	goCycle["self"] = goCycle
	var convErr *pyval.ConvertError
	tests := []struct {
		name string
		v    any
		want error
	}{
		{"bytes", []byte("x"), serializer.ErrUnsupported},
		{"nested bytes", []any{pyval.DictOf("k", []byte{})}, serializer.ErrUnsupported},
		{"complex", complex(1, 2), serializer.ErrUnsupported},
		{"tuple key", pyval.DictOf(pyval.Tuple{int64(1)}, nil), serializer.ErrUnsupported},
		{"bytes key", pyval.DictOf([]byte("k"), nil), serializer.ErrUnsupported},
		{"frozenset key", pyval.DictOf(&pyval.Set{Frozen: true}, nil), serializer.ErrUnsupported},
		{"invalid utf-8", "a\xffb", serializer.ErrUnsupported},
		{"invalid utf-8 key", pyval.DictOf("\xc3", nil), serializer.ErrUnsupported},
		{"truncated surrogate", "\xed\xa0", serializer.ErrUnsupported},
		{"channel", make(chan int), serializer.ErrUnsupported},
		{"cycle", cyclic, serializer.ErrLimit},
		{"Go map cycle", goCycle, serializer.ErrLimit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Marshal(tt.v)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Marshal = %s, %v; want an error wrapping %v", got, err, tt.want)
			}
		})
	}
	if _, err := Marshal(make(chan int)); !errors.As(err, &convErr) {
		t.Errorf("a Go channel: %v, want a *pyval.ConvertError inside", err)
	}
}

func TestRegistered(t *testing.T) { codectest.CheckRegistered(t, Codec{}, serializer.JSONID, "json") }

func TestCallRoundTrip(t *testing.T) {
	call := codectest.TypicalCall()
	data, err := serializer.MarshalCall(Codec{}, call)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"object": "MyWorker", "method": "get_rate", "params": ["EURUSD", 3, 1.5, {"amount": 100, "tags": ["a", "b"]}], "kwargs": {"timeout": 2.5}}`
	if string(data) != want {
		t.Fatalf("got  %s\nwant %s", data, want)
	}
	back, err := serializer.UnmarshalCall(Codec{}, data)
	if err != nil {
		t.Fatal(err)
	}
	if !codectest.SameCall(back, call) {
		t.Fatalf("got %+v, want %+v", back, call)
	}
}
