package serpent

import (
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gopyro/pyro/internal/pytest"
	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

// benchCall is a typical Pyro call payload.
func benchCall() serializer.Call {
	return serializer.Call{
		Object: "MyWorker",
		Method: "get_rate",
		Args:   []any{"EURUSD", 3, 1.5, pyval.DictOf("amount", 100, "tags", []any{"a", "b"})},
		Kwargs: pyval.DictOf("timeout", 2.5),
	}
}

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

// pythonTimings measures Pyro4's SerpentSerializer dumpsCall/loadsCall of the same payload
// with timeit, so one `go test -bench` run reports both implementations.
const pythonTimings = `
import timeit
from Pyro4.util import SerpentSerializer
s = SerpentSerializer()
args = ("MyWorker", "get_rate", ("EURUSD", 3, 1.5, {"amount": 100, "tags": ["a", "b"]}), {"timeout": 2.5})
data = s.dumpsCall(*args)
for name, fn in (("dumps", lambda: s.dumpsCall(*args)), ("loads", lambda: s.loadsCall(data))):
    t = timeit.Timer(fn)
    n, _ = t.autorange()
    best = min(t.repeat(repeat=5, number=n)) / n
    print(name, best * 1e9)
`

var (
	pyTimingsOnce sync.Once
	pyTimings     map[string]float64
)

func benchPython(b *testing.B, which string) {
	pyTimingsOnce.Do(func() {
		pyTimings = map[string]float64{}
		for _, line := range strings.Split(strings.TrimSpace(string(pytest.Run(b, pythonTimings, nil))), "\n") {
			name, ns, _ := strings.Cut(line, " ")
			pyTimings[name], _ = strconv.ParseFloat(ns, 64)
		}
	})
	ns, ok := pyTimings[which]
	if !ok {
		b.Fatalf("no Python timing for %s", which)
	}
	for b.Loop() {
	}
	b.ReportMetric(ns, "ns/op")
}

// BenchmarkPythonMarshalCall reports Python's SerpentSerializer.dumpsCall time as ns/op.
func BenchmarkPythonMarshalCall(b *testing.B) { benchPython(b, "dumps") }

// BenchmarkPythonUnmarshalCall reports Python's SerpentSerializer.loadsCall time as ns/op.
func BenchmarkPythonUnmarshalCall(b *testing.B) { benchPython(b, "loads") }
