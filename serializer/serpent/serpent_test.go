package serpent

import (
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"

	"github.com/gopyro/pyro/internal/codectest"
	"github.com/gopyro/pyro/internal/pyrepr"
	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

var (
	negZero = math.Copysign(0, -1)
	nan     = math.NaN()
	inf     = math.Inf(1)
)

// encodeCases are the exact texts serpent 1.41 writes (checked against Python in interop_test.go).
var encodeCases = []struct {
	name string
	v    any
	want string
}{
	{"none", nil, "None"},
	{"true", true, "True"},
	{"false", false, "False"},
	{"int", int64(42), "42"},
	{"neg int", int64(-7), "-7"},
	{"go int", 3, "3"},
	{"min int64", int64(math.MinInt64), "-9223372036854775808"},
	{"big int", codectest.BigInt("1180591620717411303424"), "1180591620717411303424"},
	{"neg big int", codectest.BigInt("-1180591620717411303424"), "-1180591620717411303424"},
	{"float", 1.5, "1.5"},
	{"float whole", 1.0, "1.0"},
	{"float 1e16", 1e16, "1e+16"},
	{"float 1e-05", 1e-5, "1e-05"},
	{"float 0.0001", 0.0001, "0.0001"},
	{"float neg zero", negZero, "-0.0"},
	{"float denormal", 5e-324, "5e-324"},
	{"float max", math.MaxFloat64, "1.7976931348623157e+308"},
	{"float big whole", 9999999999999998.0, "9999999999999998.0"},
	{"inf", inf, "1e30000"},
	{"-inf", math.Inf(-1), "-1e30000"},
	{"nan", nan, "{'__class__':'float','value':'nan'}"},
	{"complex", complex(1, 2), "(1.0+2.0j)"},
	{"complex neg imag", complex(1.5, -2), "(1.5-2.0j)"},
	{"complex zero real", complex(0, 2), "(0.0+2.0j)"},
	{"complex inf", complex(inf, 1), "(1e30000+1.0j)"},
	{"complex -inf imag", complex(1, math.Inf(-1)), "(1.0-1e30000j)"},
	{"complex neg zero imag", complex(1, negZero), "(1.0+0.0j)"},
	{"complex neg zero real neg imag", complex(negZero, -2), "(-2.0j)"},
	{"complex both neg zero", complex(negZero, negZero), "(-0.0j)"},
	{"str", "hello", "'hello'"},
	{"str empty", "", "''"},
	{"str single quote", "it's", `"it's"`},
	{"str double quote", `say "hi"`, `'say "hi"'`},
	{"str both quotes", `it's "q"`, `'it\'s "q"'`},
	{"str escapes", "a\\b\tc\nd\re", `'a\\b\tc\nd\re'`},
	{"str controls", "\x00\x01\x1f\x7f", `'\x00\x01\x1f\x7f'`},
	{"str latin1 controls", "\u0080\u009f\u00a0\u00ad\u00a1\u00e9", `'\x80\x9f\xa0\xad¡é'`},
	{"str non-printable", "\u2028\u200b\ufeff\uffff", `'\u2028\u200b\ufeff\uffff'`},
	{"str astral", "😀\U000e0001\U0010ffff", `'😀\U000e0001\U0010ffff'`},
	{"str printable", "héllo € 😀 日本", "'héllo € 😀 日本'"},
	{"str invalid byte", "a\xffb", `'a\udcffb'`},
	{"str wtf8 surrogate", "\xed\xa0\x80", `'\ud800'`},
	{"str wtf8 low surrogate", "\xed\xb0\x80x", `'\udc00x'`},
	{"str wtf8 high then escaped byte", "\xed\xa0\x80\xff", `'\udced\udca0\udc80\udcff'`},
	{"str wtf8 surrogate in escape range", "\xed\xb2\x80", `'\udced\udcb2\udc80'`},
	{"str wtf8 high chain", "\xed\xa0\x80\xed\xa0\x81z", `'\ud800\ud801z'`},
	{"bytes", []byte{0, 1, 'a', 'b', 'c', 0xff}, "{'data': 'AAFhYmP/', 'encoding': 'base64'}"},
	{"bytes empty", []byte{}, "{'data': '', 'encoding': 'base64'}"},
	{"tuple empty", pyval.Tuple{}, "()"},
	{"tuple one", pyval.Tuple{int64(1)}, "(1,)"},
	{"tuple", pyval.Tuple{int64(1), "a"}, "(1,'a')"},
	{"list empty", []any{}, "[]"},
	{"list nested", []any{int64(1), []any{int64(2), int64(3)}}, "[1,[2,3]]"},
	{"dict empty", pyval.NewDict(0), "{}"},
	{"dict", pyval.DictOf("a", int64(1), int64(2), "b", pyval.Tuple{int64(1), int64(2)}, nil), "{'a':1,2:'b',(1,2):None}"},
	{"dict odd keys", pyval.DictOf(true, 1, 1.5, 2, complex(1, 1), 3, inf, 4, codectest.BigInt("1"+strings.Repeat("0", 30)), 5), "{True:1,1.5:2,(1.0+1.0j):3,1e30000:4,1000000000000000000000000000000:5}"},
	{"dict bytes key", pyval.DictOf([]byte("k'\x00"), 1), `{b"k'\x00":1}`},
	{"dict none key", pyval.DictOf(nil, 1, pyval.Tuple{nil}, 2), "{None:1,(None,):2}"},
	{"set none", pyval.NewSet(nil), "{None}"},
	{"set empty", pyval.NewSet(), "()"},
	{"frozenset empty", &pyval.Set{Frozen: true}, "()"},
	{"set", pyval.NewSet(int64(1), "a"), "{1,'a'}"},
	{"set one", pyval.NewSet(int64(3)), "{3}"},
	{"set tuple", pyval.NewSet(pyval.Tuple{int64(1), nil}), "{(1,None)}"},
	{"nil bytes", []byte(nil), "{'data': '', 'encoding': 'base64'}"},
	{"nil containers", []any{[]any(nil), pyval.Tuple(nil), (*pyval.Dict)(nil), (*pyval.Set)(nil), (*big.Int)(nil)}, "[[],(),None,None,None]"},
	{"go map", map[string]int{"b": 2, "a": 1}, "{'a':1,'b':2}"},
	{"go slice", []string{"x", "y"}, "['x','y']"},
	{"go ints", []any{int32(-5), uint8(200), uint64(math.MaxUint64)}, "[-5,200,18446744073709551615]"},
	{"go struct", struct {
		A int
		B string `pyro:"b"`
	}{1, "x"}, "{'A':1,'b':'x'}"},
	{"go in dict", pyval.DictOf("k", []float32{1.5}), "{'k':[1.5]}"},
	{"nesting", []any{pyval.DictOf("k", pyval.Tuple{[]any{}, pyval.NewSet(), nan})}, "[{'k':([],(),{'__class__':'float','value':'nan'})}]"},
}

func TestMarshal(t *testing.T) {
	for _, tc := range encodeCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Marshal(tc.v)
			if err != nil {
				t.Fatalf("Marshal(%#v): %v", tc.v, err)
			}
			if want := Header + tc.want; string(got) != want {
				t.Errorf("Marshal(%#v)\n got %s\nwant %s", tc.v, got, want)
			}
		})
	}
}

