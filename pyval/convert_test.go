package pyval_test

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopyro/pyro/internal/pytest"
	"github.com/gopyro/pyro/internal/pyvaltest"
	"github.com/gopyro/pyro/pyval"
)

type Address struct {
	Street string `pyro:"street"`
	Zip    *int   `pyro:"zip,omitempty"`
}

type Meta struct {
	Created time.Time
	TTL     time.Duration `pyro:"ttl"`
}

type Order struct {
	Meta
	ID         uint64             `pyro:"id"`
	Customer   string             `pyro:"customer"`
	Lines      []Line             `pyro:"lines"`
	Totals     map[string]float64 `pyro:"totals"`
	Ship       *Address           `pyro:"ship"`
	Flags      map[string]struct{}
	Matrix     [2][2]int
	Digest     [4]byte
	Blob       []byte
	Big        *big.Int
	Extra      any
	Comparable complex128
	Nothing    *Address
}

type Line struct {
	SKU   string
	Qty   int16
	Price float32
}

// TestRoundTrip sends Go values through FromGo and back through ToGo into the same type.
func TestRoundTrip(t *testing.T) {
	zip := 12345
	huge, _ := new(big.Int).SetString("-99999999999999999999999", 10)
	order := Order{
		Meta:     Meta{Created: time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.FixedZone("", 7200)), TTL: 90 * time.Second},
		ID:       math.MaxUint64,
		Customer: "Zoë",
		Lines:    []Line{{"a", 2, 0.5}, {"b", -1, 1e30}},
		Totals:   map[string]float64{"EUR": 10.25, "USD": math.Inf(1)},
		Ship:     &Address{Street: "Main", Zip: &zip},
		Flags:    map[string]struct{}{"gift": {}, "rush": {}},
		Matrix:   [2][2]int{{1, 2}, {3, 4}},
		Digest:   [4]byte{0xde, 0xad, 0xbe, 0xef},
		Blob:     []byte{},
		Big:      huge,
		Extra:    map[string]any{"k": []any{int64(1), "x", nil}},
	}
	for _, in := range []any{
		order,
		Order{},
		[]Line{},
		map[int64][]string{1: {"a"}, -2: nil},
		map[string]*Line{"x": {SKU: "s"}, "nil": nil},
		[3]*int{&zip, nil, &zip},
		struct{ Inner struct{ A, B string } }{},
	} {
		py, err := pyval.FromGo(in)
		if err != nil {
			t.Fatalf("FromGo(%#v): %v", in, err)
		}
		out := reflect.New(reflect.TypeOf(in))
		if err := pyval.ToGo(py, out.Interface()); err != nil {
			t.Fatalf("ToGo(%s, %T): %v", pyval.Repr(py), in, err)
		}
		got := out.Elem().Interface()
		if o, ok := got.(Order); ok {
			want := in.(Order)
			if !o.Created.Equal(want.Created) {
				t.Fatalf("time %v, want %v", o.Created, want.Created)
			}
			o.Created, want.Created = time.Time{}, time.Time{}
			if (o.Big == nil) != (want.Big == nil) || o.Big != nil && o.Big.Cmp(want.Big) != 0 {
				t.Fatalf("big %v", o.Big)
			}
			o.Big, want.Big = nil, nil
			got, in = o, want
		}
		if !equalNilEmpty(reflect.ValueOf(got), reflect.ValueOf(in)) {
			t.Fatalf("round trip of %T:\n got %#v\nwant %#v\nvia %s", in, got, in, pyval.Repr(py))
		}
	}
}

// natural is what a canonical value becomes after ToGo into any and FromGo back: the lossy
// steps are tuple → list, set/frozenset → list (in the set's order), and nothing else; dicts
// whose keys Go cannot use as map keys come back as they went.
func natural(v any) any {
	switch x := v.(type) {
	case pyval.Tuple:
		return naturalList(x)
	case []any:
		return naturalList(x)
	case *pyval.Set:
		return naturalList(x.Items())
	case *pyval.Dict:
		for _, it := range x.Items() {
			switch k := it.Key.(type) {
			case string, nil, bool, int64, complex128:
			case float64:
				if math.IsNaN(k) {
					return x
				}
			default:
				return x
			}
		}
		d := pyval.NewDict(x.Len())
		for _, it := range x.Items() {
			d.Set(it.Key, natural(it.Value))
		}
		return d
	}
	return v
}

func naturalList(x []any) []any {
	l := make([]any, len(x))
	for i, e := range x {
		l[i] = natural(e)
	}
	return l
}

