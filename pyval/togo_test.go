package pyval

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"math/big"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
)

type rates struct {
	Base         string
	ExchangeRate float64
	Rates        map[string]float64 `pyro:"rates"`
	When         time.Time
	Tags         []string `pyro:"tags,omitempty"`
	Next         *rates
	Ignored      int `pyro:"-"`
}

// upper decodes itself from a str, upper-cased, and from None as "NONE".
type upper string

func (u *upper) UnmarshalPython(v any) error {
	switch x := v.(type) {
	case nil:
		*u = "NONE"
	case string:
		*u = upper(strings.ToUpper(x))
	default:
		return fmt.Errorf("want str, got %s", TypeName(x))
	}
	return nil
}

type withUpper struct {
	U  upper
	PU *upper
}

func TestToGoTable(t *testing.T) {
	big1, _ := new(big.Int).SetString("123456789012345678901234567890", 10)
	b64 := DictOf("data", base64.StdEncoding.EncodeToString([]byte{0, 1, 255}), "encoding", "base64")
	when := time.Date(2024, 1, 2, 3, 4, 5, 600000, time.UTC)
	cases := []struct {
		name string
		in   any
		ptr  any // a fresh pointer of the target type
		want any // the value it should point to
	}{
		// natural forms in any
		{"any None", nil, new(any), nil},
		// None is the zero value of every type, as encoding/json reads null
		{"None as int", nil, new(int), 0},
		{"None as string", nil, new(string), ""},
		{"None as bool", nil, new(bool), false},
		{"None as float", nil, new(float64), 0.0},
		{"None as struct", nil, new(point), point{}},
		{"None as time", nil, new(time.Time), time.Time{}},
		{"None as array", nil, new([2]int), [2]int{}},
		{"None as Dict", nil, new(Dict), Dict{}},
		{"typed nil Dict as int", (*Dict)(nil), new(int), 0},
		{"None as slice", nil, new([]int), []int(nil)},
		{"None as pointer", nil, new(*int), (*int)(nil)},
		{"None in struct fields", DictOf("X", nil, "Y", int64(2)), new(point), point{Y: 2}},
		{"None in a list of str", []any{"a", nil}, new([]string), []string{"a", ""}},
		{"any int", int64(3), new(any), int64(3)},
		{"any go int", 3, new(any), int64(3)},
		{"any big", big1, new(any), big1},
		{"any small big", big.NewInt(2), new(any), int64(2)},
		{"any tuple", Tuple{int64(1), "a"}, new(any), []any{int64(1), "a"}},
		{"any set", NewSet("a"), new(any), []any{"a"}},
		{"any bytes", []byte("x"), new(any), []byte("x")},
		{"any str dict", DictOf("a", Tuple{}), new(any), map[string]any{"a": []any{}}},
		{"any mixed dict", DictOf("a", 1, int64(2), nil, 2.5, true, nil, "n"), new(any), map[any]any{"a": int64(1), int64(2): nil, 2.5: true, nil: "n"}},
		{"any tuple-keyed dict stays", DictOf(Tuple{int64(1)}, Tuple{}), new(any), DictOf(Tuple{int64(1)}, Tuple{})},
		{"any nan-keyed dict stays", DictOf(math.NaN(), 1), new(any), DictOf(math.NaN(), 1)},
		{"any nested", []any{DictOf("k", NewSet(int64(1)))}, new(any), []any{map[string]any{"k": []any{int64(1)}}}},
		{"raw keeps tuple", Tuple{int64(1)}, new(Raw), Raw(Tuple{int64(1)})},
		{"raw list", []any{Tuple{}, DictOf("a", 1)}, new([]Raw), []Raw{Tuple{}, DictOf("a", 1)}},
		{"raw map", DictOf("a", NewSet()), new(map[string]Raw), map[string]Raw{"a": NewSet()}},
		{"stringer from natural", "x", new(fmt.Stringer), nil}, // checked separately below: error

		// scalars
		{"bool", true, new(bool), true},
		{"int", int64(-5), new(int), -5},
		{"int8", int64(-128), new(int8), int8(-128)},
		{"uint8", int64(255), new(uint8), uint8(255)},
		{"uint64 big", new(big.Int).SetUint64(math.MaxUint64), new(uint64), uint64(math.MaxUint64)},
		{"int from integral float", 3.0, new(int), 3},
		{"int64 from big in range", big.NewInt(7), new(int64), int64(7)},
		{"named int", int64(2), new(time.Month), time.February},
		{"float from int", int64(2), new(float64), 2.0},
		{"float from big", big1, new(float64), 1.2345678901234568e29},
		{"float32", 1.5, new(float32), float32(1.5)},
		{"float32 inf", math.Inf(-1), new(float32), float32(math.Inf(-1))},
		{"float nan", math.NaN(), new(float64), math.NaN()},
		{"named float", 20.5, new(celsius), celsius(20.5)},
		{"complex", 1 + 2i, new(complex128), 1 + 2i},
		{"complex64 from float", 0.5, new(complex64), complex64(0.5)},
		{"complex from int", int64(1), new(complex128), complex(1, 0)},
		{"string", "s", new(string), "s"},
		{"named string", "s", new(myStr), myStr("s")},
		{"string from utf8 bytes", []byte("é"), new(string), "é"},

		// bytes
		{"bytes", []byte{1, 2}, new([]byte), []byte{1, 2}},
		{"bytes empty", []byte{}, new([]byte), []byte{}},
		{"bytes from str", "hé", new([]byte), []byte("hé")},
		{"bytes from serpent dict", b64, new([]byte), []byte{0, 1, 255}},
		{"bytes from list", []any{int64(1), int64(2)}, new([]byte), []byte{1, 2}},
		{"named bytes", []byte("x"), new(myBytes), myBytes("x")},
		{"byte array", []byte{1, 2, 3}, new([3]byte), [3]byte{1, 2, 3}},
		{"bytes None", nil, new([]byte), []byte(nil)},

		// sequences
		{"slice from list", []any{"a", "b"}, new([]string), []string{"a", "b"}},
		{"slice from tuple", Tuple{int64(1), 2.0}, new([]float64), []float64{1, 2}},
		{"slice from set", NewSet(int64(3)), new([]int), []int{3}},
		{"slice empty", []any{}, new([]int), []int{}},
		{"slice None", nil, new([]int), []int(nil)},
		{"[]any", []any{Tuple{int64(1)}}, new([]any), []any{[]any{int64(1)}}},
		{"array", Tuple{int64(1), int64(2)}, new([2]int), [2]int{1, 2}},
		{"nested", []any{[]any{int64(1)}, []any{}}, new([][]int8), [][]int8{{1}, {}}},
		{"slice of pointers", []any{int64(1), nil}, new([]*int), []*int{ptrTo(1), nil}},
		{"tuple target", Tuple{"a"}, new(Tuple), Tuple{"a"}},
		{"tuple from list", []any{"a"}, new(Tuple), Tuple{"a"}},

		// maps
		{"map", DictOf("EUR", 1.1, "USD", int64(1)), new(map[string]float64), map[string]float64{"EUR": 1.1, "USD": 1}},
		{"map int keys", DictOf(int64(1), "a"), new(map[int]string), map[int]string{1: "a"}},
		{"map str keys into int keys", DictOf("10", "a", "-1", "b"), new(map[int8]string), map[int8]string{10: "a", -1: "b"}},
		{"map any", DictOf("a", Tuple{}), new(map[string]any), map[string]any{"a": []any{}}},
		{"map of structs", DictOf("p", DictOf("X", 1)), new(map[string]point), map[string]point{"p": {X: 1}}},
		{"map of slices", DictOf("a", []any{int64(1)}, "b", []any{}), new(map[string][]int), map[string][]int{"a": {1}, "b": {}}},
		{"map tuple keys", DictOf(Tuple{int64(1), int64(2)}, true), new(map[[2]int]bool), map[[2]int]bool{{1, 2}: true}},
		{"set into map struct{}", NewSet("a", "b"), new(map[string]struct{}), map[string]struct{}{"a": {}, "b": {}}},
		{"set into map bool", NewSet(int64(1)), new(map[int]bool), map[int]bool{1: true}},
		{"map None", nil, new(map[string]int), map[string]int(nil)},
		{"text key", DictOf("::1", int64(1)), new(map[netip.Addr]int), map[netip.Addr]int{netip.MustParseAddr("::1"): 1}},

		// structs
		{"struct exact names", DictOf("X", int64(1), "Y", int64(2)), new(point), point{1, 2}},
		{"struct lenient names", DictOf("x", int64(1), "_y_", int64(2)), new(point), point{1, 2}},
		{"struct tags and snake case", DictOf("Base", "EUR", "exchange_rate", 1.5, "rates", DictOf("USD", 1.1), "when", "2024-01-02T03:04:05.000600+00:00", "Ignored", int64(5), "unknown", []any{}, int64(1), "non-str key"),
			new(rates), rates{Base: "EUR", ExchangeRate: 1.5, Rates: map[string]float64{"USD": 1.1}, When: when}},
		{"struct recursive", DictOf("Next", DictOf("Base", "inner"), "Base", "outer"), new(rates), rates{Base: "outer", Next: &rates{Base: "inner"}}},
		{"struct tag beats field name", DictOf("name", "t", "exchange_rate", 2.0, "Skip", int64(1), "-", int64(3)), new(tagged), tagged{Name: "t", Rate: 2, Dash: 3}},
		{"embedded", DictOf("ID", "outer", "note", "b", "Level", int64(2)), new(embedder), embedder{Base: Base{Note: "b"}, Extra: &Extra{Level: 2}, ID: "outer"}},
		{"struct pointer", DictOf("X", int64(1)), new(*point), &point{X: 1}},
		{"struct pointer None", nil, new(*point), (*point)(nil)},
		{"class dict into struct", DictOf("__class__", "Pyro4.core.URI", "state", Tuple{"PYRO", "obj"}), new(struct{ State []string }), struct{ State []string }{[]string{"PYRO", "obj"}}},

		// special types
		{"time iso", "2024-01-02T03:04:05.000600+00:00", new(time.Time), when},
		{"time Z", "2024-01-02T03:04:05.0006Z", new(time.Time), when},
		{"time naive", "2024-01-02 03:04:05.000600", new(time.Time), when},
		{"time date", "2024-01-02", new(time.Time), time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)},
		{"time minutes", "2024-01-02T03:04", new(time.Time), time.Date(2024, 1, 2, 3, 4, 0, 0, time.UTC)},
		{"time nanos", "2024-01-02T03:04:05.123456789", new(time.Time), time.Date(2024, 1, 2, 3, 4, 5, 123456789, time.UTC)},
		{"time offset", "2024-07-01T12:00:00-05:30", new(time.Time), time.Date(2024, 7, 1, 17, 30, 0, 0, time.UTC)},
		{"time float", 1704164645.0006, new(time.Time), when},
		{"time int", int64(0), new(time.Time), time.Unix(0, 0).UTC()},
		{"time pointer", "2024-01-02", new(*time.Time), ptrTo(time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC))},
		{"duration", 1.5, new(time.Duration), 1500 * time.Millisecond},
		{"duration int", int64(-2), new(time.Duration), -2 * time.Second},
		{"big.Int", big1, new(big.Int), big1},
		{"big.Int small", int64(-4), new(*big.Int), big.NewInt(-4)},
		{"big.Float from str", "1.25", new(big.Float), big.NewFloat(1.25)},
		{"big.Float from float", 0.5, new(*big.Float), big.NewFloat(0.5)},
		{"big.Rat from str", "1/3", new(big.Rat), big.NewRat(1, 3)},
		{"big.Rat from float", 0.25, new(big.Rat), big.NewRat(1, 4)},
		{"dict target", DictOf("a", 1), new(*Dict), DictOf("a", 1)},
		{"set target", NewSet(Tuple{}), new(*Set), NewSet(Tuple{})},
		{"dict None", nil, new(*Dict), (*Dict)(nil)},
		{"dict by value", DictOf("a", 1), new(Dict), *DictOf("a", 1)},
		{"frozenset by value", &Set{Frozen: true}, new(Set), Set{d: Dict{items: []Item{}}, Frozen: true}},
		{"text unmarshaler", "10.1.2.3", new(netip.Addr), netip.MustParseAddr("10.1.2.3")},
		{"unmarshaler", "abc", new(upper), upper("ABC")},
		{"unmarshaler gets None", nil, new(upper), upper("NONE")},
		{"unmarshaler in struct", DictOf("U", "x", "PU", "y"), new(withUpper), withUpper{U: "X", PU: ptrTo(upper("Y"))}},
		{"unmarshaler pointer None", DictOf("PU", nil), new(withUpper), withUpper{}},
	}
	for _, c := range cases {
		if c.name == "stringer from natural" {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			if err := ToGo(c.in, c.ptr); err != nil {
				t.Fatalf("ToGo(%s, %T): %v", Repr(c.in), c.ptr, err)
			}
			got := reflect.ValueOf(c.ptr).Elem().Interface()
			if !deepEqual(got, c.want) {
				t.Fatalf("ToGo(%s, %T) = %#v, want %#v", Repr(c.in), c.ptr, got, c.want)
			}
			// Convert must agree with ToGo.
			rt := reflect.TypeOf(c.ptr).Elem()
			cv, err := Convert(c.in, rt)
			if err != nil {
				t.Fatalf("Convert: %v", err)
			}
			if !deepEqual(cv.Interface(), c.want) {
				t.Fatalf("Convert = %#v, want %#v", cv.Interface(), c.want)
			}
		})
	}
}

