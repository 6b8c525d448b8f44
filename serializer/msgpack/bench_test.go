package msgpack

import (
	"testing"

	"github.com/gopyro/pyro/internal/codectest"
	"github.com/gopyro/pyro/internal/pyvaltest"
	"github.com/gopyro/pyro/serializer"
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

// benchInputs are values to decode in full (Unmarshal, not the call fast path): the typical
// call, random values of every kind, and a long array of nils, above the 4 KiB from
// which serializer.UnmarshalCallMetered charges a meter.
func benchInputs(b *testing.B) []struct {
	name string
	data []byte
} {
	call, err := serializer.MarshalCall(Codec{}, codectest.TypicalCall())
	if err != nil {
		b.Fatal(err)
	}
	caps := pyvaltest.Caps{Bytes: true, Complex: true, BigInts: true, NonFinite: true, NegZero: true, DateTimes: true}
	random, err := Codec{}.Marshal(codectest.RandomValues(7, caps, 200))
	if err != nil {
		b.Fatal(err)
	}
	nils, err := Codec{}.Marshal(make([]any, 100_000))
	if err != nil {
		b.Fatal(err)
	}
	return []struct {
		name string
		data []byte
	}{{"call", call}, {"random", random}, {"nils", nils}}
}

func BenchmarkUnmarshal(b *testing.B) {
	for _, in := range benchInputs(b) {
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(in.data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := (Codec{}).UnmarshalOwned(in.data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkUnmarshalMetered is BenchmarkUnmarshal charging a meter that never refuses.
func BenchmarkUnmarshalMetered(b *testing.B) {
	for _, in := range benchInputs(b) {
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(in.data)))
			b.ReportAllocs()
			m := counting()
			for b.Loop() {
				if _, err := (Codec{}).UnmarshalMetered(in.data, m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
