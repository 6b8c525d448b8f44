package framing

import (
	"bytes"
	"compress/zlib"
	"errors"
	"io"
	"testing"
	"testing/iotest"
	"time"
)

// A Budget hands out what it has, refuses what it never could hold at once, makes a read
// wait for bytes given back, and refuses after its wait.
func TestBudget(t *testing.T) {
	b := NewBudget(100, 200*time.Millisecond)
	var c1, c2 Charge
	if err := c1.Take(b, 60); err != nil || b.Used() != 60 {
		t.Fatalf("take 60: %v, used %d", err, b.Used())
	}
	if err := c2.Take(b, 101); !errors.Is(err, ErrBudget) {
		t.Fatalf("more than the budget: %v", err)
	}
	go func() {
		time.Sleep(50 * time.Millisecond)
		c1.Release()
	}()
	began := time.Now()
	if err := c2.Take(b, 70); err != nil {
		t.Fatalf("take after a release: %v", err)
	}
	if waited := time.Since(began); waited < 40*time.Millisecond {
		t.Errorf("did not wait for the release (%v)", waited)
	}
	var c3 Charge
	began = time.Now()
	if err := c3.Take(b, 50); !errors.Is(err, ErrBudget) {
		t.Fatalf("take past the budget: %v", err)
	}
	if waited := time.Since(began); waited < 150*time.Millisecond {
		t.Errorf("refused after %v, before the wait", waited)
	}
	c2.Give(20)
	if b.Held() != 50 || c2.Bytes() != 50 {
		t.Errorf("after Give(20): held %d, charge %d", b.Held(), c2.Bytes())
	}
	c2.Release()
	c2.Release()
	if b.Held() != 0 {
		t.Errorf("held %d after release", b.Held())
	}
	var nilBudget *Budget
	if err := c3.Take(nilBudget, 1<<40); err != nil || c3.Bytes() != 0 {
		t.Errorf("nil budget: %v, %d", err, c3.Bytes())
	}
}

// trickle yields its bytes a few at a time and then ends early, like a peer that claims
// more than it sends.
func trickle(n int) io.Reader {
	return iotest.HalfReader(io.LimitReader(zeros{}, int64(n)))
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// ReadBody's memory follows what arrives: a claim of 1 GiB with 3 MiB sent takes at most
// growFactor times that from the budget, and all of it comes back.
func TestReadBodyFollowsArrival(t *testing.T) {
	b := NewBudget(1<<30, 0)
	var c Charge
	body, got, err := ReadBody(trickle(3<<20), 1<<30, b, &c)
	if body != nil || got != 3<<20 || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("short body: %d bytes, got %d, %v", len(body), got, err)
	}
	if c.Bytes() > (growFactor*(3<<20)+readChunk)*9/8 {
		t.Errorf("holds %d bytes for 3 MiB received", c.Bytes())
	}
	c.Release()
	if b.Held() != 0 {
		t.Errorf("held %d after release", b.Held())
	}
}

// A body that arrives whole is exactly its bytes, with a capacity of its size, and holds
// its size of the budget; one the budget cannot hold fails with ErrBudget.
func TestReadBody(t *testing.T) {
	for _, n := range []int{0, 1, readChunk, readChunk + 1, 5*readChunk + 3, 17 * readChunk} {
		data := bytes.Repeat([]byte{1, 2, 3, 4, 5, 6, 7}, n/7+1)[:n]
		b := NewBudget(1<<30, 0)
		var c Charge
		body, got, err := ReadBody(iotest.HalfReader(bytes.NewReader(data)), n, b, &c)
		if err != nil || got != n || !bytes.Equal(body, data) || cap(body) != n {
			t.Fatalf("n=%d: got %d (cap %d), %v", n, got, cap(body), err)
		}
		if c.Bytes() != int64(n) && n > 0 {
			t.Errorf("n=%d: holds %d", n, c.Bytes())
		}
		c.Release()
	}
	b := NewBudget(2*readChunk, 0)
	var c Charge
	if _, _, err := ReadBody(bytes.NewReader(make([]byte, 3*readChunk)), 3*readChunk, b, &c); !errors.Is(err, ErrBudget) {
		t.Fatalf("over the budget: %v", err)
	}
	c.Release()
	if b.Held() != 0 {
		t.Errorf("held %d after release", b.Held())
	}
}

