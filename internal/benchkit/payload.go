package benchkit

import (
	"context"
	"fmt"
	"sync"

	"github.com/gopyro/pyro"
)

// PayloadID is the id the payload object is registered under on the benchmark daemons.
const PayloadID = "bench.payload"

// Payload is the remote object of the payload benchmarks, as Pyro4's hugetransfer example:
// Blob(n) returns n bytes (a bytes result), Put(data) returns len(data) (a bytes argument).
// Its methods are safe for concurrent calls.
type Payload struct {
	mu   sync.Mutex
	blob []byte // never written once made: calls share it read-only
}

// Blob returns n bytes; the same backing array every time, so the daemon's own work is
// the call's, not the making of the value.
func (p *Payload) Blob(n int) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n > len(p.blob) {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i)
		}
		p.blob = b
	}
	return p.blob[:n]
}

// Put returns the length of data.
func (*Payload) Put(data []byte) int { return len(data) }

// Direction says which way a payload travels.
type Direction int

// The directions of a payload benchmark.
const (
	Result   Direction = iota // the daemon returns the bytes
	Argument                  // the proxy sends the bytes
)

func (d Direction) String() string {
	if d == Argument {
		return "argument"
	}
	return "result"
}

// PayloadCaller is a Caller moving size bytes through p, as a result or as an argument, and
// checking the length that arrived. The proxy must point at a Payload object.
func PayloadCaller(p *pyro.Proxy, dir Direction, size int) Caller {
	if dir == Argument {
		data := make([]byte, size)
		return func(ctx context.Context) error {
			var n int
			if err := p.Call(ctx, "put", &n, data); err != nil {
				return err
			}
			if n != size {
				return fmt.Errorf("put received %d bytes, sent %d", n, size)
			}
			return nil
		}
	}
	return func(ctx context.Context) error {
		var out []byte
		if err := p.Call(ctx, "blob", &out, size); err != nil {
			return err
		}
		if len(out) != size {
			return fmt.Errorf("blob returned %d bytes, want %d", len(out), size)
		}
		return nil
	}
}

// PayloadSizes are the raw ping-pong sizes matching a payload call of size bytes: the
// payload one way, a small frame the other (the small side is a typical call frame).
func PayloadSizes(dir Direction, size int) Sizes {
	const small = 100
	if dir == Argument {
		return Sizes{Request: size + small, Response: small}
	}
	return Sizes{Request: small, Response: size + small}
}
