package codectest

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gopyro/pyro/internal/pytest"
	"github.com/gopyro/pyro/serializer"
)

// BenchmarkMarshalCall measures serializer.MarshalCall of TypicalCall with c.
func BenchmarkMarshalCall(b *testing.B, c serializer.Codec) {
	call := TypicalCall()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := serializer.MarshalCall(c, call); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUnmarshalCall measures serializer.UnmarshalCall of TypicalCall as c encodes it.
func BenchmarkUnmarshalCall(b *testing.B, c serializer.Codec) {
	data, err := serializer.MarshalCall(c, TypicalCall())
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := serializer.UnmarshalCall(c, data); err != nil {
			b.Fatal(err)
		}
	}
}

// pyTiming times dumpsCall and loadsCall of PyTypicalCall with timeit: the best of five runs
// of as many calls as autorange picks (at least 0.2 s), in nanoseconds per call.
const pyTiming = `
import timeit, Pyro4.util
s = Pyro4.util.%s()
args = %s
data = s.dumpsCall(*args)
def best(fn):
    n, _ = timeit.Timer(fn).autorange()
    return min(timeit.Timer(fn).repeat(5, n)) / n * 1e9
print(best(lambda: s.dumpsCall(*args)), best(lambda: s.loadsCall(data)))
`

// Python's figures are measured once per serializer class and test binary.
var (
	timingMu sync.Mutex
	timings  = map[string][2]float64{}
)

// PythonCallTiming returns how long Pyro4's serializer class (e.g. "JsonSerializer") takes for
// dumpsCall and loadsCall of the typical call, in ns per call, measured in Python once per
// test binary.
func PythonCallTiming(b *testing.B, class string) (dumps, loads float64) {
	b.Helper()
	timingMu.Lock()
	defer timingMu.Unlock()
	if t, ok := timings[class]; ok {
		return t[0], t[1]
	}
	out := strings.Fields(string(pytest.Run(b, fmt.Sprintf(pyTiming, class, PyTypicalCall), nil)))
	if len(out) != 2 {
		b.Fatalf("python timing output %q", out)
	}
	var t [2]float64
	for i := range t {
		var err error
		if t[i], err = strconv.ParseFloat(out[i], 64); err != nil {
			b.Fatalf("python timing output %q: %v", out, err)
		}
	}
	timings[class] = t
	return t[0], t[1]
}

// BenchmarkPython reports Pyro4's time per dumpsCall (op "dumps") or loadsCall (op "loads") of
// the typical call as this benchmark's ns/op, so that `go test -bench Call -benchmem` shows Go
// and Python side by side. The memory columns are zeroed: they would only count starting
// Python.
func BenchmarkPython(b *testing.B, class, op string) {
	dumps, loads := PythonCallTiming(b, class)
	ns := dumps
	switch op {
	case "dumps":
	case "loads":
		ns = loads
	default:
		b.Fatalf("BenchmarkPython: op %q, want dumps or loads", op)
	}
	b.ReportMetric(ns, "ns/op")
	b.ReportMetric(0, "B/op")
	b.ReportMetric(0, "allocs/op")
}