// TestRandomCanonical checks, on random canonical values, that FromGo keeps them as they are
// and that ToGo into any followed by FromGo gives back the value up to the documented losses.
func TestRandomCanonical(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 300
	}
	for _, caps := range []pyvaltest.Caps{pyvaltest.All, {}} {
		g := pyvaltest.New(42, caps)
		g.MaxDepth = 5
		for i := range n {
			v := g.Value()
			same, err := pyval.FromGo(v)
			if err != nil {
				t.Fatalf("#%d FromGo(%s): %v", i, pyval.Repr(v), err)
			}
			if !pyval.Equal(same, v) && pyval.Repr(same) != pyval.Repr(v) {
				t.Fatalf("#%d FromGo changed %s into %s", i, pyval.Repr(v), pyval.Repr(same))
			}
			if d, ok := v.(*pyval.Dict); ok && same.(*pyval.Dict) != d {
				t.Fatalf("#%d FromGo copied a canonical dict", i)
			}

			var a any
			if err := pyval.ToGo(v, &a); err != nil {
				t.Fatalf("#%d ToGo(%s): %v", i, pyval.Repr(v), err)
			}
			back, err := pyval.FromGo(a)
			if err != nil {
				t.Fatalf("#%d FromGo(%#v): %v", i, a, err)
			}
			want := natural(v)
			if !pyval.Equal(back, want) && pyval.Repr(back) != pyval.Repr(want) {
				t.Fatalf("#%d round trip\n  in %s\n got %s\nwant %s", i, pyval.Repr(v), pyval.Repr(back), pyval.Repr(want))
			}

			var raw pyval.Raw
			if err := pyval.ToGo(v, &raw); err != nil || !pyval.Equal(raw, v) && pyval.Repr(raw) != pyval.Repr(v) {
				t.Fatalf("#%d Raw changed %s: %v", i, pyval.Repr(v), err)
			}
		}
	}
}

