package wire

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

func BenchmarkWrite(b *testing.B) {
	m := typicalInvoke()
	b.ReportAllocs()
	b.SetBytes(int64(len(m.Data)))
	for b.Loop() {
		if err := Write(io.Discard, m, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteHMAC(b *testing.B) {
	m := typicalInvoke()
	cfg := &Config{HMACKey: []byte("secret")}
	b.ReportAllocs()
	for b.Loop() {
		if err := Write(io.Discard, m, cfg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRead(b *testing.B) {
	frame := mustAppend(b, typicalInvoke(), nil)
	r := bytes.NewReader(frame)
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		r.Reset(frame)
		if _, err := Read(r, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadHMAC(b *testing.B) {
	cfg := &Config{HMACKey: []byte("secret")}
	frame := mustAppend(b, typicalInvoke(), cfg)
	r := bytes.NewReader(frame)
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(frame)
		if _, err := Read(r, cfg); err != nil {
			b.Fatal(err)
		}
	}
}

// The hot path's allocation budget, checked on every test run and not only when someone
// looks at benchmark output.
func TestAllocationBudget(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("allocation counts are not meaningful under -race")
	}
	m := typicalInvoke()
	if n := testing.AllocsPerRun(100, func() { _ = Write(io.Discard, m, nil) }); n != 0 {
		t.Errorf("Write allocates %v times, want 0", n)
	}
	cfg := &Config{HMACKey: []byte("secret")}
	if n := testing.AllocsPerRun(100, func() { _ = Write(io.Discard, m, cfg) }); n != 0 {
		t.Errorf("signed Write allocates %v times, want 0", n)
	}
	frame := mustAppend(t, m, cfg)
	r := bytes.NewReader(frame)
	if n := testing.AllocsPerRun(100, func() { r.Reset(frame); _, _ = Read(r, cfg) }); n > 1 {
		t.Errorf("Read of a small frame allocates %v times, want 1", n)
	}
}
