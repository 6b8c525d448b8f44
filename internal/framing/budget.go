package framing

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// ErrBudget is wrapped by the errors of a read that needed more of its Budget than it could
// get within the Budget's wait, or more than the whole Budget.
var ErrBudget = errors.New("memory budget exhausted")

// FreeSize is the frame size up to which a read takes nothing from a Budget: small calls
// are served even while large messages have used the budget up. What a connection can hold
// uncharged is bounded by the messages it may have in flight (one, plus its oneway calls).
const FreeSize = 16 << 10

// Budget bounds the bytes held by incoming messages (frame bodies and their inflation)
// across all the connections that read with it. A read takes from it before it allocates,
// waits up to the Budget's wait when it is used up, and fails with ErrBudget after that;
// the message gives its bytes back (Charge.Release) when it has been handled.
//
// Bytes given back are garbage until the garbage collector runs, and RSS follows what is
// allocated, collected or not: so they stay counted (as garbage) until a collection the
// Budget runs itself (collect) has freed them. It runs one at once when a read waits for
// bytes that garbage holds, and otherwise, at most once a second, after a quarter of the
// budget (at most 32 MiB) has become garbage or when no message holds anything any more;
// then a second collection lets the runtime's scavenger, which sets its goal from the
// heap the last collection found, return the pages to the operating system within seconds
// (an idle process would otherwise keep them for minutes). It does not force them back
// itself (debug.FreeOSMemory): the scavenger paces that.
//
// A nil *Budget takes nothing and never refuses.
type Budget struct {
	limit int64
	wait  time.Duration
	used  atomic.Int64 // taken, including garbage
	// garbage is the part of used given back and not yet freed by collect.
	garbage atomic.Int64

	mu     sync.Mutex
	freed  chan struct{} // closed when collect frees bytes while a read waits for them
	closed bool          // Close was called: reads no longer wait
	timer  *time.Timer   // a collection scheduled for later, if any

	gcEvery int64
	gcing   atomic.Bool  // a collection is scheduled or running
	lastGC  atomic.Int64 // when the last collection ended, in Unix nanoseconds
}

// NewBudget returns a Budget of limit bytes whose reads wait up to wait for bytes to come
// back before failing.
func NewBudget(limit int64, wait time.Duration) *Budget {
	return &Budget{limit: limit, wait: wait, gcEvery: max(min(limit/4, 32<<20), 1<<20)}
}

// Limit returns the budget's size in bytes (0 for a nil Budget).
func (b *Budget) Limit() int64 {
	if b == nil {
		return 0
	}
	return b.limit
}

// Used returns the bytes taken and not yet freed: held by messages, or garbage.
func (b *Budget) Used() int64 {
	if b == nil {
		return 0
	}
	return b.used.Load()
}

// Held returns the bytes messages hold: Used less the garbage not yet collected.
func (b *Budget) Held() int64 {
	if b == nil {
		return 0
	}
	return b.used.Load() - b.garbage.Load()
}

// acquire takes n bytes, waiting up to the budget's wait for them.
func (b *Budget) acquire(n int64) error {
	if b == nil || n <= 0 {
		return nil
	}
	if n > b.limit {
		return fmt.Errorf("%w: %d bytes needed, more than the whole budget of %d", ErrBudget, n, b.limit)
	}
	if b.tryAcquire(n) {
		return nil
	}
	var deadline <-chan time.Time
	for {
		b.mu.Lock()
		if b.freed == nil {
			b.freed = make(chan struct{})
		}
		freed, closed := b.freed, b.closed
		b.mu.Unlock()
		if closed {
			return fmt.Errorf("%w: %d more bytes needed, and the server is shutting down", ErrBudget, n)
		}
		// Checked again after taking the channel, so that a collection in between is not
		// missed.
		if b.tryAcquire(n) {
			return nil
		}
		if b.garbage.Load() > 0 {
			b.urge() // garbage holds what this read needs: free it now
		}
		if deadline == nil {
			wait := b.wait
			if b.garbage.Load() > 0 {
				wait = max(wait, gcWait) // freeing garbage is ours to do, whatever the wait
			}
			if wait <= 0 {
				break
			}
			t := time.NewTimer(wait)
			defer t.Stop()
			deadline = t.C
		}
		select {
		case <-freed:
			continue
		case <-deadline:
		}
		break // waited long enough
	}
	return fmt.Errorf("%w: %d more bytes needed, %d of %d in use after waiting %v", ErrBudget, n, b.used.Load(), b.limit, b.wait)
}