func TestMarshalHugeIntInHex(t *testing.T) {
	x := new(big.Int).Lsh(big.NewInt(1), 20000)
	x.Neg(x)
	got, err := Marshal(x)
	if err != nil {
		t.Fatal(err)
	}
	want := Header + "-0x1" + strings.Repeat("0", 5000)
	if string(got) != want {
		t.Fatalf("got %.60s...", got)
	}
	back, err := Unmarshal(got)
	if err != nil || !pyval.Equal(back, x) {
		t.Fatalf("round trip: %v", err)
	}
}

func TestMarshalErrors(t *testing.T) {
	deep := any(int64(1))
	for range serializer.MaxDepth + 1 {
		deep = []any{deep}
	}
	cyclic := []any{nil}
	cyclic[0] = cyclic
	cases := []struct {
		name string
		v    any
		want error
	}{
		{"list key", pyval.DictOf(1, 1, []any{}, 1), serializer.ErrUnsupported},
		{"dict in tuple key", pyval.DictOf(pyval.Tuple{pyval.NewDict(0)}, 1), serializer.ErrUnsupported},
		{"set key", pyval.DictOf(pyval.NewSet(), 1), serializer.ErrUnsupported},
		{"nan key", pyval.DictOf(nan, 1), serializer.ErrUnsupported},
		{"list in set", pyval.NewSet([]any{}), serializer.ErrUnsupported},
		{"nan complex", complex(nan, 1), serializer.ErrUnsupported},
		{"go chan", struct{ A chan int }{}, serializer.ErrUnsupported},
		{"too deep", deep, serializer.ErrLimit},
		{"cycle", cyclic, serializer.ErrLimit},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Marshal(tc.v)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Marshal: err = %v, want %v", err, tc.want)
			}
		})
	}
	_, err := Marshal([]any{struct{ A chan int }{}})
	var ce *pyval.ConvertError
	if !errors.As(err, &ce) || ce.Path != ".A" {
		t.Fatalf("Marshal of a chan field: %v, want a *pyval.ConvertError at .A", err)
	}
}