func ptrTo[T any](v T) *T { return &v }

// deepEqual is reflect.DeepEqual that also accepts equal canonical values (NaN, *Dict order,
// big numbers, time instants).
func deepEqual(a, b any) bool {
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		return ok && (x == y || math.IsNaN(x) && math.IsNaN(y))
	case *Dict, *Set, Tuple:
		return Equal(a, b) || Repr(a) == Repr(b) // Repr: NaN keys are never equal

	case *big.Int:
		y, ok := b.(*big.Int)
		return ok && x.Cmp(y) == 0
	case big.Int:
		y, ok := b.(*big.Int)
		return ok && x.Cmp(y) == 0
	case big.Float:
		y, ok := b.(*big.Float)
		return ok && x.Cmp(y) == 0
	case *big.Float:
		y, ok := b.(*big.Float)
		return ok && x.Cmp(y) == 0
	case big.Rat:
		y, ok := b.(*big.Rat)
		return ok && x.Cmp(y) == 0
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y)
	case *time.Time:
		y, ok := b.(*time.Time)
		return ok && x.Equal(*y)
	case rates:
		y := b.(rates)
		return x.When.Equal(y.When) && reflect.DeepEqual(x.Rates, y.Rates) &&
			x.Base == y.Base && x.ExchangeRate == y.ExchangeRate && reflect.DeepEqual(x.Next, y.Next)
	case []Raw:
		y := b.([]Raw)
		for i := range x {
			if !Equal(x[i], y[i]) {
				return false
			}
		}
		return len(x) == len(y)
	case map[string]Raw:
		y := b.(map[string]Raw)
		for k := range x {
			if !Equal(x[k], y[k]) {
				return false
			}
		}
		return len(x) == len(y)
	}
	return reflect.DeepEqual(a, b)
}

