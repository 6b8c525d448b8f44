package wire5

import (
	"bytes"
	"io"
	"testing"
)

// typicalInvoke is a small call as a proxy sends it: 100 bytes of serialized call and a
// correlation id.
func typicalInvoke() *Message {
	m := &Message{Type: Invoke, Seq: 42, SerializerID: 1, Data: compressible(100)}
	m.SetCorrelationID([16]byte{0xfe, 0xed})
	return m
}

// bigResult is a 1 MiB result.
func bigResult() *Message {
	m := &Message{Type: Result, Seq: 42, SerializerID: 1, Data: random(1<<20, 9)}
	m.SetCorrelationID([16]byte{0xfe, 0xed})
	return m
}

func benchWrite(b *testing.B, m *Message, cfg *Config) {
	b.ReportAllocs()
	b.SetBytes(int64(len(m.Data)))
	for b.Loop() {
		if err := Write(io.Discard, m, cfg); err != nil {
			b.Fatal(err)
		}
	}
}

func benchRead(b *testing.B, m *Message, cfg *Config) {
	frame := mustAppend(b, m, cfg)
	r := bytes.NewReader(frame)
	b.ReportAllocs()
	b.SetBytes(int64(len(m.Data)))
	for b.Loop() {
		r.Reset(frame)
		if _, err := Read(r, cfg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWrite(b *testing.B)     { benchWrite(b, typicalInvoke(), nil) }
func BenchmarkWrite1MiB(b *testing.B) { benchWrite(b, bigResult(), nil) }
func BenchmarkRead(b *testing.B)      { benchRead(b, typicalInvoke(), nil) }
func BenchmarkRead1MiB(b *testing.B)  { benchRead(b, bigResult(), nil) }
func BenchmarkWriteCompressed1MiB(b *testing.B) {
	benchWrite(b, &Message{Type: Result, SerializerID: 1, Data: compressible(1 << 20)}, &Config{Compress: true})
}
func BenchmarkReadCompressed1MiB(b *testing.B) {
	benchRead(b, &Message{Type: Result, SerializerID: 1, Data: compressible(1 << 20)}, &Config{Compress: true})
}

// The hot path's allocation budget, checked on every test run and not only when someone
// looks at benchmark output.
func TestAllocationBudget(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("allocation counts are not meaningful under -race")
	}
	m := typicalInvoke()
	m.SetAnnotation(AnnStream, []byte("stream id"))
	if n := testing.AllocsPerRun(100, func() { _ = Write(io.Discard, m, nil) }); n != 0 {
		t.Errorf("Write allocates %v times, want 0", n)
	}
	frame := mustAppend(t, m, nil)
	r := bytes.NewReader(frame)
	if n := testing.AllocsPerRun(100, func() { r.Reset(frame); _, _ = Read(r, nil) }); n > 1 {
		t.Errorf("Read of a small frame allocates %v times, want 1", n)
	}
	// A user's annotation key costs its string.
	m.SetAnnotation("XTRA", []byte("x"))
	frame = mustAppend(t, m, nil)
	if n := testing.AllocsPerRun(100, func() { r.Reset(frame); _, _ = Read(r, nil) }); n > 2 {
		t.Errorf("Read of a small frame with a user annotation allocates %v times, want 2", n)
	}
	big := bigResult()
	// Its buffer, which is not pooled; and the pool's holder, when the garbage collections
	// that such buffers cause empty the pool.
	if n := testing.AllocsPerRun(10, func() { _ = Write(io.Discard, big, nil) }); n > 2 {
		t.Errorf("Write of a 1 MiB frame allocates %v times, want at most 2", n)
	}
	frame = mustAppend(t, big, nil)
	if n := testing.AllocsPerRun(10, func() { r.Reset(frame); _, _ = Read(r, nil) }); n > 2 {
		t.Errorf("Read of a 1 MiB frame allocates %v times, want 2", n)
	}
}
