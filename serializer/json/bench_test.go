package json

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/gopyro/pyro/internal/pytest"
	"github.com/gopyro/pyro/serializer"
)

func BenchmarkMarshalCall(b *testing.B) {
	call := benchCall()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := serializer.MarshalCall(Codec{}, call); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnmarshalCall(b *testing.B) {
	data, err := serializer.MarshalCall(Codec{}, benchCall())
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := serializer.UnmarshalCall(Codec{}, data); err != nil {
			b.Fatal(err)
		}
	}
}

// pyBenchCall is the benchmark call as Pyro4's client passes it to dumpsCall.
const pyBenchCall = `("MyWorker", "get_rate", ["EURUSD", 3, 1.5, {"amount": 100, "tags": ["a", "b"]}], {"timeout": 2.5})`

// benchPython times Pyro4's JsonSerializer on the same call in Python and reports Python's
// time per call as this benchmark's ns/op, so that `go test -bench Call -benchmem` shows Go and
// Python side by side. Python runs at least 20000 calls per measurement (best of 3), whatever
// b.N is, so its figure does not depend on how many times the framework starts it. The memory
// columns are zeroed: they would only count the Go side starting the Python process.
func benchPython(b *testing.B, stmt string) {
	script := fmt.Sprintf(`
import timeit
from Pyro4.util import JsonSerializer
ser = JsonSerializer()
call = %s
data = ser.dumpsCall(*call)
n = max(%d, 20000)
print(min(timeit.repeat(lambda: %s, number=n, repeat=3)) / n * 1e9)
`, pyBenchCall, b.N, stmt)
	out := pytest.Run(b, script, nil)
	ns, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil {
		b.Fatalf("python printed %q", out)
	}
	b.ReportMetric(ns, "ns/op")
	b.ReportMetric(0, "B/op")
	b.ReportMetric(0, "allocs/op")
}

// BenchmarkPythonDumpsCall is Python's JsonSerializer.dumpsCall of the same call.
func BenchmarkPythonDumpsCall(b *testing.B) { benchPython(b, "ser.dumpsCall(*call)") }

// BenchmarkPythonLoadsCall is Python's JsonSerializer.loadsCall of the same call.
func BenchmarkPythonLoadsCall(b *testing.B) { benchPython(b, "ser.loadsCall(data)") }
