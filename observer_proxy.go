package pyro

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/gopyro/pyro/internal/wire"
	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

// ProxyObserver watches a proxy's calls, dials and waits for a pooled connection: the
// client's side of the seam DaemonObserver is on the daemon's. Set it in
// ProxyConfig.Observer (WithObserver); it travels with the configuration, so the name server
// lookups a PYRONAME proxy makes are observed too. A proxy without one pays nothing.
// The methods run on the caller's goroutine and must be safe for concurrent use.
type ProxyObserver interface {
	// CallStart is called before a call takes a connection. It may set ev.Annotations (a
	// tracer's context) and returns the call's context; return ctx itself to leave it.
	CallStart(ctx context.Context, ev *ProxyCallEvent) context.Context
	// CallEnd is called with CallStart's context when the call returns. The proxy reuses ev
	// afterwards: keep no pointer to it.
	CallEnd(ctx context.Context, ev *ProxyCallEvent)
	// Dialed reports a new connection made (or not): dial and handshake.
	Dialed(ev DialEvent)
	// PoolWaited reports a call that found every connection of the proxy in use and waited
	// this long for one (MaxConns).
	PoolWaited(target string, waited time.Duration)
}

// ProxyCallEvent describes one call a proxy makes (a batch, an attribute access and a
// stream's item pull are one each).
type ProxyCallEvent struct {
	// Target is the proxy's URI as given (PYRO, PYRONAME or PYROMETA).
	Target string
	// Object and Method name the call; Object is known once the request is made (empty if it
	// failed before), a batch's Method is "<batch>".
	Object, Method string
	// Serializer and Protocol are what the request went out in (empty and 0 if it did not).
	Serializer string
	Protocol   WireProtocol
	// Oneway says no reply was awaited.
	Oneway bool
	// Batch is the number of calls in a batch, 0 for a single call.
	Batch int
	// BytesOut and BytesIn are the payload sizes of the request and of its reply.
	BytesOut, BytesIn int
	// Start is when the call began.
	Start time.Time
	// Err is what the call returned: a *RemoteError for a remote exception (ExceptionClass
	// names it), or a communication failure.
	Err error
	// Annotations, set by CallStart, go with the request over the proxy's own: how a tracer
	// carries its span context (observe/tracing uses "TRAC").
	Annotations Annotations
}

// DialEvent reports a connection a proxy opened, handshake included, or failed to.
type DialEvent struct {
	// Target is the proxy's URI as given; Address where it dialed (host:port or socket).
	Target, Address string
	// Protocol is the wire protocol the connection speaks (when Err is nil).
	Protocol WireProtocol
	// Duration covers dial and handshake (both protocols' with AutoProtocol's retry).
	Duration time.Duration
	// Err is why no connection was made, nil on success.
	Err error
}

// WithObserver sets the proxy's observer (see ProxyConfig.Observer).
func WithObserver(o ProxyObserver) ProxyOption {
	return func(po *proxyOptions) { po.set(func(c *ProxyConfig) { c.Observer = o }) }
}

// initObserver prepares an observed proxy: its target label and the pool's wait hook.
func (p *Proxy) initObserver() {
	o := p.cfg.Observer
	if o == nil {
		return
	}
	p.target = p.uri.String()
	p.pool.waited = func(d time.Duration) { o.PoolWaited(p.target, d) }
}

// invoke performs one call, observed when the proxy has an observer (invokeObserved).
func (p *Proxy) invoke(ctx context.Context, objectID, method string, args []any, kwargs *pyval.Dict, flags uint16) (reply, error) {
	o := p.cfg.Observer
	if o == nil {
		return p.invokeObserved(ctx, nil, objectID, method, args, kwargs, flags)
	}
	ev := proxyEvents.Get().(*ProxyCallEvent)
	*ev = ProxyCallEvent{Target: p.target, Object: objectID, Method: method, Start: time.Now()}
	if flags&wire.FlagBatch != 0 {
		ev.Batch = len(args)
	}
	ctx = o.CallStart(ctx, ev)
	r, err := p.invokeObserved(ctx, ev, objectID, method, args, kwargs, flags)
	ev.Err = err
	o.CallEnd(ctx, ev)
	*ev = ProxyCallEvent{}
	proxyEvents.Put(ev)
	return r, err
}

