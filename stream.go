package pyro

import (
	"context"
	"crypto/rand"
	"fmt"
	"iter"
	"reflect"
	"sync"
	"time"
)

// stream is a method result that is delivered item by item: Go iterators (iter.Seq,
// iter.Seq2 with an error) and channels. A Python client sees a generator.
type stream struct {
	mu       sync.Mutex // one get_next_stream_item at a time; next and stop run under it
	next     func(ctx context.Context) (any, bool, error)
	stop     func()
	stopOnce sync.Once
	created  time.Time
	owner    *serverConn // nil once the client disconnected
	linger   *time.Timer
	obs      DaemonObserver // the daemon's, told when the stream closes
}

// shut stops the stream's producer once. A puller may be blocked inside next (an iterator
// that does not yield), so the stop waits for it on a goroutine of its own rather than
// holding up the caller (Shutdown among them).
func (s *stream) shut() {
	if s.mu.TryLock() {
		s.stopOnce.Do(s.stop)
		s.mu.Unlock()
		return
	}
	go func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.stopOnce.Do(s.stop)
	}()
}

func newStream(kind streamKind, v reflect.Value) *stream {
	s := &stream{created: time.Now()}
	switch kind {
	case streamSeq:
		seq := func(yield func(any) bool) {
			v.Call([]reflect.Value{reflect.MakeFunc(v.Type().In(0), func(args []reflect.Value) []reflect.Value {
				return []reflect.Value{reflect.ValueOf(yield(args[0].Interface()))}
			})})
		}
		next, stop := iter.Pull(seq)
		s.next = func(context.Context) (any, bool, error) { item, ok := next(); return item, ok, nil }
		s.stop = stop
	case streamSeq2:
		seq := func(yield func(any, error) bool) {
			v.Call([]reflect.Value{reflect.MakeFunc(v.Type().In(0), func(args []reflect.Value) []reflect.Value {
				err, _ := args[1].Interface().(error)
				return []reflect.Value{reflect.ValueOf(yield(args[0].Interface(), err))}
			})})
		}
		next, stop := iter.Pull2(seq)
		s.next = func(context.Context) (any, bool, error) {
			item, err, ok := next()
			return item, ok, err
		}
		s.stop = stop
	case streamChan:
		s.next = func(ctx context.Context) (any, bool, error) {
			// A channel that never yields must not outlive the caller's connection.
			chosen, item, ok := reflect.Select([]reflect.SelectCase{
				{Dir: reflect.SelectRecv, Chan: v},
				{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ctx.Done())},
			})
			if chosen == 1 {
				return nil, false, ctx.Err()
			}
			if !ok {
				return nil, false, nil
			}
			return item.Interface(), true, nil
		}
		s.stop = func() {}
	}
	return s
}

// streamTable holds a daemon's open item streams by id.
type streamTable struct {
	mu       sync.Mutex
	byID     map[string]*stream
	closed   bool // after closeAll: no stream is kept, none lingers
	linger   time.Duration
	lifetime time.Duration
}

func (t *streamTable) init(linger, lifetime time.Duration) {
	t.byID = map[string]*stream{}
	t.linger, t.lifetime = linger, lifetime
}

// add keeps a stream for its owner and returns its id. After closeAll the stream is stopped
// at once: its id then names no stream, and the client's first pull says so. An owner with
// limit streams open already (limit 0 or more) gets an error and the stream is stopped.
func (t *streamTable) add(owner *serverConn, s *stream, limit int) (string, error) {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	id := fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
	s.owner = owner
	s.obs = owner.d.cfg.Observer
	t.mu.Lock()
	closed := t.closed
	full := limit >= 0 && owner.openStreams >= limit
	if !closed && !full {
		t.byID[id] = s
		owner.openStreams++
	}
	t.mu.Unlock()
	if full {
		s.shut()
		return "", NewError(classPyroError, "too many open item streams on this connection (%d): exhaust or close some first", limit)
	}
	if closed {
		s.shut()
	} else {
		s.observe(1)
	}
	return id, nil
}

func (t *streamTable) take(id string) *stream {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.byID[id]
}

func (t *streamTable) next(ctx context.Context, id string) (any, error) {
	s := t.take(id)
	if s == nil {
		return nil, NewError(classPyroError, "item stream terminated")
	}
	if t.lifetime > 0 && time.Since(s.created) > t.lifetime {
		t.close(id)
		return nil, NewError(classPyroError, "item stream terminated")
	}
	s.mu.Lock()
	item, ok, err := s.next(ctx)
	s.mu.Unlock()
	if err != nil || !ok {
		t.close(id)
		if err != nil {
			return nil, err
		}
		return nil, &RemoteError{Class: classStopIteration, Args: []any{}}
	}
	return item, nil
}

// close forgets a stream and stops it, without waiting for a puller blocked in it.
func (t *streamTable) close(id string) {
	t.mu.Lock()
	s := t.byID[id]
	delete(t.byID, id)
	if s != nil && s.owner != nil {
		s.owner.openStreams--
	}
	if s != nil && s.linger != nil {
		s.linger.Stop() // closed before its linger ran out (or at shutdown): no timer left behind
	}
	t.mu.Unlock()
	if s != nil {
		s.observe(-1)
		s.shut()
	}
}

// disconnected keeps a departed client's streams for the linger time, so a reconnecting
// proxy can go on pulling, then closes them.
func (t *streamTable) disconnected(c *serverConn) {
	t.mu.Lock()
	var ids []string
	for id, s := range t.byID {
		if s.owner == c {
			s.owner = nil
			c.openStreams--
			ids = append(ids, id)
		}
	}
	linger := t.linger
	if t.closed {
		linger = 0
	}
	for _, id := range ids {
		if linger > 0 {
			t.byID[id].linger = time.AfterFunc(linger, func() { t.closeOrphan(id) })
		}
	}
	t.mu.Unlock()
	if linger <= 0 {
		for _, id := range ids {
			t.close(id)
		}
	}
}

// closeOrphan closes a stream whose client did not come back within the linger time.
func (t *streamTable) closeOrphan(id string) {
	t.mu.Lock()
	s := t.byID[id]
	orphan := s != nil && s.owner == nil
	t.mu.Unlock()
	if orphan {
		t.close(id)
	}
}

// closeAll closes every stream and keeps none from now on (daemon shutdown).
func (t *streamTable) closeAll() {
	t.mu.Lock()
	t.closed = true
	ids := make([]string, 0, len(t.byID))
	for id := range t.byID {
		ids = append(ids, id)
	}
	t.mu.Unlock()
	for _, id := range ids {
		t.close(id)
	}
}
