package pyro

import (
	"time"

	"github.com/gopyro/pyro/internal/wire"
)

// The daemon's side of DaemonObserver: each hook below is one line at its call site in
// serverconn.go, and returns at once when the daemon has no observer.

// connEvent reports an event of the connection to the observer.
func (c *serverConn) connEvent(kind ConnEventKind, err error) {
	if o := c.d.cfg.Observer; o != nil {
		o.ConnEvent(ConnEvent{Kind: kind, Conn: c.info, Err: err})
	}
}

// handshakeEnded reports how the handshake went and returns ok: a CONNECTFAIL answering a
// CONNECT is a refusal, anything else that did not pass a failed handshake.
func (c *serverConn) handshakeEnded(ok bool) bool {
	switch {
	case c.d.cfg.Observer == nil:
	case ok:
		c.connEvent(ConnOpened, nil)
	case c.refused:
		c.connEvent(ConnRefused, c.failure)
	default:
		c.connEvent(ConnHandshakeFailed, c.failure)
	}
	return ok
}

// closedEvent reports the end of a connection that passed its handshake.
func (c *serverConn) closedEvent() { c.connEvent(ConnClosed, c.failure) }

// startCall begins observing the request s serves (to the object r, nil if unknown) and
// gives the call the observer's context.
func (c *serverConn) startCall(s *callScope, r *registration) {
	o := c.d.cfg.Observer
	if o == nil {
		return
	}
	ev := &c.callEv // reused: observers keep no event after CallEnd
	oneway := s.msg.Flags&wire.FlagOneway != 0
	if oneway {
		ev = new(CallEvent) // it ends on a goroutine of its own
	}
	object, method := c.observedNames(r, s.call.Object, s.call.Method)
	*ev = CallEvent{Conn: c.info, Object: object, Method: method, Serializer: s.codec.Name(),
		Oneway: oneway, BytesIn: len(s.msg.Data), Start: time.Now(), msg: s.msg}
	if corr, ok := s.msg.Annotation(wire.AnnCorrelation); ok && len(corr) == 16 {
		copy(ev.CorrelationID[:], corr)
	}
	if s.msg.Flags&wire.FlagBatch != 0 {
		ev.Method, ev.Batch = "<batch>", len(s.call.Args)
	}
	s.parent = o.CallStart(s.parent, ev)
	ev.msg = nil
	ev.ctx = s.parent
	c.call = ev
}

// observedNames returns the object id and method a call is observed under: as the client
// sent them when the daemon serves them (r is the object's registration), else UnknownName.
func (c *serverConn) observedNames(r *registration, object, method string) (string, string) {
	if r == nil {
		return UnknownName, UnknownName
	}
	switch method {
	case "__getattr__", "__setattr__":
		return object, method
	}
	if !isPrivate(method) {
		if _, ok := r.et.byProto[c.proto][method]; ok {
			return object, method
		}
		if _, ok := r.et.methods[method]; ok {
			return object, method
		}
	}
	return object, UnknownName
}

// callFailed records the call's exception (the first one, for a batch).
func (c *serverConn) callFailed(err error) {
	if c.call != nil && c.call.Err == nil {
		c.call.Err = err
	}
}

// streamResult records that the call's result is an item stream.
func (c *serverConn) streamResult() {
	if c.call != nil {
		c.call.Stream = true
	}
}

// endCall ends the observed call once its reply is written; it passes keep through.
func (c *serverConn) endCall(keep bool) bool {
	if ev := c.call; ev != nil {
		c.call = nil
		c.d.cfg.Observer.CallEnd(ev.ctx, ev)
	}
	return keep
}

// detachCall hands the observed call to a oneway call's goroutine, which ends it
// (endDetached) when the method returns.
func (c *serverConn) detachCall() *CallEvent {
	ev := c.call
	c.call = nil
	return ev
}

func (c *serverConn) endDetached(ev *CallEvent, err error) {
	if ev != nil {
		ev.Err = err
		c.d.cfg.Observer.CallEnd(ev.ctx, ev)
	}
}

// observe reports the stream opening (1) or closing (-1) to the daemon's observer.
func (s *stream) observe(delta int) {
	if s.obs != nil {
		s.obs.StreamEvent(delta)
	}
}