// Inflate takes its output from the budget, gives back outgrown buffers, and stops at the
// budget as at its limit.
func TestInflateBudget(t *testing.T) {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(make([]byte, 8<<20))
	zw.Close()
	b := NewBudget(1<<30, 0)
	var c Charge
	out, err := Inflate(z.Bytes(), 1<<30, b, &c)
	if err != nil || len(out) != 8<<20 {
		t.Fatalf("inflate: %d, %v", len(out), err)
	}
	if c.Bytes() != int64(cap(out)) {
		t.Errorf("holds %d for an output of capacity %d", c.Bytes(), cap(out))
	}
	c.Release()
	small := NewBudget(4<<20, 0)
	if _, err := Inflate(z.Bytes(), 1<<30, small, &c); !errors.Is(err, ErrBudget) {
		t.Fatalf("past the budget: %v", err)
	}
	c.Release()
	if small.Held() != 0 {
		t.Errorf("held %d after release", small.Held())
	}
}

// FuzzReadBody: whatever the claim, the bytes and the way they arrive, ReadBody returns the
// bytes sent or an error, never holds more than growFactor times what arrived (plus the
// first chunk) and never more than the budget.
func FuzzReadBody(f *testing.F) {
	f.Add(uint32(10), uint32(10), uint8(0), uint32(1<<20))
	f.Add(uint32(5<<20), uint32(3<<20), uint8(1), uint32(64<<20))
	f.Add(uint32(0x7fffffff), uint32(1<<20+1), uint8(2), uint32(8<<20))
	f.Fuzz(func(t *testing.T, claim, sent uint32, mode uint8, limit uint32) {
		claim %= 64 << 20
		sent %= 24 << 20
		var r io.Reader = io.LimitReader(zeros{}, int64(sent))
		switch mode % 3 {
		case 1:
			r = iotest.HalfReader(r)
		case 2:
			r = iotest.OneByteReader(io.LimitReader(zeros{}, int64(min(sent, 3<<20))))
			sent = min(sent, 3<<20)
		}
		b := NewBudget(int64(limit), 0)
		var c Charge
		body, got, err := ReadBody(r, int(claim), b, &c)
		if b.Used() > b.Limit() {
			t.Fatalf("used %d of %d", b.Used(), b.Limit())
		}
		if held := c.Bytes(); held > (growFactor*int64(got)+readChunk)*9/8 {
			t.Fatalf("holds %d after %d bytes arrived", held, got)
		}
		switch {
		case err == nil:
			if len(body) != int(claim) || sent < claim {
				t.Fatalf("%d bytes for a claim of %d with %d sent", len(body), claim, sent)
			}
		case errors.Is(err, ErrBudget):
		case errors.Is(err, io.ErrUnexpectedEOF) || err == io.EOF:
			if got != int(min(sent, claim)) {
				t.Fatalf("got %d of %d sent", got, sent)
			}
		default:
			t.Fatalf("unexpected error: %v", err)
		}
		c.Release()
		if b.Held() != 0 {
			t.Fatalf("held %d after release", b.Held())
		}
	})
}

// Close ends a wait at once.
func TestBudgetClose(t *testing.T) {
	b := NewBudget(10, time.Minute)
	var held, c Charge
	held.Take(b, 10)
	go func() {
		time.Sleep(50 * time.Millisecond)
		b.Close()
	}()
	began := time.Now()
	if err := c.Take(b, 5); !errors.Is(err, ErrBudget) || time.Since(began) > 10*time.Second {
		t.Fatalf("take on a closed budget: %v after %v", err, time.Since(began))
	}
	held.Release()
	if b.Held() != 0 {
		t.Errorf("held %d", b.Held())
	}
}
