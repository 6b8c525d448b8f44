package codectest

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

// CountingMeter is a serializer.Meter that adds up what it is charged and refuses nothing.
type CountingMeter struct {
	N     int // bytes charged
	Calls int // charges
}

// Charge adds n; a negative n panics.
func (m *CountingMeter) Charge(n int) error {
	if n < 0 {
		panic(fmt.Sprintf("codectest: negative charge %d", n))
	}
	m.N += n
	m.Calls++
	return nil
}

// ErrMeter is what a LimitMeter refuses with.
var ErrMeter = errors.New("codectest: meter limit reached")

// LimitMeter is a serializer.Meter refusing, with ErrMeter, every charge once more than Limit
// bytes were charged.
type LimitMeter struct {
	Limit int
	N     int // bytes charged, the refused charges included
}

// Charge adds n and refuses it if the total exceeds the limit.
func (m *LimitMeter) Charge(n int) error {
	m.N += n
	if m.N > m.Limit {
		return ErrMeter
	}
	return nil
}

// unmarshalMetered decodes a copy of data (owned data may be kept) with c's UnmarshalMetered.
func unmarshalMetered(t testing.TB, c serializer.Codec, data []byte, m serializer.Meter) (any, error) {
	t.Helper()
	md, ok := c.(serializer.MeteredDecoder)
	if !ok {
		t.Fatalf("%T is not a serializer.MeteredDecoder", c)
	}
	return md.UnmarshalMetered(append([]byte(nil), data...), m)
}

// sameEncoding reports whether a and b encode to the same bytes: deterministic, and unlike
// pyval.Equal it takes a NaN for itself.
func sameEncoding(c serializer.Codec, a, b any) bool {
	ea, err := c.Marshal(a)
	if err != nil {
		return false
	}
	eb, err := c.Marshal(b)
	return err == nil && string(ea) == string(eb)
}

// CheckMetered checks UnmarshalMetered on data against serializer.UnmarshalOwned: with a
// meter refusing nothing it gives the same value or the same error (and a nil meter too),
// and with one refusing almost everything it does not panic and fails with the meter's error
// or gives the same result. For fuzz targets and tables of test data.
func CheckMetered(t testing.TB, c serializer.Codec, data []byte) {
	t.Helper()
	want, wantErr := serializer.UnmarshalOwned(c, append([]byte(nil), data...))
	for _, m := range []serializer.Meter{nil, &CountingMeter{}} {
		got, err := unmarshalMetered(t, c, data, m)
		switch {
		case wantErr != nil && err == nil:
			t.Fatalf("metered (%T) decoding of %q succeeds where unmetered fails: %v", m, data, wantErr)
		case wantErr != nil && err.Error() != wantErr.Error():
			t.Fatalf("metered (%T) decoding of %q fails differently:\n%v\n%v", m, data, err, wantErr)
		case wantErr == nil && err != nil:
			t.Fatalf("metered (%T) decoding of %q fails where unmetered succeeds: %v", m, data, err)
		case wantErr == nil && !sameEncoding(c, got, want):
			t.Fatalf("metered (%T) decoding of %q differs: %s, want %s", m, data, pyval.Repr(got), pyval.Repr(want))
		}
	}
	for _, limit := range []int{0, 16, 100} {
		m := &LimitMeter{Limit: limit}
		got, err := unmarshalMetered(t, c, data, m)
		switch {
		case err == nil && wantErr != nil:
			t.Fatalf("decoding of %q with a meter of %d succeeds where unmetered fails: %v", data, limit, wantErr)
		case err == nil && m.N > limit:
			t.Fatalf("decoding of %q succeeds though its meter of %d refused a charge (%d bytes)", data, limit, m.N)
		case err == nil && !sameEncoding(c, got, want):
			t.Fatalf("decoding of %q with a meter of %d differs: %s, want %s", data, limit, pyval.Repr(got), pyval.Repr(want))
		case err != nil && !errors.Is(err, ErrMeter) && (wantErr == nil || err.Error() != wantErr.Error()):
			t.Fatalf("decoding of %q with a meter of %d: %v (unmetered: %v)", data, limit, err, wantErr)
		case errors.Is(err, ErrMeter) && m.N <= limit:
			t.Fatalf("decoding of %q fails with the meter's error though it was not refused", data)
		}
	}
}