func (b *Budget) tryAcquire(n int64) bool {
	for {
		used := b.used.Load()
		if used+n > b.limit {
			return false
		}
		if b.used.CompareAndSwap(used, used+n) {
			return true
		}
	}
}

// release makes n taken bytes garbage, and has it collected when there is enough of it, or
// when nothing else is held.
func (b *Budget) release(n int64) {
	if b == nil || n <= 0 {
		return
	}
	g := b.garbage.Add(n)
	b.mu.Lock()
	waiting := b.freed != nil
	b.mu.Unlock()
	switch {
	case waiting:
		b.urge() // a read waits for what this frees
	case g >= b.gcEvery || g == b.used.Load() && g >= readChunk:
		if b.gcing.CompareAndSwap(false, true) {
			b.scheduleCollect()
		}
	}
}

// gcWait is the least a read waits for a collection to free garbage that holds what it
// needs.
const gcWait = time.Second

// gcInterval is the least time between two of a Budget's collections that no read waits
// for: a stream of large messages must not pay for collections beyond the runtime's.
const gcInterval = time.Second

// scheduleCollect runs collect now, or when gcInterval has passed since the last one. The
// caller has set gcing.
func (b *Budget) scheduleCollect() {
	if delay := time.Until(time.Unix(0, b.lastGC.Load()).Add(gcInterval)); delay > 0 {
		b.mu.Lock()
		b.timer = time.AfterFunc(delay, b.collect) // no goroutine waits meanwhile
		b.mu.Unlock()
		return
	}
	go b.collect()
}

// urge runs a collection now: a new one, or the one scheduled for later.
func (b *Budget) urge() {
	if b.gcing.CompareAndSwap(false, true) {
		go b.collect()
		return
	}
	b.mu.Lock()
	t := b.timer
	b.timer = nil
	b.mu.Unlock()
	if t != nil && t.Stop() { // stopped before it ran: ours to run
		go b.collect()
	}
}

// collect frees the garbage counted so far with a collection, wakes the reads waiting for
// bytes, and, when nothing is held any more, collects once more so that the scavenger's goal
// follows the heap without that garbage.
func (b *Budget) collect() {
	b.mu.Lock()
	b.timer = nil
	b.mu.Unlock()
	g := b.garbage.Load()
	runtime.GC()
	b.garbage.Add(-g)
	b.used.Add(-g)
	b.mu.Lock()
	if b.freed != nil {
		close(b.freed)
		b.freed = nil
	}
	b.mu.Unlock()
	if b.used.Load() == b.garbage.Load() {
		runtime.GC()
	}
	b.lastGC.Store(time.Now().UnixNano())
	if rest := b.garbage.Load(); rest >= b.gcEvery || rest > 0 && rest == b.used.Load() {
		b.scheduleCollect() // given back while collecting, and nothing may come back later
		return
	}
	b.gcing.Store(false)
}

// Close makes the reads waiting for bytes, and any that would wait later, fail at once (a
// server shutting down). What is taken can still be given back.
func (b *Budget) Close() {
	if b == nil {
		return
	}
	b.mu.Lock()
	b.closed = true
	if b.freed != nil {
		close(b.freed)
		b.freed = nil
	}
	b.mu.Unlock()
}

// Charge is what one message holds of a Budget. The zero Charge holds nothing.
type Charge struct {
	b *Budget
	n int64
}

// Bytes returns the bytes held.
func (c *Charge) Bytes() int64 { return c.n }

// Take adds n bytes from b to the charge, waiting as acquire does. A nil budget or charge
// takes nothing.
func (c *Charge) Take(b *Budget, n int64) error {
	if b == nil || c == nil {
		return nil
	}
	if err := b.acquire(n); err != nil {
		return err
	}
	c.b = b
	c.n += n
	return nil
}

// Give gives n of the held bytes back early (a buffer outgrown or inflated).
func (c *Charge) Give(n int64) {
	if c == nil || c.b == nil {
		return
	}
	n = min(n, c.n)
	c.b.release(n)
	c.n -= n
}

// Release gives the held bytes back; it may be called more than once.
func (c *Charge) Release() {
	if c.b != nil {
		c.b.release(c.n)
	}
	c.b, c.n = nil, 0
}
