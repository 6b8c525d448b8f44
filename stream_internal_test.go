package pyro

import (
	"context"
	"iter"
	"testing"
	"time"
)

// lateStream returns its stream only after a while, so that it arrives after a forced Close.
type lateStream struct{}

func (lateStream) Numbers() iter.Seq[int] {
	time.Sleep(300 * time.Millisecond)
	return func(yield func(int) bool) {
		for i := 0; yield(i); i++ {
		}
	}
}

// TestNoStreamOutlivesShutdown: a stream returned by a call that finishes after a forced
// Close is stopped at once; none is kept and no linger timer is armed.
func TestNoStreamOutlivesShutdown(t *testing.T) {
	d, _ := NewDaemon(DaemonConfig{Host: "127.0.0.1"})
	ln, _ := d.Listen()
	go d.Serve(context.Background(), ln)
	uri, _ := d.Register(lateStream{})
	p, _ := NewProxyURI(uri)
	defer p.Close()
	go func() {
		for range p.Stream(context.Background(), "numbers") {
		}
	}()
	time.Sleep(100 * time.Millisecond)
	d.Close()
	time.Sleep(500 * time.Millisecond) // the call finishes and returns its stream
	d.streams.mu.Lock()
	defer d.streams.mu.Unlock()
	for id, s := range d.streams.byID {
		t.Errorf("stream %s kept after Close (linger timer armed: %v)", id, s.linger != nil)
	}
}
