package msgpack

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"github.com/gopyro/pyro/internal/codectest"
	"github.com/gopyro/pyro/internal/pyvaltest"
	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

var _ serializer.MeteredDecoder = Codec{}

// errBudget is what a limited testMeter returns once charged beyond its limit.
var errBudget = errors.New("test meter: budget exceeded")

// testMeter adds up what it is charged. With limit >= 0 it refuses a charge taking the total
// beyond limit; with limit < 0 it never refuses.
type testMeter struct {
	limit    int
	total    int
	calls    int
	negative bool // a negative amount was charged
}

func counting() *testMeter         { return &testMeter{limit: -1} }
func limited(k int) *testMeter     { return &testMeter{limit: k} }
func (m *testMeter) refused() bool { return m.limit >= 0 && m.total > m.limit }

func (m *testMeter) Charge(n int) error {
	if n < 0 {
		m.negative = true
	}
	m.total += n
	m.calls++
	if m.refused() {
		return errBudget
	}
	return nil
}

// array32 is the header of an array of n items.
func array32(n uint32) []byte { return binary.BigEndian.AppendUint32([]byte{0xdd}, n) }

func mustMarshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := Codec{}.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func nestedZeros(outer, inner int) []any {
	l := make([]any, outer)
	for i := range l {
		l[i] = make([]any, inner)
		for j := range inner {
			l[i].([]any)[j] = int64(0)
		}
	}
	return l
}

// The meter is charged at least the slots, entries and bytes each value makes, at every
// level, on small inputs and large.
func TestMeterCharges(t *testing.T) {
	zeros := func(n int) []byte { return append(array32(uint32(n)), make([]byte, n)...) }
	mapOf := func(n int) []byte {
		d := pyval.NewDict(n)
		for i := range n {
			d.Set(int64(i), nil)
		}
		return mustMarshal(t, d)
	}
	mapOfArrays := pyval.NewDict(50)
	for i := range 50 {
		mapOfArrays.Set(int64(i), make([]any, 50))
	}
	arrayOfMaps := make([]any, 40)
	for i := range arrayOfMaps {
		d := pyval.NewDict(30)
		for j := range 30 {
			d.Set(int64(j), "v")
		}
		arrayOfMaps[i] = d
	}
	const slot, entry = serializer.SlotSize, serializer.EntrySize
	for _, tc := range []struct {
		name string
		data []byte
		min  int
	}{
		{"100 zeros", zeros(100), 100 * slot},
		{"100000 zeros", zeros(100_000), 100_000 * slot},
		{"map of 10", mapOf(10), 10 * entry},
		{"map of 10000", mapOf(10_000), 10_000 * entry},
		{"str of 20", mustMarshal(t, strings.Repeat("é", 10)), 20},
		{"str of 100000", mustMarshal(t, strings.Repeat("x", 100_000)), 100_000},
		{"strs in a large array", mustMarshal(t, []any{strings.Repeat("a", 3000), strings.Repeat("b", 3000)}), 2*slot + 6000},
		{"bin of 100, copied", mustMarshal(t, make([]byte, 100)), 100},
		{"bins below half the data, copied", mustMarshal(t, []any{make([]byte, 5000), make([]byte, 5000), make([]byte, 5000)}), 3*slot + 15000},
		{"nested arrays", mustMarshal(t, nestedZeros(100, 100)), (100 + 100*100) * slot},
		{"map of arrays", mustMarshal(t, mapOfArrays), 50*entry + 50*50*slot},
		{"array of maps", mustMarshal(t, arrayOfMaps), 40*slot + 40*30*entry + 40*30},
		{"tuple keys", mustMarshal(t, pyval.DictOf(pyval.Tuple{int64(1), pyval.Tuple{int64(2), int64(3)}}, nil)), entry + 2*(2+2)*slot},
		{"big int", mustMarshal(t, pow2(200)), len(pow2(200).String())},
		{"complex", mustMarshal(t, complex(1, 2)), 16},
	} {
		m := counting()
		got, err := Codec{}.UnmarshalMetered(tc.data, m)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if m.total < tc.min || m.negative {
			t.Errorf("%s (%d bytes): charged %d (negative amounts: %v), want at least %d", tc.name, len(tc.data), m.total, m.negative, tc.min)
		}
		if want, _ := (Codec{}).UnmarshalOwned(tc.data); !pyval.Equal(got, want) {
			t.Errorf("%s: UnmarshalMetered = %.100s, want %.100s", tc.name, pyval.Repr(got), pyval.Repr(want))
		}
	}

	// A bin left in the data (serializer.Alias) is not charged for its bytes, and is left
	// there as UnmarshalOwned leaves it.
	big := bytes.Repeat([]byte("x"), serializer.AliasMin)
	data := mustMarshal(t, big)
	m := counting()
	v, err := Codec{}.UnmarshalMetered(data, m)
	if err != nil {
		t.Fatal(err)
	}
	b := v.([]byte)
	if !bytes.Equal(b, big) || unsafe.SliceData(b) != &data[3] || cap(b) != len(b) {
		t.Error("UnmarshalMetered copied a large bin of owned data")
	}
	if m.total >= len(big) {
		t.Errorf("a bin left in the data charged %d", m.total)
	}

	// A nil meter charges nothing and decodes as UnmarshalOwned.
	if v, err := (Codec{}).UnmarshalMetered(zeros(10), nil); err != nil || !pyval.Equal(v, nestedZeros(1, 10)[0]) {
		t.Errorf("UnmarshalMetered with a nil meter = %v, %v", v, err)
	}
}