func TestMarshalDepthLimitMatchesDecoder(t *testing.T) {
	// MaxDepth brackets are fine both ways, counting the bracket a bytes value adds.
	v := any([]byte("x"))
	for range serializer.MaxDepth - 1 {
		v = pyval.Tuple{v}
	}
	data, err := Marshal(v)
	if err != nil {
		t.Fatalf("Marshal at the limit: %v", err)
	}
	back, err := Unmarshal(data)
	if err != nil || !pyval.Equal(back, v) {
		t.Fatalf("Unmarshal at the limit: %v", err)
	}
	if _, err := Marshal(pyval.Tuple{v}); !errors.Is(err, serializer.ErrLimit) {
		t.Fatalf("Marshal past the limit: %v", err)
	}
	text := Header + strings.Repeat("[", serializer.MaxDepth+1) + strings.Repeat("]", serializer.MaxDepth+1)
	_, err = Unmarshal([]byte(text))
	var de *DecodeError
	if !errors.Is(err, serializer.ErrLimit) || !errors.As(err, &de) || de.Offset != len(Header)+serializer.MaxDepth {
		t.Fatalf("Unmarshal past the limit: %v", err)
	}
}

var decodeCases = []struct {
	name string
	text string
	want any
}{
	{"header only comment", "# serpent utf-8 python3.2\n42", int64(42)},
	{"no header", "42", int64(42)},
	{"comments anywhere", "# a\n[ # b\n1, # c\n2 # d\n] # e", []any{int64(1), int64(2)}},
	{"crlf", "# h\r\n[1,\r\n2]\r\n", []any{int64(1), int64(2)}},
	{"line join", "1 \\\n + 2j", complex(1, 2)},
	{"none", "None", nil},
	{"true false", "(True,False)", pyval.Tuple{true, false}},
	{"neg int", "-7", int64(-7)},
	{"plus int", "+ 3", int64(3)},
	{"neg paren", "-(1)", int64(-1)},
	{"underscores", "1_000_000", int64(1000000)},
	{"zeros", "0_0", int64(0)},
	{"hex", "0xFF", int64(255)},
	{"hex underscore", "0x_f_f", int64(255)},
	{"octal", "0o17", int64(15)},
	{"binary", "0b1_0", int64(2)},
	{"max int64", "9223372036854775807", int64(math.MaxInt64)},
	{"min int64", "-9223372036854775808", int64(math.MinInt64)},
	{"big int", "1180591620717411303424", codectest.BigInt("1180591620717411303424")},
	{"big neg", "-9223372036854775809", codectest.BigInt("-9223372036854775809")},
	{"big hex", "0x1" + strings.Repeat("0", 40), codectest.BigInt("0x1" + strings.Repeat("0", 40))},
	{"big octal", "0o7" + strings.Repeat("7", 40), codectest.BigInt("0o7" + strings.Repeat("7", 40))},
	{"big binary", "-0b1" + strings.Repeat("01", 70), new(big.Int).Neg(codectest.BigInt("0b1" + strings.Repeat("01", 70)))},
	{"long decimal small", "000000000000000000000000", int64(0)},
	{"float", "1.5", 1.5},
	{"float point only", "5.", 5.0},
	{"float leading point", ".5", 0.5},
	{"float exp", "1e+16", 1e16},
	{"float exp underscore", "1_0.5e1_0", 105000000000.0},
	{"float leading zeros", "09.5", 9.5},
	{"float neg zero", "-0.0", negZero},
	{"float underflow", "1e-400", 0.0},
	{"inf", "1e30000", inf},
	{"-inf", "-1e30000", math.Inf(-1)},
	{"huge exponent", "1e999999999999999999999", inf},
	{"nan class", "{'__class__':'float','value':'nan'}", nan},
	{"nan class spaced", "{ '__class__' : 'float' , 'value' : 'nan' , }", nan},
	{"float class inf", "{'value':'-Infinity','__class__':'float'}", math.Inf(-1)},
	{"float class number", "{'__class__':'float','value':' 1_0.5 '}", 10.5},
	{"float class bad", "{'__class__':'float','value':'abc'}", pyval.DictOf("__class__", "float", "value", "abc")},
	{"float class exponent only", "{'__class__':'float','value':'e5'}", pyval.DictOf("__class__", "float", "value", "e5")},
	{"float class point only", "{'__class__':'float','value':'.'}", pyval.DictOf("__class__", "float", "value", ".")},
	{"float class int", "{'__class__':'float','value':'-007'}", -7.0},
	{"float class not str", "{'__class__':'float','value':1}", pyval.DictOf("__class__", "float", "value", int64(1))},
	{"imag", "2j", complex(0, 2)},
	{"imag J", "1J", complex(0, 1)},
	{"imag leading zeros", "007j", complex(0, 7)},
	{"neg imag", "-2j", complex(negZero, -2)},
	{"complex", "(1.0+2.0j)", complex(1, 2)},
	{"complex int", "(1+2j)", complex(1, 2)},
	{"complex neg", "-1.5-2j", complex(-1.5, -2)},
	{"complex paren parts", "(1)+(2j)", complex(1, 2)},
	{"complex serpent neg zero", "(1.0+-0.0j)", complex(1, 0)},
	{"complex neg zero real", "(-0.0+1.0j)", complex(0, 1)},
	{"complex inf", "(1e30000+1.0j)", complex(inf, 1)},
	{"complex big int", "(" + strings.Repeat("9", 30) + "+1j)", complex(1e30, 1)},
	{"str single", "'abc'", "abc"},
	{"str double", `"it's"`, "it's"},
	{"str escaped quote", `'it\'s "q"'`, `it's "q"`},
	{"str escapes", `'\\\'\"\a\b\f\n\r\t\v'`, "\\'\"\a\b\f\n\r\t\v"},
	{"str octal", `'\0\01234\777'`, "\x00\n34\u01ff"},
	{"str hex", `'\x41\xe9\xff'`, "A\u00e9\u00ff"},
	{"str unicode", `'\u20ac\U0001F600'`, "€😀"},
	{"str unknown escapes", `'\q\8\ '`, `\q\8\ `},
	{"str raw non-ascii", "'héllo € 😀'", "héllo € 😀"},
	{"str backslash non-ascii", `'\é'`, `\é`},
	{"str line continuation", "'a\\\nb\\\r\nc'", "abc"},
	{"str triple", "'''a'b''c\n'''", "a'b''c\n"},
	{"str triple double", `"""x"y"""`, `x"y`},
	{"str triple crlf", "'''a\r\nb\rc'''", "a\nb\nc"},
	{"str concat", `'a' "b" '''c'''`, "abc"},
	{"str concat newline", "('a'\n  'b')", "ab"},
	{"str prefixes", `u'x' r'\n' R'\'' U"y"`, `x\n\'y`},
	{"str raw backslash newline", "r'a\\\nb'", "a\\\nb"},
	{"str surrogate pair", `'\ud83d\ude00'`, "😀"},
	{"str surrogate pair across concat", `'\ud83d' '\ude00'`, "😀"},
	{"str lone high", `'\ud800'`, "\xed\xa0\x80"},
	{"str lone low", `'\udc00'`, "\xed\xb0\x80"},
	{"str high high", `'\ud800\ud800x'`, "\xed\xa0\x80\xed\xa0\x80x"},
	{"str surrogateescape", `'a\udcffb\udc80'`, "a\xffb\x80"},
	{"str surrogateescape forming utf8", `'\udcc3\udca9'`, "é"},
	{"bytes", `b'\x00ab\xff\n'`, []byte("\x00ab\xff\n")},
	{"bytes prefixes", `B'a' br'\x' Rb"c" bR'''d'''`, []byte(`a\xcd`)},
	{"bytes no unicode escapes", `b'\u1234\N{X}'`, []byte(`\u1234\N{X}`)},
	{"bytes octal wraps", `b'\777'`, []byte{0xff}},
	{"bytes dict", "{'data': 'AAFhYmP/', 'encoding': 'base64'}", []byte{0, 1, 'a', 'b', 'c', 0xff}},
	{"bytes dict compact", "{'encoding':'base64','data':''}", []byte{}},
	{"bytes dict bad base64", "{'data': '!!', 'encoding': 'base64'}", pyval.DictOf("data", "!!", "encoding", "base64")},
	{"bytes dict extra key", "{'data': '', 'encoding': 'base64', 'x': 1}", pyval.DictOf("data", "", "encoding", "base64", "x", int64(1))},
	{"tuple empty", "()", pyval.Tuple{}},
	{"tuple one", "(1,)", pyval.Tuple{int64(1)}},
	{"tuple trailing comma", "(1, 2,)", pyval.Tuple{int64(1), int64(2)}},
	{"top tuple", "1, 'a'", pyval.Tuple{int64(1), "a"}},
	{"top tuple one", "1,", pyval.Tuple{int64(1)}},
	{"grouping", "((1))", int64(1)},
	{"list", "[1, [2, 3],]", []any{int64(1), []any{int64(2), int64(3)}}},
	{"dict", "{'a':1,2:'b',(1,2):None,}", pyval.DictOf("a", int64(1), int64(2), "b", pyval.Tuple{int64(1), int64(2)}, nil)},
	{"dict equal keys", "{1:'a',1.0:'b',True:'c'}", pyval.DictOf(int64(1), "c")},
	{"dict bytes key", "{b'k':1}", pyval.DictOf([]byte("k"), int64(1))},
	{"set", "{1,'a',}", pyval.NewSet(int64(1), "a")},
	{"set dups", "{1,1.0,True}", pyval.NewSet(int64(1))},
	{"set()", "set( )", pyval.NewSet()},
	{"nested", "[{'k':({1},set(),-2j)}]", []any{pyval.DictOf("k", pyval.Tuple{pyval.NewSet(int64(1)), pyval.NewSet(), complex(negZero, -2)})}},
	{"whitespace", " \t\f[ 1 ,\n\t2 ]\n\n", []any{int64(1), int64(2)}},
}