// TestCacheConcurrent builds encoders and decoders for fresh (and recursive) types from many
// goroutines at once; run with -race.
func TestCacheConcurrent(t *testing.T) {
	type Tree struct {
		Name string
		Kids []Tree
		Up   *Tree
		Meta map[string]*Tree
	}
	type A struct {
		T   Tree
		Ptr **Tree
		Arr [2]Tree
	}
	tree := Tree{Name: "root", Kids: []Tree{{Name: "k", Meta: map[string]*Tree{"m": {Name: "m"}}}}}
	p := &tree
	values := []any{tree, &tree, A{T: tree, Ptr: &p}, []A{{}}, map[string]A{"a": {}}}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				in := values[(w+i)%len(values)]
				py, err := pyval.FromGo(in)
				if err != nil {
					errs <- err
					return
				}
				out := reflect.New(reflect.TypeOf(in))
				if err := pyval.ToGo(py, out.Interface()); err != nil {
					errs <- err
					return
				}
				if !equalNilEmpty(out.Elem(), reflect.ValueOf(in)) {
					errs <- fmt.Errorf("%T round trip differs", in)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// TestPythonInterop checks the str forms of times, durations and big numbers against Python.
func TestPythonInterop(t *testing.T) {
	pytest.Require(t)
	inputs := []any{
		time.Date(2024, 1, 2, 3, 4, 5, 600000, time.UTC),
		time.Date(2024, 1, 2, 3, 4, 5, 0, time.FixedZone("", -(3*3600+30*60))),
		time.Date(1900, 1, 1, 0, 0, 0, 1000, time.FixedZone("", 1172)),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		90*time.Minute + time.Microsecond,
		big.NewFloat(1.25),
		new(big.Float).SetPrec(200).Quo(big.NewFloat(1), big.NewFloat(3)),
		big.NewRat(-22, 7),
	}
	var lines []string
	// What a codec without datetimes (serpent, json, marshal) sends for a time.Time.
	canon := func(in any) any {
		if tm, ok := in.(time.Time); ok {
			s, err := pyval.ISOFormat(tm)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		py, err := pyval.FromGo(in)
		if err != nil {
			t.Fatal(err)
		}
		return py
	}
	for _, in := range inputs {
		b, _ := json.Marshal(canon(in))
		lines = append(lines, fmt.Sprintf("%T\t%s", in, b))
	}
	// Python parses each value as the matching type and prints its own rendering back, plus a
	// few datetimes of its own for Go to parse.
	script := `
import sys, json, datetime, decimal, fractions
for line in sys.stdin:
    kind, value = line.rstrip("\n").split("\t")
    value = json.loads(value)
    if kind == "time.Time":
        print(datetime.datetime.fromisoformat(value).isoformat())
    elif kind == "time.Duration":
        print(repr(datetime.timedelta(seconds=value).total_seconds()))
    elif kind == "*big.Float":
        print(str(decimal.Decimal(value)))
    elif kind == "*big.Rat":
        print(str(fractions.Fraction(value)))
tz = datetime.timezone(datetime.timedelta(hours=5, minutes=45))
print(datetime.datetime(2020, 2, 29, 23, 59, 58, 7, tzinfo=tz).isoformat())
print(datetime.datetime(2020, 2, 29, 1, 2, 3).isoformat())
print(datetime.date(1999, 12, 31).isoformat())
print(datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc).isoformat(sep=" "))
`
	out := strings.Split(strings.TrimSpace(string(pytest.Run(t, script, []byte(strings.Join(lines, "\n")+"\n")))), "\n")
	for i, in := range inputs {
		py := canon(in)
		if s, ok := py.(string); ok {
			if out[i] != s {
				t.Errorf("%T: Go wrote %q, Python reads and writes %q", in, s, out[i])
			}
		} else if out[i] != pyval.Repr(py) {
			t.Errorf("%T: Go wrote %v, Python %s", in, py, out[i])
		}
	}
	want := []time.Time{
		time.Date(2020, 2, 29, 23, 59, 58, 7000, time.FixedZone("", 5*3600+45*60)),
		time.Date(2020, 2, 29, 1, 2, 3, 0, time.UTC),
		time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC),
		time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	for i, w := range want {
		s := out[len(inputs)+i]
		var got time.Time
		if err := pyval.ToGo(s, &got); err != nil {
			t.Fatalf("ToGo(%q): %v", s, err)
		}
		if !got.Equal(w) {
			t.Errorf("ToGo(%q) = %v, want %v", s, got, w)
		}
	}
}

// A typical call payload: a struct argument, a list of names and a dict of rates.
type quote struct {
	Symbol   string  `pyro:"symbol"`
	Bid, Ask float64 // matched as "bid" and "ask"
	Volume   int64   `pyro:"volume"`
	Venue    string  `pyro:"venue,omitempty"`
}

func payload() (quote, []string, map[string]float64) {
	return quote{Symbol: "EURUSD", Bid: 1.0841, Ask: 1.0843, Volume: 1_000_000, Venue: "LSE"},
		[]string{"alpha", "beta", "gamma", "delta"},
		map[string]float64{"EUR": 1, "USD": 1.0842, "GBP": 0.8551, "JPY": 161.92}
}

func BenchmarkFromGo(b *testing.B) {
	q, names, rates := payload()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := pyval.FromGo(q); err != nil {
			b.Fatal(err)
		}
		if _, err := pyval.FromGo(names); err != nil {
			b.Fatal(err)
		}
		if _, err := pyval.FromGo(rates); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFromGoCanonical(b *testing.B) {
	q, names, rates := payload()
	v, _ := pyval.FromGo([]any{q, names, rates})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := pyval.FromGo(v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkToGo(b *testing.B) {
	q, names, rates := payload()
	pq, _ := pyval.FromGo(q)
	pn, _ := pyval.FromGo(names)
	pr, _ := pyval.FromGo(rates)
	var (
		gq quote
		gn []string
		gr map[string]float64
	)
	b.ReportAllocs()
	for b.Loop() {
		gr = nil
		if err := pyval.ToGo(pq, &gq); err != nil {
			b.Fatal(err)
		}
		if err := pyval.ToGo(pn, &gn); err != nil {
			b.Fatal(err)
		}
		if err := pyval.ToGo(pr, &gr); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConvert is the RPC layer's path: each argument straight into a parameter type.
func BenchmarkConvert(b *testing.B) {
	q, names, rates := payload()
	args, _ := pyval.FromGo([]any{q, names, rates, "plain", int64(7)})
	types := []reflect.Type{reflect.TypeFor[quote](), reflect.TypeFor[[]string](),
		reflect.TypeFor[map[string]float64](), reflect.TypeFor[string](), reflect.TypeFor[int]()}
	b.ReportAllocs()
	for b.Loop() {
		for i, a := range args.([]any) {
			if _, err := pyval.Convert(a, types[i]); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// fuzzTargets are the Go types random values are decoded into: most decodings fail, none may
// panic, and every success must convert back and decode again to the same thing.
var fuzzTargets = []reflect.Type{
	reflect.TypeFor[any](), reflect.TypeFor[pyval.Raw](), reflect.TypeFor[[]any](),
	reflect.TypeFor[map[string]any](), reflect.TypeFor[map[any]any](), reflect.TypeFor[*pyval.Dict](),
	reflect.TypeFor[*pyval.Set](), reflect.TypeFor[pyval.Tuple](), reflect.TypeFor[Order](),
	reflect.TypeFor[[]string](), reflect.TypeFor[map[int]float32](), reflect.TypeFor[[2]int](),
	reflect.TypeFor[time.Time](), reflect.TypeFor[time.Duration](), reflect.TypeFor[int8](),
	reflect.TypeFor[uint64](), reflect.TypeFor[string](), reflect.TypeFor[[]byte](),
	reflect.TypeFor[*big.Int](), reflect.TypeFor[big.Float](), reflect.TypeFor[big.Rat](),
	reflect.TypeFor[complex64](), reflect.TypeFor[map[string]struct{}](), reflect.TypeFor[[][]float64](),
	reflect.TypeFor[map[[2]string]bool](), reflect.TypeFor[*quote](), reflect.TypeFor[[]*Line](),
}

func checkDecodeAll(t *testing.T, v any) {
	t.Helper()
	for _, rt := range fuzzTargets {
		got, err := pyval.Convert(v, rt)
		if err != nil {
			if _, ok := err.(*pyval.ConvertError); !ok {
				t.Fatalf("Convert(%s, %v): %T %v", pyval.Repr(v), rt, err, err)
			}
			continue
		}
		back, err := pyval.FromGo(got.Interface())
		if err != nil {
			t.Fatalf("FromGo(Convert(%s, %v)): %v", pyval.Repr(v), rt, err)
		}
		again, err := pyval.Convert(back, rt)
		if err != nil {
			t.Fatalf("Convert(%s, %v) worked, its FromGo %s does not: %v", pyval.Repr(v), rt, pyval.Repr(back), err)
		}
		b2, _ := pyval.FromGo(again.Interface())
		if pyval.Repr(b2) != pyval.Repr(back) {
			t.Fatalf("%v: %s -> %s -> %s", rt, pyval.Repr(v), pyval.Repr(back), pyval.Repr(b2))
		}
	}
}

func TestDecodeAllTypedNils(t *testing.T) {
	for _, v := range []any{(*pyval.Dict)(nil), (*pyval.Set)(nil), (*big.Int)(nil), pyval.Tuple(nil),
		[]any(nil), []byte(nil), []any{(*pyval.Dict)(nil)}, pyval.DictOf("Lines", []any{nil, (*pyval.Dict)(nil)})} {
		checkDecodeAll(t, v)
	}
}

func FuzzConvert(f *testing.F) {
	for seed := range uint64(8) {
		f.Add(seed, uint8(seed))
	}
	// Past findings: tuple keys into map[any]any, big.Float precision and infinity, Duration
	// rounding.
	f.Add(uint64(37), uint8('J'))
	f.Add(uint64(41), uint8('^'))
	f.Add(uint64(32), uint8('\b'))
	f.Add(uint64(105), uint8('\v'))
	f.Fuzz(func(t *testing.T, seed uint64, knobs uint8) {
		caps := pyvaltest.All
		if knobs&1 != 0 {
			caps = pyvaltest.Caps{}
		}
		g := pyvaltest.New(seed, caps)
		g.MaxDepth = int(knobs>>1) % 6
		v := g.Value()
		out, err := pyval.FromGo(v)
		if err != nil || pyval.Repr(out) != pyval.Repr(v) {
			t.Fatalf("FromGo(%s) = %s, %v", pyval.Repr(v), pyval.Repr(out), err)
		}
		checkDecodeAll(t, v)
	})
}

// equalNilEmpty is reflect.DeepEqual, except that a nil slice or map equals an empty one: a nil
// slice or map goes to Python as an empty list or dict and comes back empty.
func equalNilEmpty(a, b reflect.Value) bool {
	if a.IsValid() != b.IsValid() {
		return false
	}
	if !a.IsValid() {
		return true
	}
	if a.Type() != b.Type() {
		return false
	}
	switch a.Kind() {
	case reflect.Slice, reflect.Array:
		if a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !equalNilEmpty(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.Len() != b.Len() {
			return false
		}
		for _, k := range a.MapKeys() {
			if !equalNilEmpty(a.MapIndex(k), b.MapIndex(k)) {
				return false
			}
		}
		return true
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return equalNilEmpty(a.Elem(), b.Elem())
	case reflect.Struct:
		for i := range a.NumField() {
			if !a.Type().Field(i).IsExported() { // time.Time, big.Int: compared whole
				return reflect.DeepEqual(a.Interface(), b.Interface())
			}
		}
		for i := range a.NumField() {
			if !equalNilEmpty(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return equalNilEmpty(a.Elem(), b.Elem())
	}
	return reflect.DeepEqual(a.Interface(), b.Interface())
}
