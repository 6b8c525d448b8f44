package serpent

import "testing"

// BenchmarkBigBytes decodes and encodes a 1 MiB bytes value (base64 text):
//
//	go test -run '^$' -bench BigBytes -benchmem ./serializer/serpent/
func BenchmarkBigBytes(b *testing.B) {
	data, err := Marshal(make([]byte, 1<<20))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("decode", func(b *testing.B) {
		b.SetBytes(1 << 20)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Unmarshal(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encode", func(b *testing.B) {
		v := make([]byte, 1<<20)
		b.SetBytes(1 << 20)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Marshal(v); err != nil {
				b.Fatal(err)
			}
		}
	})
}
