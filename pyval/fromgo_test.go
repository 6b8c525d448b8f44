package pyval

import (
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

type (
	celsius float64
	myBytes []byte
	myByte  uint8
	myStr   string
)

type tagged struct {
	Name     string  `pyro:"name"`
	Rate     float64 `pyro:"exchange_rate,omitempty"`
	Skip     int     `pyro:"-"`
	Dash     int     `pyro:"-,"` // a field literally named "-"
	Zero     point   `pyro:"zero,omitzero"`
	Empty    []int   `pyro:",omitempty"`
	private  int
	Untagged bool
}

type point struct{ X, Y int }

type Base struct {
	ID   int
	Note string `pyro:"note"`
}

type Extra struct {
	Note  string // a different key from Base's tagged "note"
	Level int
}

type embedder struct {
	Base
	*Extra
	ID string // shadows Base.ID
}

type conflictA struct{ Same int }
type conflictB struct{ Same int }
type conflicting struct {
	conflictA
	conflictB
	Other int
}

type taggedWins struct {
	conflictA
	T struct {
		Same int `pyro:"Same"`
	} `pyro:"-"`
	Inner
}

type Inner struct {
	Same int `pyro:"Same"`
}

// marshalV converts itself with a value receiver.
type marshalV struct{ n int }

func (m marshalV) MarshalPython() (any, error) { return Tuple{"v", m.n}, nil }

// marshalP converts itself with a pointer receiver.
type marshalP struct{ n int }

func (m *marshalP) MarshalPython() (any, error) { return map[string]int{"p": m.n}, nil }

type marshalErr struct{}

var errMarshal = errors.New("boom")

func (marshalErr) MarshalPython() (any, error) { return nil, errMarshal }

type marshalSelf struct{}

func (m marshalSelf) MarshalPython() (any, error) { return m, nil }

type myErr struct{ Code int }

func (e myErr) Error() string { return "my error" }

// excErr is an error that chooses its Python form, as pyro.Error does: an exception object.
type excErr struct{ Msg string }

func (e *excErr) Error() string { return e.Msg }
func (e excErr) MarshalPython() (any, error) {
	return DictOf("__class__", "builtins.ValueError", "__exception__", true, "args", Tuple{e.Msg}), nil
}

func TestFromGoTable(t *testing.T) {
	utc := time.Date(2024, 1, 2, 3, 4, 5, 600000, time.UTC)
	big1, _ := new(big.Int).SetString("123456789012345678901234567890", 10)
	var nilPtr *int
	var nilMap map[string]int
	var nilSlice []string
	var nilBytes []byte
	var nilIface fmt.Stringer
	one := 1
	cases := []struct {
		name string
		in   any
		want any
	}{
		{"nil", nil, nil},
		{"nil pointer", nilPtr, nil},
		// nil slices and maps are what a Python method returns for "nothing": empty ones
		{"nil map", nilMap, NewDict(0)},
		{"nil slice", nilSlice, []any{}},
		{"nil bytes", nilBytes, []byte{}},
		{"nil set map", map[string]struct{}(nil), NewSet()},
		{"nil slice of structs", []struct{ A int }(nil), []any{}},
		{"nil map of any", map[string]any(nil), NewDict(0)},
		{"nil map with int keys", map[int]string(nil), NewDict(0)},
		{"nil fields", struct {
			L []int
			M map[string]int
			B []byte
			P *int
		}{}, DictOf("L", []any{}, "M", NewDict(0), "B", []byte{}, "P", nil)},
		{"nil interface in struct", struct{ S fmt.Stringer }{nilIface}, DictOf("S", nil)},
		{"pointer", &one, int64(1)},
		{"pointer to pointer", func() any { p := &one; return &p }(), int64(1)},
		{"true", true, true},
		{"int", 42, int64(42)},
		{"int8", int8(-8), int64(-8)},
		{"int16", int16(-16), int64(-16)},
		{"int32", int32(-32), int64(-32)},
		{"int64", int64(math.MinInt64), int64(math.MinInt64)},
		{"uint", uint(7), int64(7)},
		{"uint8", uint8(255), int64(255)},
		{"uint16", uint16(65535), int64(65535)},
		{"uint32", uint32(math.MaxUint32), int64(math.MaxUint32)},
		{"uint64 small", uint64(5), int64(5)},
		{"uint64 max", uint64(math.MaxUint64), new(big.Int).SetUint64(math.MaxUint64)},
		{"uintptr", uintptr(9), int64(9)},
		{"named int", time.Month(3), int64(3)},
		{"float32", float32(1.5), 1.5},
		{"float64 nan", math.NaN(), math.NaN()},
		{"neg zero", math.Copysign(0, -1), math.Copysign(0, -1)},
		{"named float", celsius(21.5), 21.5},
		{"complex64", complex64(1 + 2i), complex128(1 + 2i)},
		{"complex128", 3 - 4i, 3 - 4i},
		{"string", "héllo", "héllo"},
		{"named string", myStr("x"), "x"},
		{"bytes", []byte("ab"), []byte("ab")},
		{"empty bytes", []byte{}, []byte{}},
		{"named bytes", myBytes("cd"), []byte("cd")},
		{"named byte elems", []myByte{1, 2}, []byte{1, 2}},
		{"byte array", [3]byte{1, 2, 3}, []byte{1, 2, 3}},
		{"byte array ptr", &[2]byte{4, 5}, []byte{4, 5}},
		{"empty slice", []int{}, []any{}},
		{"[]int", []int{1, 2}, []any{int64(1), int64(2)}},
		{"[]int64", []int64{1}, []any{int64(1)}},
		{"[]float64", []float64{0.5}, []any{0.5}},
		{"[]string", []string{"a", "b"}, []any{"a", "b"}},
		{"[]uint16", []uint16{1, 2}, []any{int64(1), int64(2)}},
		{"int array", [2]int{1, 2}, []any{int64(1), int64(2)}},
		{"nested slices", [][]string{{"a"}, nil}, []any{[]any{"a"}, []any{}}},
		{"slice of pointers", []*int{&one, nil}, []any{int64(1), nil}},
		{"map[string]any", map[string]any{"b": 1, "a": []int{2}}, DictOf("a", []any{int64(2)}, "b", int64(1))},
		{"map[string]string", map[string]string{"k": "v"}, DictOf("k", "v")},
		{"map[string]float64", map[string]float64{"EUR": 1.1, "USD": 1}, DictOf("EUR", 1.1, "USD", 1.0)},
		{"map[string]int", map[string]int{"a": 1}, DictOf("a", int64(1))},
		{"map[int]string", map[int]string{2: "b", 1: "a"}, DictOf(int64(1), "a", int64(2), "b")},
		{"map[any]any", map[any]any{"s": 1, 2: "i", 2.5: nil, nil: true}, DictOf(nil, true, int64(2), "i", 2.5, nil, "s", int64(1))},
		{"array keys become tuples", map[[2]int]string{{1, 2}: "x"}, DictOf(Tuple{int64(1), int64(2)}, "x")},
		{"set", map[string]struct{}{"b": {}, "a": {}}, NewSet("a", "b")},
		{"int set", map[int]struct{}{3: {}}, NewSet(int64(3))},
		{"map of bool is a dict", map[string]bool{"a": true}, DictOf("a", true)},
		{"struct", point{1, 2}, DictOf("X", int64(1), "Y", int64(2))},
		{"struct pointer", &point{3, 4}, DictOf("X", int64(3), "Y", int64(4))},
		{"empty struct", struct{}{}, NewDict(0)},
		{"tags", tagged{Name: "n", Rate: 0, Skip: 1, Dash: 2, private: 3, Untagged: true},
			DictOf("name", "n", "-", int64(2), "Untagged", true)},
		{"tags filled", tagged{Name: "n", Rate: 1.5, Zero: point{1, 0}, Empty: []int{1}},
			DictOf("name", "n", "exchange_rate", 1.5, "-", int64(0), "zero", DictOf("X", int64(1), "Y", int64(0)), "Empty", []any{int64(1)}, "Untagged", false)},
		{"embedded", embedder{Base: Base{ID: 1, Note: "b"}, ID: "outer"},
			DictOf("note", "b", "ID", "outer")},
		{"embedded pointer", embedder{Base: Base{ID: 1, Note: "b"}, Extra: &Extra{Note: "e", Level: 2}, ID: "o"},
			DictOf("note", "b", "Note", "e", "Level", int64(2), "ID", "o")},
		{"conflict drops the name", conflicting{Other: 1}, DictOf("Other", int64(1))},
		{"tagged wins at equal depth", taggedWins{conflictA: conflictA{1}, Inner: Inner{2}}, DictOf("Same", int64(2))},
		// datetimes and dates are canonical: codecs decide how they travel (ISOFormat)
		{"time utc", utc, utc},
		{"time pointer", &utc, utc},
		{"time in struct", struct{ T time.Time }{utc}, DictOf("T", utc)},
		{"date", Date{2024, 6, 28}, Date{2024, 6, 28}},
		{"date pointer in list", []*Date{{2024, 6, 28}}, []any{Date{2024, 6, 28}}},
		{"time keys sorted", map[time.Time]int{utc.Add(time.Hour): 2, utc: 1}, DictOf(utc, int64(1), utc.Add(time.Hour), int64(2))},
		{"duration", 1500 * time.Millisecond, 1.5},
		{"negative duration", -time.Microsecond, -1e-06},
		{"duration in struct", struct{ D time.Duration }{time.Minute}, DictOf("D", 60.0)},
		{"big.Int small", big.NewInt(5), int64(5)},
		{"big.Int large", big1, big1},
		{"big.Int value", *big1, big1},
		{"big.Int in struct", struct{ B big.Int }{*big.NewInt(-3)}, DictOf("B", int64(-3))},
		{"nil big.Int", (*big.Int)(nil), nil},
		{"big.Float", big.NewFloat(1.25), "1.25"},
		{"big.Float large", new(big.Float).SetFloat64(1e100), "1e+100"},
		{"big.Float inf", new(big.Float).SetInf(true), "-Infinity"},
		{"big.Rat", big.NewRat(1, 3), "1/3"},
		{"big.Rat integral", big.NewRat(4, 2), "2"},
		{"marshaler value", marshalV{3}, Tuple{"v", int64(3)}},
		{"marshaler via pointer", &marshalV{4}, Tuple{"v", int64(4)}},
		{"nil marshaler pointer", (*marshalV)(nil), nil},
		{"pointer marshaler top level", marshalP{5}, DictOf("p", int64(5))},
		{"pointer marshaler addressable", &struct{ M marshalP }{marshalP{6}}, DictOf("M", DictOf("p", int64(6)))},
		{"pointer marshaler in slice", []marshalP{{7}}, []any{DictOf("p", int64(7))}},
		{"text marshaler", netip.MustParseAddr("::1"), "::1"},
		{"text marshaler in struct", struct{ A netip.Addr }{netip.MustParseAddr("10.0.0.1")}, DictOf("A", "10.0.0.1")},
		{"interface field", struct{ V any }{[]int{1}}, DictOf("V", []any{int64(1)})},
		{"raw field", struct{ V Raw }{Tuple{1}}, DictOf("V", Tuple{int64(1)})},
		{"canonical tuple", Tuple{"a", int64(1)}, Tuple{"a", int64(1)}},
		{"tuple with go ints", Tuple{1, uint8(2)}, Tuple{int64(1), int64(2)}},
		{"list with go values", []any{1, []string{"x"}, map[string]int{"k": 1}}, []any{int64(1), []any{"x"}, DictOf("k", int64(1))}},
		{"dict with go values", DictOf(1, point{1, 2}), DictOf(int64(1), DictOf("X", int64(1), "Y", int64(2)))},
		{"set with go values", NewSet(1, "a"), NewSet(int64(1), "a")},
		{"frozenset", &Set{Frozen: true}, &Set{Frozen: true}},
		{"dict by value", *DictOf("a", 1), DictOf("a", int64(1))},
		{"set by value in struct", struct{ S Set }{*NewSet("x")}, DictOf("S", NewSet("x"))},
		{"frozenset by value", Set{Frozen: true}, &Set{Frozen: true}},
		{"nil dict", (*Dict)(nil), nil},
		{"nil set", (*Set)(nil), nil},
		{"error with MarshalPython", &excErr{"bad"}, DictOf("__class__", "builtins.ValueError", "__exception__", true, "args", Tuple{"bad"})},
		{"error with MarshalPython in an error field", struct{ E error }{&excErr{"x"}},
			DictOf("E", DictOf("__class__", "builtins.ValueError", "__exception__", true, "args", Tuple{"x"}))},
		{"nil error field", struct{ E error }{}, DictOf("E", nil)},
		{"nil tuple", Tuple(nil), Tuple{}},
		{"nil list", []any(nil), []any{}},
		{"nil list in a list", []any{[]any(nil)}, []any{[]any{}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := FromGo(c.in)
			if err != nil {
				t.Fatalf("FromGo(%#v): %v", c.in, err)
			}
			if !Equal(got, c.want) {
				t.Fatalf("FromGo(%#v) = %s (%T), want %s", c.in, Repr(got), got, Repr(c.want))
			}
			if reflect.TypeOf(got) != reflect.TypeOf(c.want) {
				t.Fatalf("FromGo(%#v) has type %T, want %T", c.in, got, c.want)
			}
		})
	}
}

// TestFromGoOrder checks that Go maps and structs give a deterministic item order.
func TestFromGoOrder(t *testing.T) {
	m := map[any]any{}
	for i := range 50 {
		m[i] = i
		m[fmt.Sprint("k", i)] = i
		m[float64(i)+0.5] = i
	}
	m[true] = 0
	m[nil] = 0
	m[[2]int{1, 1}] = 0
	m[math.NaN()] = 0
	first, err := FromGo(m)
	if err != nil {
		t.Fatal(err)
	}
	want := Repr(first)
	for range 20 {
		got, _ := FromGo(m)
		if Repr(got) != want {
			t.Fatalf("order changed:\n%s\n%s", Repr(got), want)
		}
	}
	keys := first.(*Dict).Keys()
	if keys[0] != nil || keys[1] != true || keys[2] != int64(0) || keys[3] != 0.5 {
		t.Fatalf("keys start %v", keys[:4])
	}
	if !strings.HasPrefix(Repr(keys[len(keys)-1]), "(1, 1)") {
		t.Fatalf("last key %v, want the tuple", Repr(keys[len(keys)-1]))
	}
	d, _ := FromGo(tagged{Name: "n", Rate: 2})
	if got := fmt.Sprint(d.(*Dict).Keys()); got != "[name exchange_rate - Untagged]" {
		t.Fatalf("struct key order %s", got)
	}
	d, _ = FromGo(embedder{Extra: &Extra{}})
	if got := fmt.Sprint(d.(*Dict).Keys()); got != "[note Note Level ID]" {
		t.Fatalf("embedded key order %s", got)
	}
}

// TestFromGoCanonicalKept checks that canonical trees are returned as they are.
func TestFromGoCanonicalKept(t *testing.T) {
	inner := DictOf("a", []any{int64(1), "x"}, "b", NewSet("s"))
	list := []any{inner, Tuple{1.5, nil}, []byte("b")}
	got, err := FromGo(list)
	if err != nil {
		t.Fatal(err)
	}
	if g := got.([]any); &g[0] != &list[0] {
		t.Fatal("canonical list was copied")
	}
	d, _ := FromGo(inner)
	if d.(*Dict) != inner {
		t.Fatal("canonical dict was copied")
	}
	// One Go int deep inside forces copies along its path only, leaving the input alone.
	mixed := []any{inner, DictOf("n", 1)}
	got, err = FromGo(mixed)
	if err != nil {
		t.Fatal(err)
	}
	g := got.([]any)
	if &g[0] == &mixed[0] || g[0].(*Dict) != inner {
		t.Fatal("want a new list sharing the untouched dict")
	}
	if v, _ := mixed[1].(*Dict).Get("n"); v != 1 {
		t.Fatal("input was modified")
	}
	if v, _ := g[1].(*Dict).Get("n"); v != int64(1) {
		t.Fatalf("converted %T", v)
	}
}

func TestFromGoErrors(t *testing.T) {
	type withChan struct {
		Data []any
	}
	type cyc struct {
		Next *cyc
	}
	c := &cyc{}
	c.Next = c
	list := []any{1}
	list[0] = list
	m := map[string]any{}
	m["self"] = m
	d := NewDict(0)
	d.Set("d", d)
	cases := []struct {
		name string
		in   any
		msg  string // exact Error()
		path string
		deep bool
	}{
		{"chan", make(chan int), "cannot convert Go chan int: has no Python equivalent", "", false},
		{"func in list in struct", withChan{[]any{1, func() {}}}, ".Data[1]: cannot convert Go func(): has no Python equivalent", ".Data[1]", false},
		{"unsafe pointer in map", map[string]any{"k": struct{ P chan bool }{}}, `["k"].P: cannot convert Go chan bool: has no Python equivalent`, `["k"].P`, false},
		{"error value", errors.New("x"), "cannot convert Go *errors.errorString: an error value has no Python form unless it implements Marshaler (pyro.Error and pyro.RemoteError do, and travel as exception objects); to raise it, return it as the method's error", "", false},
		{"error struct", myErr{1}, "cannot convert Go pyval.myErr: an error value has no Python form unless it implements Marshaler (pyro.Error and pyro.RemoteError do, and travel as exception objects); to raise it, return it as the method's error", "", false},
		{"marshaler error", []any{marshalErr{}}, "[0]: MarshalPython of pyval.marshalErr: boom", "[0]", false},
		{"struct map key", map[point]int{{1, 2}: 3}, "[key {1 2}]: unhashable dict as dict key", "[key {1 2}]", false},
		{"cyclic pointer", c, "", "", true},
		{"cyclic list", list, "", "", true},
		{"cyclic map", m, "", "", true},
		{"cyclic dict", d, "", "", true},
		{"marshaler returning itself", marshalSelf{}, "", "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := FromGo(c.in)
			if err == nil {
				t.Fatalf("FromGo = %s, want an error", Repr(got))
			}
			var ce *ConvertError
			if !errors.As(err, &ce) {
				t.Fatalf("%v is not a *ConvertError", err)
			}
			if c.deep {
				if !errors.Is(err, ErrTooDeep) {
					t.Fatalf("%v: want ErrTooDeep", err)
				}
				if len(ce.Path) > maxPathLen+20 {
					t.Fatalf("path of %d bytes", len(ce.Path))
				}
				return
			}
			if err.Error() != c.msg {
				t.Fatalf("error\n%s\nwant\n%s", err, c.msg)
			}
			if ce.Path != c.path {
				t.Fatalf("path %q, want %q", ce.Path, c.path)
			}
		})
	}
	_, err := FromGo(marshalErr{})
	if !errors.Is(err, errMarshal) {
		t.Fatalf("%v does not wrap the Marshaler's error", err)
	}
}
