package pyro

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// connPool holds a proxy's idle connections and bounds those in use. Each connection serves
// one call at a time (Pyro's protocol is lock-step), so concurrency comes from the pool.
type connPool struct {
	maxIdle int
	slots   chan struct{}       // one per connection in use; nil: no limit
	done    chan struct{}       // closed by close: wakes callers waiting for a slot
	waited  func(time.Duration) // the observer's, told how long a caller waited for a slot

	mu     sync.Mutex
	idle   []*clientConn
	closed bool
}

func newConnPool(maxConns, maxIdle int) *connPool {
	pl := &connPool{maxIdle: max(maxIdle, 0), done: make(chan struct{})}
	if maxConns > 0 {
		pl.slots = make(chan struct{}, maxConns)
	}
	return pl
}

// acquire waits for a free slot, within ctx and until the pool is closed. Every successful
// acquire is matched by one put, discard or freeSlot.
func (pl *connPool) acquire(ctx context.Context) error {
	if pl.slots == nil {
		return nil
	}
	select {
	case pl.slots <- struct{}{}:
		return nil
	default:
		if pl.waited != nil { // observed: time the wait
			defer func(start time.Time) { pl.waited(time.Since(start)) }(time.Now())
		}
	}
	select {
	case pl.slots <- struct{}{}:
		return nil
	case <-pl.done:
		return ErrProxyClosed
	case <-ctx.Done():
		return fmt.Errorf("%w: waiting for a free connection: %w", ErrCommunication, ctx.Err())
	}
}

func (pl *connPool) freeSlot() {
	if pl.slots != nil {
		<-pl.slots
	}
}

// takeIdle returns an idle connection, or nil when there is none.
func (pl *connPool) takeIdle() (*clientConn, error) {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	if pl.closed {
		return nil, ErrProxyClosed
	}
	n := len(pl.idle)
	if n == 0 {
		return nil, nil
	}
	c := pl.idle[n-1]
	pl.idle = pl.idle[:n-1]
	return c, nil
}

// put returns a healthy connection and frees its slot.
func (pl *connPool) put(c *clientConn) {
	pl.mu.Lock()
	if pl.closed || len(pl.idle) >= pl.maxIdle {
		pl.mu.Unlock()
		c.close()
	} else {
		pl.idle = append(pl.idle, c)
		pl.mu.Unlock()
	}
	pl.freeSlot()
}

// discard closes a connection whose state is unknown and frees its slot.
func (pl *connPool) discard(c *clientConn) {
	c.close()
	pl.freeSlot()
}

// closeIdle closes the idle connections; the pool stays usable.
func (pl *connPool) closeIdle() {
	pl.mu.Lock()
	idle := pl.idle
	pl.idle = nil
	pl.mu.Unlock()
	for _, c := range idle {
		c.close()
	}
}

// close closes the idle connections, wakes waiting callers and refuses new ones; connections
// in use are closed when they come back.
func (pl *connPool) close() {
	pl.mu.Lock()
	if !pl.closed {
		pl.closed = true
		close(pl.done)
	}
	pl.mu.Unlock()
	pl.closeIdle()
}
