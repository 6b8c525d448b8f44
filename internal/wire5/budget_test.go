package wire5

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/gopyro/pyro/internal/framing"
)

func mustRead(t testing.TB, b []byte, cfg *Config) *Message {
	t.Helper()
	m, err := Read(bytes.NewReader(b), cfg)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return m
}

// Read with a Budget: a large frame holds its size until released, a small one nothing; a
// frame larger than the whole budget is refused before its body is read; a compressed
// payload stops inflating at the budget; a frame that does not fit in what is left waits
// and is refused with ErrBusy. Every refusal gives back what it took.
func TestReadBudget(t *testing.T) {
	b := framing.NewBudget(4<<20, 0)
	cfg := &Config{Budget: b}

	m := mustRead(t, mustAppend(t, &Message{Type: Invoke, SerializerID: 1, Data: compressible(100 << 10)}, nil), cfg)
	if m.Held.Bytes() != 100<<10 || b.Used() != 100<<10 {
		t.Errorf("a 100 KiB frame holds %d, the budget has %d used", m.Held.Bytes(), b.Used())
	}
	m.Held.Release()
	if small := mustRead(t, mustAppend(t, typicalInvoke(), nil), cfg); small.Held.Bytes() != 0 {
		t.Errorf("a small frame holds %d", small.Held.Bytes())
	}

	huge := frame(Invoke, 0, 1, 1, [16]byte{}, nil, make([]byte, 1000))
	binary.BigEndian.PutUint32(huge[12:16], 512<<20) // under Pyro5's 1 GiB limit, over the budget
	if _, err := Read(bytes.NewReader(huge), cfg); !errors.Is(err, ErrTooLarge) || !errors.Is(err, framing.ErrBudget) {
		t.Errorf("a claim over the budget: %v", err)
	}

	bomb, _ := zlibZeros((64 << 20) / 258)
	_, err := Read(bytes.NewReader(frame(Invoke, FlagCompressed, 1, 1, [16]byte{}, nil, bomb)), cfg)
	if !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrBusy) {
		t.Errorf("a bomb: %v", err)
	}

	hold := mustRead(t, mustAppend(t, &Message{Type: Invoke, SerializerID: 1, Data: compressible(3 << 20)}, nil), cfg)
	_, err = Read(bytes.NewReader(mustAppend(t, &Message{Type: Invoke, SerializerID: 1, Data: compressible(2 << 20)}, nil)), cfg)
	if !errors.Is(err, ErrBusy) || !errors.Is(err, framing.ErrBudget) {
		t.Errorf("a frame that does not fit what is left: %v", err)
	}
	hold.Held.Release()
	if b.Held() != 0 {
		t.Errorf("the budget has %d held after everything was released", b.Held())
	}
}