// allocated returns the bytes allocated while f ran.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// A meter refusing a charge stops decoding before what it was asked for is made: decoding 5
// million zeros (80 MB as []any) under a 1 MiB budget allocates next to nothing, and in
// 5000 arrays of 1000 about the budget.
func TestMeterStopsEarly(t *testing.T) {
	const n, budget, bound = 5_000_000, 1 << 20, 8 << 20
	flat := append(array32(n), make([]byte, n)...)
	nested := mustMarshal(t, nestedZeros(n/1000, 1000))
	strs := make([]any, 10_000)
	for i := range strs {
		strs[i] = strings.Repeat("x", 2000)
	}
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"5M zeros", flat},
		{"5000 arrays of 1000 zeros", nested},
		{"10000 strs of 2000 bytes", mustMarshal(t, strs)},
	} {
		unmetered := allocated(func() {
			if _, err := (Codec{}).UnmarshalOwned(tc.data); err != nil {
				t.Fatal(err)
			}
		})
		var err error
		m := limited(budget)
		metered := allocated(func() { _, err = Codec{}.UnmarshalMetered(tc.data, m) })
		if !errors.Is(err, errBudget) || !strings.HasPrefix(err.Error(), "msgpack: ") {
			t.Errorf("%s: UnmarshalMetered error = %v, want one wrapping %v", tc.name, err, errBudget)
		}
		if metered > bound || unmetered < 2*bound {
			t.Errorf("%s: allocated %d bytes under a budget of %d (unmetered %d), want at most %d", tc.name, metered, budget, unmetered, bound)
		}
		t.Logf("%s (%d bytes): %d bytes allocated metered, %d unmetered; %d charged in %d calls", tc.name, len(tc.data), metered, unmetered, m.total, m.calls)
	}

	// Headers claiming far more than the data holds are refused by the length check before
	// anything is charged or allocated.
	for _, h := range []string{"ddffffffff 000000", "dfffffffff 000000", "dbffffffff 616161", "c6ffffffff 000000", "c9ffffffff31 3131"} {
		data := codectest.MustHex(t, h)
		m := counting()
		var err error
		a := allocated(func() { _, err = Codec{}.UnmarshalMetered(data, m) })
		if !errors.Is(err, serializer.ErrMalformed) || m.total != 0 || a > 4096 {
			t.Errorf("%s: err %v, charged %d, allocated %d; want ErrMalformed, nothing charged or allocated", h, err, m.total, a)
		}
	}
	// One that fits the data is refused by the meter before the array is made.
	data := append(array32(1<<20), make([]byte, 1<<20)...)
	var err error
	a := allocated(func() { _, err = Codec{}.UnmarshalMetered(data, limited(budget)) })
	if !errors.Is(err, errBudget) || a > 4096 {
		t.Errorf("array of 1Mi items under a 1 MiB budget: err %v, allocated %d", err, a)
	}
}

