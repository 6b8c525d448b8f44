package marshal

import (
	"bytes"
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"

	"github.com/gopyro/pyro/internal/codectest"
	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

// TestDecode decodes bytes Python 3.11 wrote (copied from marshal.dumps output) and bytes in
// forms Python reads but no longer writes.
func TestDecode(t *testing.T) {
	tests := []struct {
		name string
		hex  string
		want any
	}{
		{"None", "4e", nil},
		{"None flagged", "ce", nil},
		{"False", "46", false},
		{"True", "54", true},
		{"int", "e9 05000000", int64(5)},
		{"int min", "e9 00000080", int64(math.MinInt32)},
		{"int64 (Python 2)", "49 0100000000000080", int64(math.MinInt64 + 1)},
		{"long 2**31", "ec 03000000 0000 0000 0200", int64(1 << 31)},
		{"long -2**31-1", "ec fdffffff 0100 0000 0200", int64(-1<<31 - 1)},
		{"long zero", "6c 00000000", int64(0)},
		{"long 2**70", "6c 05000000 0000 0000 0000 0000 0004", new(big.Int).Lsh(big.NewInt(1), 70)},
		{"long -2**70", "6c fbffffff 0000 0000 0000 0000 0004", new(big.Int).Neg(new(big.Int).Lsh(big.NewInt(1), 70))},
		{"long 2**63-1", "ec 05000000 ff7f ff7f ff7f ff7f 0700", int64(math.MaxInt64)},
		{"long -2**63", "ec fbffffff 0000 0000 0000 0000 0800", int64(math.MinInt64)},
		{"long 2**63", "ec 05000000 0000 0000 0000 0000 0800", codectest.BigInt("9223372036854775808")},
		{"float", "e7 000000000000f83f", 1.5},
		{"float -0", "67 0000000000000080", math.Copysign(0, -1)},
		{"text float", "66 03 312e35", 1.5},
		{"text float -nan", "66 04 2d4e614e", math.NaN()},
		{"text float inf", "66 09 2d696e66696e697479", math.Inf(-1)},
		{"complex", "f9 000000000000f83f 0000000000000040", complex(1.5, 2)},
		{"text complex", "78 01 31 03 2d322e", complex(1, -2)},
		{"bytes", "73 03000000 610062", []byte("a\x00b")},
		{"short ascii", "fa 0e 756e6b6e6f776e206f626a656374", "unknown object"},
		{"interned short ascii", "da 02 6869", "hi"},
		{"ascii", "61 03000000 616263", "abc"},
		{"ascii read as latin-1", "7a 02 e961", "éa"},
		{"interned ascii", "41 01000000 78", "x"},
		{"unicode", "f5 06000000 c3a9c3a9c3a9", "ééé"},
		{"interned utf-8", "74 02000000 c3a9", "é"},
		{"lone surrogate", "75 03000000 eda080", "\xed\xa0\x80"},
		{"small tuple", "a9 02 e901000000 e902000000", pyval.Tuple{int64(1), int64(2)}},
		{"tuple", "28 01000000 4e", pyval.Tuple{nil}},
		{"empty tuple", "29 00", pyval.Tuple{}},
		{"list", "db 02000000 e901000000 da0161", []any{int64(1), "a"}},
		{"dict", "fb da016b e902000000 30", pyval.DictOf("k", int64(2))},
		{"dict ended by NULL value", "7b 7a0161 30", pyval.NewDict(0)},
		{"set", "bc 02000000 e901000000 e902000000", pyval.NewSet(int64(1), int64(2))},
		{"frozenset", "3e 02000000 e901000000 e902000000", codectest.Frozen(int64(1), int64(2))},
		{"empty frozenset", "3e 00000000", &pyval.Set{Frozen: true}},
		{
			"call tuple",
			"2904da056f626a6964da046d6574685b02000000e901000000da01617bda016be90200000030",
			pyval.Tuple{"objid", "meth", []any{int64(1), "a"}, pyval.DictOf("k", int64(2))},
		},
		{
			// ("x","x",["x"],{"x":"x"}): one interned string, referenced four times
			"interned back-references",
			"2904da017872000000005b0100000072000000007b7200000000720000000030",
			pyval.Tuple{"x", "x", []any{"x"}, pyval.DictOf("x", "x")},
		},
		{
			// [s, s, (1,2), (1,2)] for one str object s and one tuple object
			"shared objects",
			"5b04000000fa1668656c6c6f20776f726c6468656c6c6f20776f726c647200000000a902e901000000e9020000007201000000",
			[]any{"hello worldhello world", "hello worldhello world", pyval.Tuple{int64(1), int64(2)}, pyval.Tuple{int64(1), int64(2)}},
		},
		{
			// get_metadata's reply: sets, one of them empty, and a reference to "ping"
			"metadata",
			"fbda076d6574686f64733c03000000da046563686fda0470696e67da086765745f72617465da066f6e657761793c010000007203000000da0561747472733c0000000030",
			pyval.DictOf("methods", pyval.NewSet("echo", "ping", "get_rate"), "oneway", pyval.NewSet("ping"), "attrs", pyval.NewSet()),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Unmarshal(codectest.MustHex(t, tt.hex))
			if err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if !pyval.Equal(got, tt.want) {
				t.Fatalf("got %s (%T), want %s (%T)", pyval.Repr(got), got, pyval.Repr(tt.want), tt.want)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		hex  string
		want error
	}{
		{"empty", "", serializer.ErrMalformed},
		{"NULL", "30", serializer.ErrMalformed},
		{"NULL in list", "5b 01000000 30", serializer.ErrMalformed},
		{"NULL in tuple", "29 01 30", serializer.ErrMalformed},
		{"NULL in set", "3c 01000000 30", serializer.ErrMalformed},
		{"unknown code", "3f", serializer.ErrMalformed},
		{"unknown flagged code", "bf", serializer.ErrMalformed},
		{"trailing data", "4e 4e", serializer.ErrMalformed},
		{"truncated int", "69 0100", serializer.ErrMalformed},
		{"truncated float", "67 00000000", serializer.ErrMalformed},
		{"truncated complex", "79 0000000000000000", serializer.ErrMalformed},
		{"truncated str", "75 05000000 6162", serializer.ErrMalformed},
		{"huge str length", "75 ffffff7f 61", serializer.ErrMalformed},
		{"negative str length", "75 ffffffff", serializer.ErrMalformed},
		{"huge list count", "5b ffffff7f 4e", serializer.ErrMalformed},
		{"huge set count", "3c 00000010 4e", serializer.ErrMalformed},
		{"small tuple beyond input", "29 05 4e", serializer.ErrMalformed},
		{"huge long", "6c ffffff7f 0100", serializer.ErrMalformed},
		{"huge negative long", "6c 01000080 0100", serializer.ErrMalformed},
		{"long digit out of range", "6c 01000000 0080", serializer.ErrMalformed},
		{"unnormalized long", "6c 02000000 0100 0000", serializer.ErrMalformed},
		{"bad utf-8", "75 02000000 c328", serializer.ErrMalformed},
		{"utf-8 encoded surrogate pair half cut", "75 02000000 eda0", serializer.ErrMalformed},
		{"bad text float", "66 05 20312e3520", serializer.ErrMalformed},
		{"hex text float", "66 06 3078317032", serializer.ErrMalformed},
		{"underscore text float", "66 04 315f3030", serializer.ErrMalformed},
		{"reference out of range", "72 00000000", serializer.ErrMalformed},
		{"negative reference", "5b 01000000 fa0161 72 ffffffff", serializer.ErrMalformed},
		{"flagged None takes no index", "5b 02000000 ce 72 00000000", serializer.ErrMalformed},
		{"unhashable set member", "3c 01000000 5b00000000", serializer.ErrMalformed},
		{"unhashable dict key", "7b 7b30 4e 30", serializer.ErrMalformed},
		{"dict missing value", "7b 7a0161", serializer.ErrMalformed},
		{"dict missing end", "7b 7a0161 4e", serializer.ErrMalformed},
		{"self-containing list", "db 01000000 72 00000000", serializer.ErrUnsupported},
		{"self-containing tuple", "a9 01 72 00000000", serializer.ErrUnsupported},
		{"code object", "e3 00000000", serializer.ErrUnsupported},
		{"Ellipsis", "2e", serializer.ErrUnsupported},
		{"StopIteration", "53", serializer.ErrUnsupported},
		{"too deep", strings.Repeat("5b01000000", serializer.MaxDepth+2) + "4e", serializer.ErrLimit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Unmarshal(codectest.MustHex(t, tt.hex))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Unmarshal = %s, %v; want an error wrapping %v", pyval.Repr(got), err, tt.want)
			}
		})
	}
}

// TestExpansionLimit feeds a list that refers twice to the list below it, 40 levels deep: a
// few hundred bytes that would expand to 2**40 items.
func TestExpansionLimit(t *testing.T) {
	build := func(levels int) []byte {
		b := []byte{'(', byte(levels + 1), 0, 0, 0}
		b = append(b, 0xdb, 2, 0, 0, 0, 'N', 'N') // ref 0 = [None, None]
		for i := 1; i <= levels; i++ {
			b = append(b, 0xdb, 2, 0, 0, 0) // ref i = [ref i-1, ref i-1]
			for range 2 {
				b = append(b, 'r', byte(i-1), 0, 0, 0)
			}
		}
		return b
	}
	_, err := Unmarshal(build(40))
	if !errors.Is(err, serializer.ErrLimit) {
		t.Fatalf("Unmarshal of a 2**40 expansion: %v, want ErrLimit", err)
	}
	v, err := Unmarshal(build(10))
	if err != nil {
		t.Fatalf("Unmarshal of a 2**10 expansion: %v", err)
	}
	if l, ok := v.(pyval.Tuple); !ok || len(l) != 11 {
		t.Fatalf("got %s", pyval.Repr(v))
	}
}

func TestEncode(t *testing.T) {
	tests := []struct {
		name string
		v    any
		hex  string
	}{
		{"None", nil, "4e"},
		{"bools", pyval.Tuple{true, false}, "29 02 54 46"},
		{"int", int64(-1), "69 ffffffff"},
		{"Go int", 7, "69 07000000"},
		{"int32 max", int64(math.MaxInt32), "69 ffffff7f"},
		{"2**31", int64(1 << 31), "6c 03000000 0000 0000 0200"},
		{"-2**31-1", int64(-1<<31 - 1), "6c fdffffff 0100 0000 0200"},
		{"int64 min", int64(math.MinInt64), "6c fbffffff 0000 0000 0000 0000 0800"},
		{"big int in int32 range", big.NewInt(-5), "69 fbffffff"},
		{"2**70", new(big.Int).Lsh(big.NewInt(1), 70), "6c 05000000 0000 0000 0000 0000 0004"},
		{"-2**70", new(big.Int).Neg(new(big.Int).Lsh(big.NewInt(1), 70)), "6c fbffffff 0000 0000 0000 0000 0004"},
		{"float", 1.5, "67 000000000000f83f"},
		{"complex", complex(1.5, 2), "79 000000000000f83f 0000000000000040"},
		{"short ascii", "hi", "7a 02 6869"},
		{"unicode", "é", "75 02000000 c3a9"},
		{"lone surrogate", "\xed\xa0\x80", "75 03000000 eda080"},
		{"long ascii", strings.Repeat("a", 256), "61 00010000" + strings.Repeat("61", 256)},
		{"bytes", []byte{0, 1}, "73 02000000 0001"},
		{"list", []any{"a"}, "5b 01000000 7a0161"},
		{"dict", pyval.DictOf("k", int64(2), pyval.Tuple{int64(1)}, nil), "7b 7a016b 6902000000 2901 6901000000 4e 30"},
		{"set", pyval.NewSet(int64(1)), "3c 01000000 6901000000"},
		{"frozenset", &pyval.Set{Frozen: true}, "3e 00000000"},
		{
			"call",
			pyval.Tuple{"objid", "meth", []any{int64(1), "a"}, pyval.DictOf("k", int64(2))},
			"2904 7a056f626a6964 7a046d657468 5b02000000 6901000000 7a0161 7b 7a016b 6902000000 30",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Marshal(tt.v)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if want := codectest.MustHex(t, tt.hex); !bytes.Equal(got, want) {
				t.Fatalf("Marshal(%s)\n got % x\nwant % x", pyval.Repr(tt.v), got, want)
			}
			back, err := Unmarshal(got)
			if err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			want := tt.v
			if i, ok := want.(int); ok {
				want = int64(i)
			}
			if !pyval.Equal(back, want) {
				t.Fatalf("round trip: got %s, want %s", pyval.Repr(back), pyval.Repr(want))
			}
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	cyclic := []any{nil}
	cyclic[0] = cyclic
	goCycle := map[string]any{}
	goCycle["self"] = goCycle
	tests := []struct {
		name string
		v    any
		want error
	}{
		{"invalid utf-8", "\xff", serializer.ErrUnsupported},
		{"list key", pyval.DictOf([]any{}, nil), serializer.ErrUnsupported},
		{"dict in set", pyval.NewSet(pyval.NewDict(0)), serializer.ErrUnsupported},
		{"mutable set key", pyval.DictOf(pyval.NewSet(), nil), serializer.ErrUnsupported},
		{"Go struct", struct{ A chan int }{}, serializer.ErrUnsupported},
		{"cycle", cyclic, serializer.ErrLimit},
		{"Go map cycle", goCycle, serializer.ErrLimit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Marshal(tt.v)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Marshal = % x, %v; want an error wrapping %v", got, err, tt.want)
			}
		})
	}
}

func TestRegistered(t *testing.T) {
	codectest.CheckRegistered(t, Codec{}, serializer.MarshalID, "marshal")
}

func TestCallRoundTrip(t *testing.T) {
	call := codectest.TypicalCall()
	data, err := serializer.MarshalCall(Codec{}, call)
	if err != nil {
		t.Fatal(err)
	}
	if data[0] != codeSmallTuple || data[1] != 4 {
		t.Fatalf("call starts % x, want a small 4-tuple", data[:2])
	}
	back, err := serializer.UnmarshalCall(Codec{}, data)
	if err != nil {
		t.Fatal(err)
	}
	if !codectest.SameCall(back, call) {
		t.Fatalf("got %+v, want %+v", back, call)
	}
}
