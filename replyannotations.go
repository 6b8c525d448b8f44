package pyro

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/gopyro/pyro/internal/wire"
)

// replyAnnotations collects the annotations one reply will carry; a method may set them from
// any goroutine until the reply is written.
type replyAnnotations struct {
	mu   sync.Mutex
	anns []wire.Annotation
	size int
	sent bool
}

func (r *replyAnnotations) set(key string, value []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sent {
		return fmt.Errorf("%w: the reply was already sent", ErrNoReply)
	}
	value = bytes.Clone(value)
	for i := range r.anns {
		if r.anns[i].Key == key {
			if r.size-len(r.anns[i].Value)+len(value) > MaxAnnotationsSize {
				return fmt.Errorf("%w: response annotations would exceed %d bytes", ErrInvalidAnnotation, MaxAnnotationsSize)
			}
			r.size += len(value) - len(r.anns[i].Value)
			r.anns[i].Value = value
			return nil
		}
	}
	if r.size+6+len(value) > MaxAnnotationsSize {
		return fmt.Errorf("%w: response annotations would exceed %d bytes", ErrInvalidAnnotation, MaxAnnotationsSize)
	}
	r.size += 6 + len(value)
	r.anns = append(r.anns, wire.Annotation{Key: key, Value: value})
	return nil
}

// take returns the annotations set so far and refuses later ones.
func (r *replyAnnotations) take() []wire.Annotation {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = true
	return r.anns
}

// SetResponseAnnotation adds a custom annotation to the reply of the call ctx belongs to
// (ctx is a method's context, or one derived from it), or, in DaemonConfig.Handshake, to the
// handshake's answer: Pyro4's current_context.response_annotations. Setting a key again
// replaces its value. A oneway call has no reply: there it does nothing.
//
// Like Pyro4, the daemon keeps one set of response annotations per connection, which only a
// successful result empties: what the handshake hook sets goes out with the handshake answer
// and again with the first result; the reply to a call that fails carries only the daemon's
// annotations, and what that call set goes with the connection's next reply. Keys go out in
// the order they first entered the set, as a Python dict's: each reply adds what was set for
// it, the correlation id, then DaemonConfig.ResponseAnnotations.
//
// It returns ErrInvalidAnnotation for a bad or reserved key or too many bytes, and ErrNoReply
// when ctx belongs to no reply or the reply was sent.
func SetResponseAnnotation(ctx context.Context, key string, value []byte) error {
	if err := checkAnnotationKey(key); err != nil {
		return err
	}
	var r *replyAnnotations
	if ci, ok := CallInfoFrom(ctx); ok {
		if ci.Oneway {
			return nil
		}
		r = ci.reply
	} else {
		r, _ = ctx.Value(handshakeReplyKey{}).(*replyAnnotations)
	}
	if r == nil {
		return fmt.Errorf("%w: the context is not a call's or a handshake's", ErrNoReply)
	}
	return r.set(key, value)
}

// daemonAnnotations returns what DaemonConfig.ResponseAnnotations gives, in key order. Bad
// keys are logged and none are sent: the reply still goes.
func (c *serverConn) daemonAnnotations() []wire.Annotation {
	f := c.d.cfg.ResponseAnnotations
	if f == nil {
		return nil
	}
	a := f(c.ctx)
	if err := a.Check(); err != nil {
		c.log().Warn("pyro: DaemonConfig.ResponseAnnotations returned invalid annotations; none sent", "err", err)
		return nil
	}
	list := make([]wire.Annotation, 0, len(a))
	for _, k := range slices.Sorted(maps.Keys(a)) {
		list = append(list, wire.Annotation{Key: k, Value: a[k]})
	}
	return list
}

// setAnnotation sets key in an ordered annotation list as a Python dict does: a new key goes
// last, a known one keeps its place and takes the new value.
func setAnnotation(list []wire.Annotation, key string, value []byte) []wire.Annotation {
	for i := range list {
		if list[i].Key == key {
			list[i].Value = value
			return list
		}
	}
	return append(list, wire.Annotation{Key: key, Value: value})
}

// Pyro4 keeps a connection's response annotations in one dict (current_context's, per
// worker thread, and a thread serves one connection): what the handshake hook or a method
// adds, then the correlation id, then the daemon's annotations go in, every reply but an
// exception sends the whole dict, and only a successful result empties it. So what the
// handshake hook set goes out again with the first result, what a failing call set goes
// with the next reply, and the keys come in the order that dict has. serverConn.pending is
// that dict; only the serving goroutine touches it.

// annotateReply gives a handshake answer, a ping or a call's result its annotations, the
// way Pyro4 does (see above); result says the dict is emptied afterwards.
func (c *serverConn) annotateReply(m *wire.Message, set *replyAnnotations, corr []byte, result bool) {
	c.carry(set)
	if corr != nil {
		c.pending = setAnnotation(c.pending, wire.AnnCorrelation, corr)
	}
	for _, a := range c.daemonAnnotations() {
		c.pending = setAnnotation(c.pending, a.Key, a.Value)
	}
	if len(m.Annotations) == 0 {
		// The message is written before the next reply touches pending, so it can share it.
		m.Annotations = c.pending
	} else {
		m.Annotations = append(m.Annotations, c.pending...)
	}
	if result {
		c.pending = c.pending[:0:cap(c.pending)]
	}
}

// carry keeps what a call set for the connection's next reply: its own carries only the
// daemon's annotations (an exception, an item stream).
func (c *serverConn) carry(set *replyAnnotations) {
	for _, a := range set.take() {
		c.pending = setAnnotation(c.pending, a.Key, a.Value)
	}
}

// annotateException gives an exception reply the daemon's annotations, after those it has
// (an item stream's id), as Pyro4 does.
func (c *serverConn) annotateException(m *wire.Message) {
	for _, a := range c.daemonAnnotations() {
		m.SetAnnotation(a.Key, a.Value)
	}
}