func TestUnmarshal(t *testing.T) {
	for _, tc := range decodeCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Unmarshal([]byte(tc.text))
			if err != nil {
				t.Fatalf("Unmarshal(%q): %v", tc.text, err)
			}
			if !pyval.Equal(got, tc.want) {
				t.Errorf("Unmarshal(%q)\n got %#v (%s)\nwant %#v (%s)", tc.text, got, pyval.Repr(got), tc.want, pyval.Repr(tc.want))
			}
		})
	}
}

// TestRoundTrip decodes what Marshal wrote for every encode case.
func TestRoundTrip(t *testing.T) {
	for _, tc := range encodeCases {
		t.Run(tc.name, func(t *testing.T) {
			data, err := Marshal(tc.v)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Unmarshal(data)
			if err != nil {
				t.Fatalf("Unmarshal(%s): %v", data, err)
			}
			if want := roundTripForm(tc.v); !pyval.Equal(got, want) {
				t.Errorf("round trip of %s\n got %s\nwant %s", data, pyval.Repr(got), pyval.Repr(want))
			}
		})
	}
}

// roundTripForm is what a value reads back as: empty sets are written as (), sets lose
// frozenness, ints are int64 or *big.Int, and a -0.0 complex part may come back as 0.0.
func roundTripForm(v any) any {
	switch v.(type) {
	case nil, bool, int64, *big.Int, float64, complex128, string, []byte, pyval.Tuple, []any, *pyval.Dict, *pyval.Set:
	default:
		if c, err := pyval.FromGo(v); err == nil {
			v = c
		}
	}
	switch x := v.(type) {
	case int:
		return int64(x)
	case *big.Int:
		if x == nil {
			return nil
		}
	case []byte:
		if x == nil {
			return []byte{}
		}
	case complex128:
		re, im := real(x), imag(x)
		if re == 0 && math.Signbit(re) && !math.Signbit(im) {
			re = 0
		}
		if im == 0 && !(math.Signbit(re) && re == 0) {
			im = 0
		}
		return complex(re, im)
	case pyval.Tuple:
		t := make(pyval.Tuple, len(x))
		for i, e := range x {
			t[i] = roundTripForm(e)
		}
		return t
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = roundTripForm(e)
		}
		return l
	case *pyval.Dict:
		if x == nil {
			return nil
		}
		d := pyval.NewDict(x.Len())
		for _, it := range x.Items() {
			d.Set(roundTripForm(it.Key), roundTripForm(it.Value))
		}
		return d
	case *pyval.Set:
		if x == nil {
			return nil
		}
		if x.Len() == 0 {
			return pyval.Tuple{}
		}
		s := pyval.NewSet()
		for _, e := range x.Items() {
			s.Add(roundTripForm(e))
		}
		return s
	}
	return v
}

