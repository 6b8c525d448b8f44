package pyro

import (
	"context"
	"time"

	"github.com/gopyro/pyro/internal/wire"
)

// DaemonObserver watches a daemon: its connections, calls and item streams. It is the seam
// metrics, traces and logs plug into (packages observe/prom, observe/tracing, and
// SlogObserver here), so that the root package links none of them. Set it in
// DaemonConfig.Observer; a daemon without one pays nothing. Combine several with
// JoinDaemonObservers.
//
// The methods run on the connection's goroutine (a oneway call's CallEnd on the call's own)
// and must be safe for concurrent use; they should be quick, as the call waits for them.
type DaemonObserver interface {
	// ConnEvent reports a connection accepted, its handshake passed, refused or failed, and a
	// connection that passed its handshake closing.
	ConnEvent(ev ConnEvent)
	// CallStart is called when a request has been decoded, before the method runs. The
	// context it returns becomes the call's (the one a method taking a context receives, and
	// so the parent of the calls it makes); return ctx itself to leave it.
	CallStart(ctx context.Context, ev *CallEvent) context.Context
	// CallEnd is called with the context CallStart returned once the reply is written (a
	// oneway call's when the method returns). The daemon reuses ev afterwards: keep no
	// pointer to it.
	CallEnd(ctx context.Context, ev *CallEvent)
	// StreamEvent reports an item stream opened (delta 1) or closed (delta -1).
	StreamEvent(delta int)
}

// ConnEventKind says what happened to a connection.
type ConnEventKind int

const (
	// ConnAccepted: the daemon took a new connection (before its handshake).
	ConnAccepted ConnEventKind = iota
	// ConnOpened: the handshake passed; the connection serves calls.
	ConnOpened
	// ConnRefused: the daemon answered the handshake with CONNECTFAIL (a rejecting
	// Handshake hook, a serializer not accepted, an unknown object, ...).
	ConnRefused
	// ConnHandshakeFailed: no valid handshake arrived (not Pyro, a bad checksum or HMAC, a
	// timeout, or the client hung up).
	ConnHandshakeFailed
	// ConnClosed: a connection that had passed its handshake ended.
	ConnClosed
)

var connEventNames = [...]string{"accepted", "opened", "refused", "handshake_failed", "closed"}

// String returns the kind's name: accepted, opened, refused, handshake_failed, closed.
func (k ConnEventKind) String() string {
	if k >= 0 && int(k) < len(connEventNames) {
		return connEventNames[k]
	}
	return "unknown"
}

// ConnEvent is one event of a connection's life.
type ConnEvent struct {
	Kind ConnEventKind
	// Conn is the connection's (read-only) information: addresses, protocol, handshake data.
	Conn *ConnInfo
	// Err says why the connection was refused, failed its handshake or was dropped (nil for
	// a plain hang-up).
	Err error
}

// UnknownName stands in a CallEvent for an object id or method name the daemon does not
// serve: names come from the client, and an observer labelling series or spans by them
// would otherwise let any client make it hold as many as it likes.
const UnknownName = "<unknown>"

// CallEvent describes one request a daemon serves: a call, a batch of calls or an
// attribute access. CallStart gets it filled but for the outcome, CallEnd complete.
type CallEvent struct {
	// Conn is the connection's information (address, protocol).
	Conn *ConnInfo
	// Object and Method name the call; a batch's Method is "<batch>". Either is UnknownName
	// when the daemon does not serve it.
	Object, Method string
	// Serializer is the name of the request's codec.
	Serializer string
	// CorrelationID is the request's correlation id (Pyro's CORR annotation; zero when a
	// Pyro4 client sent none).
	CorrelationID [16]byte
	// Oneway says no reply is written.
	Oneway bool
	// Batch is the number of calls in a batch request, 0 for a single call.
	Batch int
	// Stream says the result was an item stream.
	Stream bool
	// BytesIn and BytesOut are the payload sizes of the request and of its reply (0 for a
	// oneway call), after decompression.
	BytesIn, BytesOut int
	// Start is when the request was decoded.
	Start time.Time
	// Err is the exception the call raised (for a batch, the first failing call's); nil when
	// it succeeded. ExceptionClass names its Python class.
	Err error

	msg *wire.Message   // valid during CallStart only
	ctx context.Context // what CallStart returned, for CallEnd
}

// Annotation returns one of the request's annotations (Pyro's own and custom ones). It may
// only be called during CallStart: the request's buffer is reused afterwards.
func (e *CallEvent) Annotation(key string) ([]byte, bool) {
	if e.msg == nil {
		return nil, false
	}
	return e.msg.Annotation(key)
}

// ExceptionClass is the Python class of a call's error: a remote exception's or a raised
// *Error's own (for example "builtins.ValueError" or "Pyro4.errors.DaemonError"), and for
// a proxy's local failures the matching Pyro4 error class ("Pyro4.errors.CommunicationError",
// "Pyro4.errors.ConnectionClosedError", ...); "" for nil.
func ExceptionClass(err error) string {
	if err == nil {
		return ""
	}
	return errorClass(err)
}

// JoinDaemonObservers returns an observer calling each of obs in order (CallEnd in reverse,
// so that they nest); nil ones are skipped, and nil is returned when none is left.
func JoinDaemonObservers(obs ...DaemonObserver) DaemonObserver {
	var j joinedDaemon
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

type joinedDaemon []DaemonObserver

func (j joinedDaemon) ConnEvent(ev ConnEvent) {
	for _, o := range j {
		o.ConnEvent(ev)
	}
}

func (j joinedDaemon) CallStart(ctx context.Context, ev *CallEvent) context.Context {
	for _, o := range j {
		ctx = o.CallStart(ctx, ev)
	}
	return ctx
}

func (j joinedDaemon) CallEnd(ctx context.Context, ev *CallEvent) {
	for i := len(j) - 1; i >= 0; i-- {
		j[i].CallEnd(ctx, ev)
	}
}

func (j joinedDaemon) StreamEvent(delta int) {
	for _, o := range j {
		o.StreamEvent(delta)
	}
}
