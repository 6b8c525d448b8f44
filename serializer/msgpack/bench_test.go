package msgpack

import (
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gopyro/pyro/internal/pytest"
	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

func benchCall() serializer.Call {
	return serializer.Call{
		Object: "MyWorker",
		Method: "get_rate",
		Args:   []any{"EURUSD", int64(3), 1.5, pyval.DictOf("amount", int64(100), "tags", []any{"a", "b"})},
		Kwargs: pyval.DictOf("timeout", 2.5),
	}
}

const pyBenchScript = `
import timeit, Pyro4.util
s = Pyro4.util.MsgpackSerializer()
args = ("MyWorker", "get_rate", ["EURUSD", 3, 1.5, {"amount": 100, "tags": ["a", "b"]}], {"timeout": 2.5})
data = s.dumpsCall(*args)
def best(fn):
    n, _ = timeit.Timer(fn).autorange()
    return min(timeit.Timer(fn).repeat(5, n)) / n * 1e9
print(best(lambda: s.dumpsCall(*args)), best(lambda: s.loadsCall(data)))
`

// Python's figures are measured once per test binary, in the same run as Go's, and reported
// as an extra metric of each benchmark.
var (
	pyOnce           sync.Once
	pyDumps, pyLoads float64
)

func pythonBench(b *testing.B) (dumps, loads float64) {
	b.Helper()
	pyOnce.Do(func() {
		out := strings.Fields(string(pytest.Run(b, pyBenchScript, nil)))
		if len(out) != 2 {
			b.Fatalf("python timing output %q", out)
		}
		pyDumps, _ = strconv.ParseFloat(out[0], 64)
		pyLoads, _ = strconv.ParseFloat(out[1], 64)
	})
	return pyDumps, pyLoads
}

func BenchmarkMarshalCall(b *testing.B) {
	py, _ := pythonBench(b)
	var c Codec
	call := benchCall()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := serializer.MarshalCall(c, call); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(py, "python-dumpsCall-ns/op")
}

func BenchmarkUnmarshalCall(b *testing.B) {
	_, py := pythonBench(b)
	var c Codec
	data, err := serializer.MarshalCall(c, benchCall())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := serializer.UnmarshalCall(c, data); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(py, "python-loadsCall-ns/op")
}
