package serpent

import (
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/gopyro/pyro/internal/codectest"
	"github.com/gopyro/pyro/internal/pyvaltest"
	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

// countingMeter adds up what it is charged; with a limit it refuses (errOverBudget) a charge
// that takes the total beyond it.
type countingMeter struct {
	total, calls int
	limit        int // 0: no limit
}

var errOverBudget = errors.New("over budget")

func (m *countingMeter) Charge(n int) error {
	if n < 0 {
		panic("negative charge " + strconv.Itoa(n))
	}
	m.calls++
	m.total += n
	if m.limit > 0 && m.total > m.limit {
		return errOverBudget
	}
	return nil
}

var _ serializer.MeteredDecoder = Codec{}

// metered decodes text with a counting meter, failing t if the result is not Unmarshal's.
func metered(t *testing.T, text string) (any, int) {
	t.Helper()
	want, err := Unmarshal([]byte(text))
	if err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	var m countingMeter
	got, err := Codec{}.UnmarshalMetered([]byte(text), &m)
	if err != nil {
		t.Fatalf("UnmarshalMetered: %v", err)
	}
	if !pyval.Equal(got, want) {
		t.Fatalf("UnmarshalMetered gives %s, Unmarshal %s", pyval.Repr(got), pyval.Repr(want))
	}
	return got, m.total
}

func zeros(n int) string { return "[" + strings.Repeat("0,", n) + "]" }

func TestUnmarshalMeteredCharges(t *testing.T) {
	const n = 10000
	dict := func(n int, value string) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range n {
			b.WriteString(strconv.Itoa(i) + ":" + value + ",")
		}
		return b.String() + "}"
	}
	long := strings.Repeat("x", 100000)
	cases := []struct {
		name     string
		text     string
		min, max int
	}{
		{"list of zeros", Header + zeros(n), n * serializer.SlotSize, n * serializer.SlotSize},
		{"small list", "[0,0,0]", 3 * serializer.SlotSize, 3 * serializer.SlotSize},
		{"tuple", "(" + strings.Repeat("None,", n) + ")", n * serializer.SlotSize, n * serializer.SlotSize},
		{"top tuple", strings.Repeat("True,", n), n * serializer.SlotSize, n * serializer.SlotSize},
		{"set", "{" + strings.TrimSuffix(zeros(n)[1:], "]") + "}", n * serializer.SlotSize, n * serializer.SlotSize},
		{"dict", dict(n, "0"), n * serializer.EntrySize, n * serializer.EntrySize},
		{"str", "'" + long + "'", len(long), len(long)},
		{"str escaped", `'\n` + long + `'`, len(long) + 1, len(long) + 1},
		{"str concatenated", `'` + long + `' '` + long + `'`, 2 * len(long), 2 * len(long)},
		{"str small", "'abc'", 3, 3},
		{"bytes", "b'" + long + "'", len(long), len(long)},
		{"bytes escaped", `b'\x00` + long + `'`, len(long) + 1, len(long) + 1},
		// the base64 str, then the bytes it decodes to, then the dict's two entries
		{"bytes dict", "{'data': '" + strings.Repeat("AAAA", 1000) + "', 'encoding': 'base64'}", 4000 + 3000 + 2*serializer.EntrySize, 4000 + 3000 + 2*serializer.EntrySize + len("data") + len("encoding") + len("base64")},
		{"big int", strings.Repeat("7", 4000), 4000, 4000},
		{"big hex int", "0x" + strings.Repeat("f", 10000), 10000, 10000},
		{"small ints", "[1, -2, 0x10, 2]", 4 * serializer.SlotSize, 4*serializer.SlotSize + len("10")},
		// n lists of 10 zeros in a list: every level
		{"nested lists", "[" + strings.Repeat(zeros(10)+",", n) + "]", n*serializer.SlotSize + n*10*serializer.SlotSize, n*serializer.SlotSize + n*10*serializer.SlotSize},
		{"nested mixed", "[" + strings.Repeat("({1:[0,0]},{0}),", n) + "]",
			n * (serializer.SlotSize + 2*serializer.SlotSize + serializer.EntrySize + 2*serializer.SlotSize + serializer.SlotSize),
			n * (serializer.SlotSize + 2*serializer.SlotSize + serializer.EntrySize + 2*serializer.SlotSize + serializer.SlotSize)},
		{"deep", strings.Repeat("[", serializer.MaxDepth) + strings.Repeat("]", serializer.MaxDepth), (serializer.MaxDepth - 1) * serializer.SlotSize, (serializer.MaxDepth - 1) * serializer.SlotSize},
		{"scalars", "None", 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, total := metered(t, tc.text)
			if total < tc.min || total > tc.max {
				t.Errorf("charged %d, want %d to %d", total, tc.min, tc.max)
			}
		})
	}
}

// A nil meter charges nothing and changes nothing.
func TestUnmarshalMeteredNil(t *testing.T) {
	text := []byte(Header + zeros(100))
	v, err := Codec{}.UnmarshalMetered(text, nil)
	if want, _ := Unmarshal(text); err != nil || !pyval.Equal(v, want) {
		t.Fatalf("UnmarshalMetered(nil meter) = %v, %v", v, err)
	}
}