func TestUnmarshalErrors(t *testing.T) {
	cases := []struct {
		name   string
		text   string
		want   error
		offset int
	}{
		{"empty", "", serializer.ErrMalformed, 0},
		{"header only", Header, serializer.ErrMalformed, len(Header)},
		{"nul", "'a\x00'", serializer.ErrMalformed, 2},
		{"invalid utf8", "'a\xff'", serializer.ErrMalformed, 2},
		{"encoded surrogate", "'\xed\xa0\x80'", serializer.ErrMalformed, 1},
		{"bom", "\ufeff1", serializer.ErrMalformed, 0},
		{"trailing", "1 2", serializer.ErrMalformed, 2},
		{"name", "foo", serializer.ErrMalformed, 0},
		{"call", "set(1)", serializer.ErrMalformed, 4},
		{"frozenset", "frozenset()", serializer.ErrMalformed, 0},
		{"ellipsis", "...", serializer.ErrUnsupported, 0},
		{"N escape", `'\N{DIGIT ONE}'`, serializer.ErrUnsupported, 1},
		{"f-string", "f'x'", serializer.ErrMalformed, 0},
		{"ur prefix", "ur'x'", serializer.ErrMalformed, 0},
		{"unterminated", "'abc", serializer.ErrMalformed, 0},
		{"unterminated triple", "'''abc''", serializer.ErrMalformed, 0},
		{"newline in string", "'a\nb'", serializer.ErrMalformed, 0},
		{"raw odd backslash", `r'\'`, serializer.ErrMalformed, 1},
		{"truncated x", `'\x4'`, serializer.ErrMalformed, 1},
		{"truncated u", `'\u12'`, serializer.ErrMalformed, 1},
		{"U too big", `'\U00110000'`, serializer.ErrMalformed, 1},
		{"bytes non-ascii", "b'é'", serializer.ErrMalformed, 2},
		{"mix bytes str", "'a' b'b'", serializer.ErrMalformed, 4},
		{"leading zeros", "09", serializer.ErrMalformed, 0},
		{"bad exponent", "1e", serializer.ErrMalformed, 1},
		{"double underscore", "1__0", serializer.ErrMalformed, 1},
		{"trailing underscore", "1_", serializer.ErrMalformed, 1},
		{"underscore after point", "1._5", serializer.ErrMalformed, 2},
		{"letter after number", "1x", serializer.ErrMalformed, 1},
		{"bad hex", "0x", serializer.ErrMalformed, 2},
		{"bad binary", "0b2", serializer.ErrMalformed, 2},
		{"hex trailing underscore", "0xf_", serializer.ErrMalformed, 4},
		{"too many digits", strings.Repeat("1", 4301), serializer.ErrLimit, 0},
		{"sum of ints", "1+2", serializer.ErrMalformed, 2},
		{"sum chain", "1+2j+3j", serializer.ErrMalformed, 4},
		{"imag plus real", "2j+1", serializer.ErrMalformed, 2},
		{"double sign", "--1", serializer.ErrMalformed, 1},
		{"sign on tuple", "-(1,)", serializer.ErrMalformed, 1},
		{"sign on bool", "-True", serializer.ErrMalformed, 1},
		{"sign on str", "-'a'", serializer.ErrMalformed, 1},
		{"sum of group", "(1+2j)+3j", serializer.ErrMalformed, 6},
		{"empty tuple comma", "(,)", serializer.ErrMalformed, 1},
		{"list double comma", "[1,,2]", serializer.ErrMalformed, 3},
		{"list unclosed", "[1,2", serializer.ErrMalformed, 4},
		{"dict missing value", "{1:}", serializer.ErrMalformed, 3},
		{"dict mixed", "{1:2,3}", serializer.ErrMalformed, 6},
		{"set mixed", "{1,2:3}", serializer.ErrMalformed, 4},
		{"unhashable key", "{[1]:2}", serializer.ErrMalformed, 1},
		{"unhashable tuple key", "{(1,[2]):2}", serializer.ErrMalformed, 1},
		{"unhashable set element", "{1,{2}}", serializer.ErrMalformed, 3},
		{"bytes dict key", "{{'data':'','encoding':'base64'}:1}", serializer.ErrMalformed, 1},
		{"nan dict in set", "{{'__class__':'float','value':'nan'}}", serializer.ErrMalformed, 1},
		{"star", "[*a]", serializer.ErrMalformed, 1},
		{"top trailing double comma", "1,,", serializer.ErrMalformed, 2},
		{"stray backslash", "\\ 1", serializer.ErrMalformed, 0},
		{"deep", strings.Repeat("(", 1001), serializer.ErrLimit, 1000},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, err := Unmarshal([]byte(tc.text))
			if !errors.Is(err, tc.want) {
				t.Fatalf("Unmarshal(%q) = %v, %v; want error %v", tc.text, v, err, tc.want)
			}
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %v is not a *DecodeError", err)
			}
			if de.Offset != tc.offset {
				t.Errorf("Unmarshal(%q): offset %d, want %d (%v)", tc.text, de.Offset, tc.offset, err)
			}
		})
	}
}