func TestToGoErrors(t *testing.T) {
	cases := []struct {
		name string
		in   any
		ptr  any
		msg  string // exact Error() with root "args[1]"
	}{
		{"str as float", DictOf("EUR", "x"), new(map[string]float64), `args[1]["EUR"]: cannot use str as float64`},
		{"field", DictOf("exchange_rate", "x"), new(rates), `args[1]["exchange_rate"]: cannot use str as float64`},
		{"deep path", DictOf("Next", DictOf("tags", []any{"a", int64(1)})), new(rates), `args[1]["Next"]["tags"][1]: cannot use int as string`},
		{"bool as int", true, new(int), `args[1]: cannot use bool as int`},
		{"int as bool", int64(1), new(bool), `args[1]: cannot use int as bool`},
		{"int8 overflow", int64(300), new(int8), `args[1]: cannot use int 300 as int8: out of range`},
		{"uint negative", int64(-1), new(uint), `args[1]: cannot use int -1 as uint: out of range`},
		{"big overflow", new(big.Int).Lsh(big.NewInt(1), 64), new(int64), `args[1]: cannot use int 18446744073709551616 as int64: out of range`},
		{"float not integral", 1.5, new(int), `args[1]: cannot use float 1.5 as int: not an integer`},
		{"float too big", 1e20, new(int64), `args[1]: cannot use float 1e+20 as int64: out of range`},
		{"float nan into int", math.NaN(), new(int), `args[1]: cannot use float nan as int: not an integer`},
		{"float32 overflow", 1e300, new(float32), `args[1]: cannot use float 1e+300 as float32: out of range`},
		{"huge int into float", new(big.Int).Lsh(big.NewInt(1), 2000), new(float64), `args[1]: cannot use int ` + new(big.Int).Lsh(big.NewInt(1), 2000).String() + ` as float64: out of range`},
		{"complex into float", 1i, new(float64), `args[1]: cannot use complex as float64`},
		{"str as []int", "ab", new([]int), `args[1]: cannot use str as []int`},
		{"dict as slice", DictOf(), new([]int), `args[1]: cannot use dict as []int`},
		{"class dict named", DictOf("__class__", "Pyro4.core.URI"), new(string), `args[1]: cannot use Pyro4.core.URI as string`},
		{"array length", []any{int64(1)}, new([2]int), `args[1]: cannot use list of length 1 as [2]int`},
		{"byte array length", []byte{1}, new([2]byte), `args[1]: cannot use bytes of length 1 as [2]uint8`},
		{"bad utf8", []byte{0xff}, new(string), `args[1]: cannot use bytes as string: not valid UTF-8`},
		{"bad base64", DictOf("data", "!!", "encoding", "base64"), new([]byte), `args[1]: cannot use serpent bytes dict as []uint8: illegal base64 data at input byte 0`},
		{"other dict as bytes", DictOf("data", "AA==", "encoding", "hex"), new([]byte), `args[1]: cannot use dict as []uint8`},
		{"bad map key", DictOf(int64(1), int64(1)), new(map[string]int), `args[1][1]: cannot use int as string`},
		{"bad str int key", DictOf("x", int64(1)), new(map[int]int), `args[1]["x"]: cannot use str "x" as int key`},
		{"str key out of range", DictOf("300", int64(1)), new(map[int8]int), `args[1]["300"]: cannot use int 300 as int8: out of range`},
		{"set into map of int", NewSet("a"), new(map[string]int), `args[1]: cannot use set as map[string]int`},
		{"bad time", "yesterday", new(time.Time), `args[1]: cannot use str "yesterday" as time.Time: ` + errISO.Error()},
		{"bad date", "2023-02-29", new(time.Time), `args[1]: cannot use str "2023-02-29" as time.Time: ` + errISO.Error()},
		{"time from bool", true, new(time.Time), `args[1]: cannot use bool as time.Time`},
		{"duration nan", math.NaN(), new(time.Duration), `args[1]: cannot use float nan as time.Duration: out of range`},
		{"big.Int from float", 1.0, new(big.Int), `args[1]: cannot use float as big.Int`},
		{"big.Float bad str", "x", new(big.Float), `args[1]: cannot use str "x" as big.Float`},
		{"big.Rat inf", math.Inf(1), new(big.Rat), `args[1]: cannot use float inf as big.Rat: out of range`},
		{"dict into *Set", DictOf(), new(*Set), `args[1]: cannot use dict as *pyval.Set`},
		{"list into *Dict", []any{}, new(*Dict), `args[1]: cannot use list as *pyval.Dict`},
		{"non-empty interface", "x", new(fmt.Stringer), `args[1]: cannot use str as fmt.Stringer`},
		{"chan", int64(1), new(chan int), `args[1]: cannot convert a Python value into Go chan int`},
		{"unmarshaler error", int64(1), new(upper), `args[1]: UnmarshalPython of pyval.upper: want str, got int`},
		{"text unmarshaler error", "x", new(netip.Addr), `args[1]: UnmarshalText of netip.Addr: ParseAddr("x"): unable to parse IP`},
		{"non-canonical", []any{struct{}{}}, new(any), `args[1][0]: not a canonical Python value: Go struct {}`},
	}
	// withRoot names the converted value the way the RPC layer does; errors must be
	// *ConvertError themselves, not wrap one, for that to work.
	withRoot := func(err error) error {
		if ce, ok := err.(*ConvertError); ok {
			ce.Path = "args[1]" + ce.Path
		}
		return err
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := withRoot(ToGo(c.in, c.ptr))
			if err == nil {
				t.Fatalf("no error, got %#v", reflect.ValueOf(c.ptr).Elem().Interface())
			}
			var ce *ConvertError
			if !errors.As(err, &ce) {
				t.Fatalf("%v is not a *ConvertError", err)
			}
			if err.Error() != c.msg {
				t.Fatalf("error\n%s\nwant\n%s", err, c.msg)
			}
			if !strings.HasPrefix(ce.Path, "args[1]") || ce.Type == nil && c.name != "chan" {
				t.Fatalf("path %q type %v", ce.Path, ce.Type)
			}
			_, err2 := Convert(c.in, reflect.TypeOf(c.ptr).Elem())
			err2 = withRoot(err2)
			if err2 == nil || err2.Error() != c.msg {
				t.Fatalf("Convert error %v, want %s", err2, c.msg)
			}
		})
	}

	err := ToGo(int64(1), new(upper))
	var inner *ConvertError
	if !errors.As(err, &inner) || inner.Err == nil || inner.Value != "int" || inner.Type != reflect.TypeFor[upper]() {
		t.Fatalf("fields of %#v", inner)
	}

	for _, bad := range []any{nil, 3, (*int)(nil)} {
		err := ToGo(int64(1), bad)
		if err == nil || !strings.Contains(err.Error(), "ToGo needs a non-nil pointer") {
			t.Fatalf("ToGo into %#v: %v", bad, err)
		}
	}

	// cycles in the input give ErrTooDeep, never a stack overflow
	list := []any{nil}
	list[0] = list
	d := NewDict(0)
	d.Set("d", d)
	type rec struct{ D *rec }
	for _, c := range []struct {
		in     any
		target any
	}{
		{list, new(any)}, {d, new(any)},
		{list, new([]any)}, {list, new([][]any)},
		{d, new(map[string]any)}, {d, new(rec)}, {d, new(*rec)},
	} {
		if err := ToGo(c.in, c.target); !errors.Is(err, ErrTooDeep) {
			t.Fatalf("ToGo(cyclic %T, %T) = %v, want ErrTooDeep", c.in, c.target, err)
		}
	}
	var raw Raw
	if err := ToGo(list, &raw); err != nil {
		t.Fatalf("Raw takes anything canonical: %v", err)
	}
}