// meteredInputs are the package's test values encoded: the round-trip table, Python's
// encodings of the interop vectors, Go's encodings of them, and random values, small and in
// large arrays.
func meteredInputs(t *testing.T) [][]byte {
	var inputs [][]byte
	for _, tc := range roundTrips {
		inputs = append(inputs, codectest.MustHex(t, tc.hex))
	}
	file, err := os.ReadFile(filepath.Join("testdata", "python_vectors.txt"))
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(file))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		_, h, _ := strings.Cut(sc.Text(), " ")
		inputs = append(inputs, codectest.MustHex(t, h))
	}
	for _, v := range vectors {
		var data []byte
		if call, ok := v.goV.(serializer.Call); ok {
			data, err = serializer.MarshalCall(Codec{}, call)
		} else {
			data, err = Codec{}.Marshal(v.goV)
		}
		if err == nil {
			inputs = append(inputs, data)
		}
	}
	caps := pyvaltest.Caps{Bytes: true, Complex: true, BigInts: true, NonFinite: true, NegZero: true, DateTimes: true}
	values := codectest.RandomValues(2026, caps, 1000)
	for i, v := range values {
		inputs = append(inputs, mustMarshal(t, v))
		if i%50 == 49 {
			inputs = append(inputs, mustMarshal(t, values[i-49:i+1]))
		}
	}
	// and malformed ones, which must fail alike
	for _, h := range []string{"", "c1", "0102", "cd01", "92 a2c328 01", "81 80 c0", "81 919191c0 c0", "d40500", "dd00000002 c0", "82 a161 01"} {
		inputs = append(inputs, codectest.MustHex(t, h))
	}
	return inputs
}

// UnmarshalMetered gives what UnmarshalOwned gives, errors included, whatever the meter
// (unless it refuses).
func TestMeteredEqualsOwned(t *testing.T) {
	inputs := meteredInputs(t)
	large := 0
	for _, data := range inputs {
		if len(data) > serializer.MeterFreeData {
			large++
		}
		want, wantErr := Codec{}.UnmarshalOwned(bytes.Clone(data))
		for _, m := range []serializer.Meter{counting(), nil} {
			got, err := Codec{}.UnmarshalMetered(bytes.Clone(data), m)
			if (err != nil || wantErr != nil) && (err == nil || wantErr == nil || err.Error() != wantErr.Error()) {
				t.Errorf("%.80x: UnmarshalMetered error %v, UnmarshalOwned's %v", data, err, wantErr)
				continue
			}
			if !pyval.Equal(got, want) {
				t.Errorf("%.80x: UnmarshalMetered = %.200s, UnmarshalOwned = %.200s", data, pyval.Repr(got), pyval.Repr(want))
			}
		}
	}
	t.Logf("%d inputs, %d over %d bytes", len(inputs), large, serializer.MeterFreeData)
	if large == 0 {
		t.Error("no input large enough for UnmarshalCallMetered to meter")
	}
}

// UnmarshalCallMetered uses UnmarshalMetered for a large call, and stops at the meter.
func TestUnmarshalCallMetered(t *testing.T) {
	call := serializer.Call{Object: "obj", Method: "put", Args: []any{make([]any, 10_000)}, Kwargs: pyval.DictOf("k", "v")}
	data, err := serializer.MarshalCall(Codec{}, call)
	if err != nil {
		t.Fatal(err)
	}
	m := counting()
	got, err := serializer.UnmarshalCallMetered(Codec{}, data, m)
	if err != nil || !codectest.SameCall(got, call) {
		t.Fatalf("UnmarshalCallMetered = %+v, %v", got, err)
	}
	if m.total < 10_000*serializer.SlotSize {
		t.Errorf("UnmarshalCallMetered charged %d", m.total)
	}
	if _, err := serializer.UnmarshalCallMetered(Codec{}, data, limited(m.total-1)); !errors.Is(err, errBudget) {
		t.Errorf("UnmarshalCallMetered under a budget of one byte less: %v", err)
	}
}
