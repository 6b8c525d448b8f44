package serpent

import (
	"strconv"
	"strings"
	"testing"

	"github.com/gopyro/pyro/internal/codectest"
	"github.com/gopyro/pyro/serializer"
)

// decodeBenchInputs are texts the general decoder (Unmarshal) reads: containers of many
// elements, dicts, strs, and the typical call as a plain tuple.
func decodeBenchInputs(b *testing.B) []struct {
	name string
	data []byte
} {
	call, err := serializer.MarshalCall(Codec{}, codectest.TypicalCall())
	if err != nil {
		b.Fatal(err)
	}
	var list, dict strings.Builder
	list.WriteString(Header + "[")
	dict.WriteString(Header + "{")
	for i := range 10000 {
		list.WriteString(strconv.Itoa(i) + ",")
	}
	for i := range 1000 {
		dict.WriteString("'key" + strconv.Itoa(i) + "':(" + strconv.Itoa(i) + ",'v'),")
	}
	list.WriteString("]")
	dict.WriteString("}")
	return []struct {
		name string
		data []byte
	}{
		{"call", call},
		{"list10000", []byte(list.String())},
		{"dict1000", []byte(dict.String())},
	}
}

// BenchmarkUnmarshal measures the general decoder:
//
//	go test -run '^$' -bench 'Unmarshal$' -benchmem ./serializer/serpent/
func BenchmarkUnmarshal(b *testing.B) {
	for _, in := range decodeBenchInputs(b) {
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(in.data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Unmarshal(in.data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkUnmarshalMetered is BenchmarkUnmarshal charging a meter that counts:
//
//	go test -run '^$' -bench 'Unmarshal(Metered)?$' -benchmem ./serializer/serpent/
func BenchmarkUnmarshalMetered(b *testing.B) {
	for _, in := range decodeBenchInputs(b) {
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(in.data)))
			b.ReportAllocs()
			var m countingMeter
			for b.Loop() {
				if _, err := (Codec{}).UnmarshalMetered(in.data, &m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