func TestAppendFloatMatchesFormatFloat(t *testing.T) {
	vals := []float64{0, negZero, 1, -1, 0.1, 1e16, 1e15, 9999999999999998, 1e-4, 9.999e-5, 1e-5, 5e-324, math.MaxFloat64, 123456789.123, 1.5e300, -2.5e-300}
	for i := range 100000 {
		vals = append(vals, math.Float64frombits(uint64(i)*0x9e3779b97f4a7c15))
	}
	for _, f := range vals {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		if got, want := string(appendFloat(nil, f)), pyrepr.FormatFloat(f); got != want {
			t.Fatalf("appendFloat(%v) = %s, FormatFloat = %s", f, got, want)
		}
	}
}

func TestCodecRegistered(t *testing.T) {
	codectest.CheckRegistered(t, Codec{}, serializer.SerpentID, "serpent")
}

func TestCallRoundTrip(t *testing.T) {
	call := codectest.TypicalCall()
	data, err := serializer.MarshalCall(Codec{}, call)
	if err != nil {
		t.Fatal(err)
	}
	want := Header + "('MyWorker','get_rate',('EURUSD',3,1.5,{'amount':100,'tags':['a','b']}),{'timeout':2.5})"
	if string(data) != want {
		t.Fatalf("got  %s\nwant %s", data, want)
	}
	back, err := serializer.UnmarshalCall(Codec{}, data)
	if err != nil {
		t.Fatal(err)
	}
	if back.Object != call.Object || back.Method != call.Method || !pyval.Equal(pyval.Tuple(back.Args), roundTripForm(pyval.Tuple(call.Args))) || !pyval.Equal(back.Kwargs, call.Kwargs) {
		t.Fatalf("got %+v", back)
	}
}
