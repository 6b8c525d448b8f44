package msgpack

import (
	"testing"

	"github.com/gopyro/pyro/internal/codectest"
)

// The Python figures, measured once per test binary in the same run as Go's, are reported as
// an extra metric of each benchmark.

func BenchmarkMarshalCall(b *testing.B) {
	py, _ := codectest.PythonCallTiming(b, "MsgpackSerializer")
	codectest.BenchmarkMarshalCall(b, Codec{})
	b.ReportMetric(py, "python-dumpsCall-ns/op")
}

func BenchmarkUnmarshalCall(b *testing.B) {
	_, py := codectest.PythonCallTiming(b, "MsgpackSerializer")
	codectest.BenchmarkUnmarshalCall(b, Codec{})
	b.ReportMetric(py, "python-loadsCall-ns/op")
}