// CheckMeterCharges checks what a codec's UnmarshalMetered charges for values of known size:
// at least serializer.SlotSize for each list item, serializer.EntrySize for each dict entry
// and the length of each str, at every level of nesting, and not many times more; and that
// the results are those of unmetered decoding.
func CheckMeterCharges(t *testing.T, c serializer.Codec) {
	t.Helper()
	const n = 10000
	ints := make([]any, n)
	for i := range ints {
		ints[i] = int64(i % 100)
	}
	dict := pyval.NewDict(n)
	keys := 0
	for i := range n {
		k := fmt.Sprintf("k%d", i)
		keys += len(k)
		dict.Set(k, int64(i%100))
	}
	long := strings.Repeat("x", 100000)
	// [[0]*100]*100 as 100 distinct lists, and {"k0": [0]*100, ...} of 100
	nested := make([]any, 100)
	nestedDict := pyval.NewDict(100)
	nestedKeys := 0
	for i := range nested {
		nested[i] = ints[:100:100]
		k := fmt.Sprintf("k%d", i)
		nestedKeys += len(k)
		nestedDict.Set(k, ints[:100:100])
	}
	deep := []any{nested, nested, []any{nestedDict}}
	for _, tc := range []struct {
		name string
		v    any
		want int
	}{
		{"list of 10000 ints", ints, n * serializer.SlotSize},
		{"dict of 10000 str: int", dict, n*serializer.EntrySize + keys},
		{"str of 100000 bytes", long, len(long)},
		{"list of 100 lists of 100", nested, (100 + 100*100) * serializer.SlotSize},
		{"dict of 100 lists of 100", nestedDict, 100*serializer.EntrySize + nestedKeys + 100*100*serializer.SlotSize},
		{"three levels", deep, (3+1+2*(100+100*100)+100*100)*serializer.SlotSize + 100*serializer.EntrySize + nestedKeys},
		{"call with a list argument", serializer.CallTuple(serializer.Call{Object: "obj", Method: "m", Args: []any{ints}}), n * serializer.SlotSize},
	} {
		data, err := c.Marshal(tc.v)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var m CountingMeter
		got, err := unmarshalMetered(t, c, data, &m)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		want, err := serializer.UnmarshalOwned(c, data)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !sameEncoding(c, got, want) {
			t.Errorf("%s: metered decoding differs from unmetered", tc.name)
		}
		if m.N < tc.want || m.N > 2*tc.want+1024 {
			t.Errorf("%s (%d bytes): charged %d in %d charges, want at least %d and not twice that", tc.name, len(data), m.N, m.Calls, tc.want)
		}
	}
	// serializer.UnmarshalCallMetered charges a call of more than MeterFreeData
	call := serializer.Call{Object: "obj", Method: "m", Args: []any{ints}, Kwargs: pyval.NewDict(0)}
	data, err := serializer.MarshalCall(c, call)
	if err != nil {
		t.Fatal(err)
	}
	var m CountingMeter
	got, err := serializer.UnmarshalCallMetered(c, data, &m)
	if err != nil {
		t.Fatal(err)
	}
	want, err := serializer.UnmarshalCallOwned(c, data)
	if err != nil {
		t.Fatal(err)
	}
	if !SameCall(got, want) || !SameCall(got, call) {
		t.Error("UnmarshalCallMetered decodes a call differently")
	}
	if m.N < n*serializer.SlotSize {
		t.Errorf("UnmarshalCallMetered of a call of %d bytes charged %d, want at least %d", len(data), m.N, n*serializer.SlotSize)
	}
}

// CheckMeterStops checks that a meter refusing beyond 1 MiB stops the decoding of a list of
// 5 million small ints early, with its error, having allocated far less than the list, which
// decoding without a meter allocates.
func CheckMeterStops(t *testing.T, c serializer.Codec) {
	t.Helper()
	if testing.Short() {
		t.Skip("decodes 80 MB")
	}
	const n = 5_000_000
	data := func() []byte {
		list := make([]any, n)
		for i := range list {
			list[i] = int64(i % 100)
		}
		data, err := c.Marshal(list)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}()
	allocated := func(decode func() error) (uint64, error) {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		err := decode()
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc, err
	}
	m := &LimitMeter{Limit: 1 << 20}
	metered, err := allocated(func() error {
		_, err := unmarshalMetered(t, c, data, m)
		return err
	})
	metered -= uint64(len(data)) // unmarshalMetered's copy
	if !errors.Is(err, ErrMeter) {
		t.Fatalf("decoding %d bytes with a meter of 1 MiB: %v, want the meter's error", len(data), err)
	}
	unmetered, err := allocated(func() error {
		_, err := serializer.UnmarshalOwned(c, data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("a list of %d ints in %d bytes: %d bytes allocated unmetered, %d stopped by a meter of 1 MiB (charged %d)",
		n, len(data), unmetered, metered, m.N)
	if metered > 8<<20 {
		t.Errorf("the metered decoding allocated %d bytes before it stopped, want under 8 MiB", metered)
	}
	if unmetered < n*serializer.SlotSize {
		t.Errorf("unmetered decoding allocated only %d bytes, the test proves nothing", unmetered)
	}
}

// LargeValue is a list of 10000 ints, strs and small dicts, about 200 KB in most codecs.
func LargeValue() any {
	list := make([]any, 10000)
	for i := range list {
		switch i % 4 {
		case 0:
			list[i] = int64(i % 100)
		case 1:
			list[i] = int64(i) * 1000003
		case 2:
			list[i] = fmt.Sprintf("item %d", i)
		default:
			list[i] = pyval.DictOf("id", int64(i), "name", "n", "tags", []any{"a", "b"})
		}
	}
	return list
}

// BenchmarkUnmarshalLarge decodes LargeValue owned (serializer.UnmarshalOwned) or, metered,
// with UnmarshalMetered and a CountingMeter.
func BenchmarkUnmarshalLarge(b *testing.B, c serializer.Codec, metered bool) {
	data, err := c.Marshal(LargeValue())
	if err != nil {
		b.Fatal(err)
	}
	md, _ := c.(serializer.MeteredDecoder)
	if metered && md == nil {
		b.Skipf("%T is not a serializer.MeteredDecoder", c)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if metered {
			_, err = md.UnmarshalMetered(data, &CountingMeter{})
		} else {
			_, err = serializer.UnmarshalOwned(c, data)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}

// CheckCharge checks that decoding data with c's UnmarshalMetered charges exactly want
// bytes and gives what serializer.UnmarshalOwned gives. For tables of exact charges.
func CheckCharge(t *testing.T, c serializer.Codec, name string, data []byte, want int) {
	t.Helper()
	var m CountingMeter
	got, err := unmarshalMetered(t, c, data, &m)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	plain, err := serializer.UnmarshalOwned(c, append([]byte(nil), data...))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if !sameEncoding(c, got, plain) {
		t.Errorf("%s: metered decoding differs", name)
	}
	if m.N != want {
		t.Errorf("%s: charged %d, want %d", name, m.N, want)
	}
}
