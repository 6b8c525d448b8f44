package pyro_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/pyrotest"
)

type filler struct{}

// Fill returns n bytes of b: each call's result is its own pattern.
func (filler) Fill(b, n int) []byte { return bytes.Repeat([]byte{byte(b)}, n) }

// Check reports whether data is n bytes of b.
func (filler) Check(data []byte, b, n int) bool { return len(data) == n && allByte(data, byte(b)) }

// Large results and requests are encoded into buffers reused across calls, and their large
// bytes values written from the method's or the caller's memory (largebuf.go, spliceMin):
// concurrent calls on several connections must each get, and send, their own bytes, in every
// codec that carries bytes and in both protocols (check's arguments follow the bytes, so a
// splice sits inside the encoding).
func TestLargePayloadsReuseBuffersSafely(t *testing.T) {
	uri := pyrotest.Serve(t, filler{})
	for _, tc := range []struct {
		ser   string
		proto pyro.WireProtocol
	}{{"msgpack", pyro.Pyro4}, {"marshal", pyro.Pyro4}, {"serpent", pyro.Pyro4}, {"msgpack", pyro.Pyro5}, {"marshal", pyro.Pyro5}} {
		ser := tc.ser
		t.Run(fmt.Sprint(ser, "/", tc.proto), func(t *testing.T) {
			p := pyrotest.NewProxy(t, uri, pyro.WithSerializer(ser), pyro.WithProtocol(tc.proto))
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for g := range 8 {
				wg.Go(func() {
					for i := range 4 {
						b, n := (g*10+i)%256, 4<<20+g*1000+i
						var out []byte
						if err := p.Call(context.Background(), "fill", &out, b, n); err != nil {
							errs <- err
							return
						}
						if len(out) != n || !allByte(out, byte(b)) {
							errs <- fmt.Errorf("call %d/%d: %d bytes, not %d bytes of %d", g, i, len(out), n, b)
							return
						}
						var ok bool
						if err := p.Call(context.Background(), "check", &ok, out, b, n); err != nil || !ok {
							errs <- fmt.Errorf("call %d/%d: the daemon did not receive %d bytes of %d (%v)", g, i, n, b, err)
							return
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
}

func allByte(b []byte, c byte) bool {
	for _, x := range b {
		if x != c {
			return false
		}
	}
	return true
}