// proxyEvents recycles the events of observed calls.
var proxyEvents = sync.Pool{New: func() any { return new(ProxyCallEvent) }}

// sent records the request going out and adds the observer's annotations to it.
func (ev *ProxyCallEvent) sent(proto WireProtocol, codec serializer.Codec, objectID string, req *wire.Message) {
	if ev == nil {
		return
	}
	ev.Object, ev.Protocol, ev.Serializer, ev.BytesOut = objectID, proto, codec.Name(), len(req.Data)+req.Splice.Len()
	ev.Oneway = req.Flags&wire.FlagOneway != 0
	appendAnnotations(req, ev.Annotations)
}

// received records the reply (nil for a oneway call).
func (ev *ProxyCallEvent) received(m *wire.Message) {
	if ev != nil && m != nil {
		ev.BytesIn = len(m.Data)
	}
}

// dialStart is the start of a dial, when someone observes it.
func (p *Proxy) dialStart() time.Time {
	if p.cfg.Observer == nil {
		return time.Time{}
	}
	return time.Now()
}

// dialEnd reports a dial to the observer.
func (p *Proxy) dialEnd(start time.Time, u URI, err error) {
	if o := p.cfg.Observer; o != nil {
		o.Dialed(DialEvent{Target: p.target, Address: u.Location(), Protocol: WireProtocol(p.used.Load()),
			Duration: time.Since(start), Err: err})
	}
}

// errorClass names the Python class of an error a proxy call returned: a remote exception's
// own, or the Pyro4 error class of a local failure.
func errorClass(err error) string {
	var re *RemoteError
	var pe *Error
	switch {
	case errors.As(err, &re), errors.As(err, &pe):
		return exceptionClass(err)
	case errors.Is(err, ErrConnectionClosed):
		return "Pyro4.errors.ConnectionClosedError"
	case errors.Is(err, ErrSecurity):
		return classSecurityError
	case errors.Is(err, ErrProtocol):
		return classProtocolError
	case errors.Is(err, ErrCommunication):
		return "Pyro4.errors.CommunicationError"
	case errors.Is(err, ErrNaming):
		return "Pyro4.errors.NamingError"
	case errors.Is(err, context.DeadlineExceeded):
		return "Pyro4.errors.TimeoutError"
	}
	return classException
}

// JoinProxyObservers returns an observer calling each of obs in order (CallEnd in reverse,
// so that they nest); nil ones are skipped, and nil is returned when none is left.
func JoinProxyObservers(obs ...ProxyObserver) ProxyObserver {
	var j joinedProxy
	for _, o := range obs {
		if o != nil {
			j = append(j, o)
		}
	}
	switch len(j) {
	case 0:
		return nil
	case 1:
		return j[0]
	}
	return j
}

type joinedProxy []ProxyObserver

func (j joinedProxy) CallStart(ctx context.Context, ev *ProxyCallEvent) context.Context {
	for _, o := range j {
		ctx = o.CallStart(ctx, ev)
	}
	return ctx
}

func (j joinedProxy) CallEnd(ctx context.Context, ev *ProxyCallEvent) {
	for i := len(j) - 1; i >= 0; i-- {
		j[i].CallEnd(ctx, ev)
	}
}

func (j joinedProxy) Dialed(ev DialEvent) {
	for _, o := range j {
		o.Dialed(ev)
	}
}

func (j joinedProxy) PoolWaited(target string, waited time.Duration) {
	for _, o := range j {
		o.PoolWaited(target, waited)
	}
}