// TestToGoReuse follows encoding/json: maps merge, pointers are reused, absent fields stay.
func TestToGoReuse(t *testing.T) {
	m := map[string]int{"keep": 1}
	if err := ToGo(DictOf("new", int64(2)), &m); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m, map[string]int{"keep": 1, "new": 2}) {
		t.Fatalf("map %v", m)
	}
	p := &point{X: 1, Y: 2}
	pp := p
	if err := ToGo(DictOf("Y", int64(5)), &pp); err != nil {
		t.Fatal(err)
	}
	if pp != p || *p != (point{1, 5}) {
		t.Fatalf("pointer %p %v", pp, *pp)
	}
	// decoded bytes do not alias the input
	in := []byte{1, 2}
	var out []byte
	if err := ToGo(in, &out); err != nil {
		t.Fatal(err)
	}
	in[0] = 9
	if out[0] != 1 {
		t.Fatal("[]byte aliases the input")
	}
	// None resets whatever was there to the zero value
	s, n, pt := "was", 7, point{1, 2}
	if err := ToGo(nil, &s); err != nil || s != "" {
		t.Fatalf("None into a filled string: %q, %v", s, err)
	}
	if err := ToGo(nil, &n); err != nil || n != 0 {
		t.Fatalf("None into a filled int: %d, %v", n, err)
	}
	if err := ToGo(DictOf("X", nil), &pt); err != nil || pt != (point{0, 2}) {
		t.Fatalf("None into a filled field: %v, %v", pt, err)
	}
	// an Unmarshaler still reads None itself
	var u upper = "x"
	if err := ToGo(nil, &u); err != nil || u != "NONE" {
		t.Fatalf("None into an Unmarshaler: %q, %v", u, err)
	}
	// *Dict target gets the very dict
	d := DictOf("a", 1)
	var got *Dict
	if err := ToGo(d, &got); err != nil || got != d {
		t.Fatalf("*Dict target %p %v", got, err)
	}
}

func TestConvertNoCopy(t *testing.T) {
	v, err := Convert("s", reflect.TypeFor[string]())
	if err != nil || v.Interface() != "s" {
		t.Fatal(v, err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		_, _ = Convert("s", reflect.TypeFor[string]())
	})
	if allocs != 0 {
		t.Fatalf("Convert of a str into string allocates %v times", allocs)
	}
	s := new(string)
	allocs = testing.AllocsPerRun(100, func() {
		_ = ToGo("s", s)
	})
	if allocs != 0 {
		t.Fatalf("ToGo of a str into *string allocates %v times", allocs)
	}
}