// serializer.UnmarshalCallMetered charges for a call's values when the call is large.
func TestUnmarshalCallMetered(t *testing.T) {
	const n = 10000
	args := make([]any, n)
	for i := range args {
		args[i] = int64(0)
	}
	call := codectest.TypicalCall()
	call.Args = append(call.Args, args)
	data, err := serializer.MarshalCall(Codec{}, call)
	if err != nil {
		t.Fatal(err)
	}
	var m countingMeter
	got, err := serializer.UnmarshalCallMetered(Codec{}, data, &m)
	if err != nil {
		t.Fatal(err)
	}
	if !codectest.SameCall(got, call) {
		t.Fatalf("UnmarshalCallMetered changed the call: %+v", got)
	}
	if m.total < n*serializer.SlotSize {
		t.Fatalf("charged %d for a call with %d arguments in a list, want at least %d", m.total, n, n*serializer.SlotSize)
	}
	m = countingMeter{limit: 1000}
	if _, err := serializer.UnmarshalCallMetered(Codec{}, data, &m); !errors.Is(err, errOverBudget) {
		t.Fatalf("over its budget: %v", err)
	}
}

// A meter's refusal stops the decoder at once: a huge container is not built.
func TestUnmarshalMeteredStops(t *testing.T) {
	const limit = 1 << 20
	const n = 5_000_000 // 80 MB of slots, 10 MB of text
	huge := strings.Repeat("x", 16<<20)
	cases := []struct {
		name string
		text []byte
	}{
		{"list", []byte(Header + zeros(n))},
		{"tuple", []byte(Header + "(" + strings.Repeat("0,", n) + ")")},
		{"set", []byte(Header + "{" + strings.Repeat("0,", n) + "}")},
		{"dict", []byte(Header + "{" + strings.Repeat("0:0,", n/2) + "}")},
		{"nested", []byte(Header + "[" + strings.Repeat("[0,0,0,0],", n/5) + "]")},
		{"str", []byte(Header + "'" + huge + "'")},
		{"str escaped", []byte(Header + "'\\n" + huge + "'")},
		{"bytes", []byte(Header + "b'" + huge + "'")},
		{"str of escapes", []byte(Header + "'" + strings.Repeat(`\t`, 8<<20) + "'")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := countingMeter{limit: limit}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			v, err := Codec{}.UnmarshalMetered(tc.text, &m)
			runtime.ReadMemStats(&after)
			if !errors.Is(err, errOverBudget) || v != nil {
				t.Fatalf("UnmarshalMetered over the budget: %v, error %v", v, err)
			}
			if !strings.HasPrefix(err.Error(), "serpent: ") {
				t.Errorf("error %q", err)
			}
			if m.total > limit+max(chargeBatch, len(huge)) {
				t.Errorf("charged %d with a limit of %d", m.total, limit)
			}
			// Unmetered, the list takes the 80 MB of its slots and more than as much again for
			// the decoder's stack; stopped, a few MB at most (the stack up to 1 MB of slots).
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("%s: %d bytes allocated, %d charged in %d calls", tc.name, alloc, m.total, m.calls)
			if alloc > 8<<20 {
				t.Errorf("decoding stopped over its budget allocated %d bytes, want at most 8 MiB", alloc)
			}
		})
	}
}

// meteredInputs is the package's test texts: the decode table, the encoder's outputs, the
// interop values, random values and the fuzz corpus.
func meteredInputs(t *testing.T) [][]byte {
	var texts [][]byte
	for _, tc := range decodeCases {
		texts = append(texts, []byte(tc.text))
	}
	values := codectest.RandomValues(20240601, pyvaltest.All, 500)
	for _, tc := range encodeCases {
		values = append(values, tc.v)
	}
	for _, tc := range interopCases() {
		values = append(values, tc.goVal)
	}
	values = append(values, new(big.Int).Lsh(big.NewInt(1), 20000))
	for _, v := range values {
		data, err := Marshal(v)
		if err != nil {
			t.Fatalf("Marshal(%s): %v", pyval.Repr(v), err)
		}
		texts = append(texts, data)
	}
	files, err := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzUnmarshal", "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("fuzz corpus: %v (%d files)", err, len(files))
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		// go test fuzz v1\n[]byte("...")\n
		lines := strings.SplitN(string(b), "\n", 3)
		if len(lines) < 2 || !strings.HasPrefix(lines[1], "[]byte(") {
			t.Fatalf("%s: not a []byte corpus entry", name)
		}
		s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		texts = append(texts, []byte(s))
	}
	return texts
}

// UnmarshalMetered gives what Unmarshal gives, values and errors, for every test text.
func TestUnmarshalMeteredSame(t *testing.T) {
	texts := meteredInputs(t)
	for _, tc := range []struct{ text, want string }{
		{"[1,", ""}, {"{1:[]}", ""}, {"{[]}", ""}, {"'abc", ""}, {"0x", ""},
		{strings.Repeat("[", serializer.MaxDepth+1), ""}, {"[" + strings.Repeat("1,", 2000) + "x]", ""},
	} {
		texts = append(texts, []byte(tc.text))
	}
	var charged int
	for _, text := range texts {
		want, wantErr := Unmarshal(text)
		var m countingMeter
		got, err := Codec{}.UnmarshalMetered(text, &m)
		if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
			t.Fatalf("%q: UnmarshalMetered error %v, Unmarshal error %v", text, err, wantErr)
		}
		if !pyval.Equal(got, want) {
			t.Fatalf("%q: UnmarshalMetered gives %s, Unmarshal %s", text, pyval.Repr(got), pyval.Repr(want))
		}
		charged += m.total
	}
	if charged == 0 {
		t.Fatal("nothing charged")
	}
	t.Logf("%d texts, %d bytes charged", len(texts), charged)
}
