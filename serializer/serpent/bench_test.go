package serpent

import (
	"testing"

	"github.com/gopyro/pyro/internal/codectest"
)

func BenchmarkMarshalCall(b *testing.B) { codectest.BenchmarkMarshalCall(b, Codec{}) }

func BenchmarkUnmarshalCall(b *testing.B) { codectest.BenchmarkUnmarshalCall(b, Codec{}) }

// BenchmarkPythonMarshalCall reports Python's SerpentSerializer.dumpsCall time as ns/op.
func BenchmarkPythonMarshalCall(b *testing.B) {
	codectest.BenchmarkPython(b, "SerpentSerializer", "dumps")
}

// BenchmarkPythonUnmarshalCall reports Python's SerpentSerializer.loadsCall time as ns/op.
func BenchmarkPythonUnmarshalCall(b *testing.B) {
	codectest.BenchmarkPython(b, "SerpentSerializer", "loads")
}
