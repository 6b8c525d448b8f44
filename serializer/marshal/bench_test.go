package marshal

import (
	"testing"

	"github.com/gopyro/pyro/internal/codectest"
)

func BenchmarkMarshalCall(b *testing.B) { codectest.BenchmarkMarshalCall(b, Codec{}) }

func BenchmarkUnmarshalCall(b *testing.B) { codectest.BenchmarkUnmarshalCall(b, Codec{}) }

// BenchmarkPythonDumpsCall is Python's MarshalSerializer.dumpsCall of the same call, as ns/op.
func BenchmarkPythonDumpsCall(b *testing.B) {
	codectest.BenchmarkPython(b, "MarshalSerializer", "dumps")
}

// BenchmarkPythonLoadsCall is Python's MarshalSerializer.loadsCall of the same call, as ns/op.
func BenchmarkPythonLoadsCall(b *testing.B) {
	codectest.BenchmarkPython(b, "MarshalSerializer", "loads")
}

func BenchmarkUnmarshalLarge(b *testing.B) { codectest.BenchmarkUnmarshalLarge(b, Codec{}, false) }

func BenchmarkUnmarshalMeteredLarge(b *testing.B) {
	codectest.BenchmarkUnmarshalLarge(b, Codec{}, true)
}
