package pyro

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"reflect"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/gopyro/pyro/internal/framing"
	"github.com/gopyro/pyro/internal/wire"
	"github.com/gopyro/pyro/internal/wire5"
	"github.com/gopyro/pyro/internal/wiresniff"
	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

// CallInfo describes the call a method is serving; methods whose first parameter is a
// context.Context get it through CallInfoFrom.
type CallInfo struct {
	// RemoteAddr is the client's address.
	RemoteAddr net.Addr
	// ObjectID and Method name the call.
	ObjectID, Method string
	// CorrelationID is the request's CORR annotation (16 bytes), or a fresh one.
	CorrelationID []byte
	// Serializer is the name of the codec the client used.
	Serializer string
	// Oneway says the client does not wait for the result.
	Oneway bool
	// Annotations are the request's custom annotations (nil when it has none): Pyro4's
	// current_context.annotations without Pyro's own. Do not modify them.
	Annotations Annotations

	reply *replyAnnotations // what SetResponseAnnotation adds to the reply; nil for oneway
}

type callInfoKey struct{}

// CallInfoFrom returns the CallInfo of the call ctx belongs to.
func CallInfoFrom(ctx context.Context) (*CallInfo, bool) {
	ci, ok := ctx.Value(callInfoKey{}).(*CallInfo)
	return ci, ok
}

// serverConn is one client connection: one goroutine reads a request, runs it and writes the
// reply, as Pyro's protocol is lock-step per connection. Oneway calls run on their own.
//
// The connection speaks the protocol its first bytes announce (proto): Pyro4 frames go through
// internal/wire as they are; Pyro5 frames through internal/wire5, translated at the edge into
// Pyro4's numbering (protocol.go), so that everything between reading a request and writing
// its reply is the same for both. What still differs is asked of proto where a reply is made:
// the handshake's metadata, exception texts, and the class names in values (pyro5values.go).
type serverConn struct {
	d      *Daemon
	nc     net.Conn
	br     *bufio.Reader
	proto  WireProtocol    // Pyro4 until the first bytes say Pyro5
	ctx    context.Context // carries info; cancelled when the connection ends
	cancel context.CancelFunc
	info   *ConnInfo
	// detached carries info but only ends with the daemon: oneway calls (which outlive their
	// connection) and OnDisconnect get it.
	detached context.Context

	mu       sync.Mutex
	busy     bool // a request has been read and its reply is not yet written
	closed   bool
	sessions map[*registration]reflect.Value
	failure  error // why the client's connection was dropped, when it broke the protocol
	writeMu  sync.Mutex

	// Fresh correlation ids for replies to requests without one: a random per-connection
	// prefix and a counter, so no reply costs a crypto/rand read.
	corrPrefix [8]byte
	corrCount  uint64
	corrBuf    [16]byte // the id of the reply being written; used by the serving goroutine only

	pending []wire.Annotation // Pyro4's per-connection response annotations (replyannotations.go)

	// oneway bounds the connection's oneway calls running at once (Limits.MaxOnewayPerConn);
	// made on the first one, by the serving goroutine.
	oneway chan struct{}
	// openStreams counts the item streams the connection has open; guarded by the daemon's
	// stream table lock.
	openStreams int

	// corr5 is the correlation id of the Pyro5 request being served: every Pyro5 reply
	// carries it in its header, exceptions too. Used by the serving goroutine only.
	corr5 []byte
	// linger says the connection ends after an error reply (Pyro5's way) and closes
	// gracefully (lingerClose). Set by the serving goroutine only.
	linger bool

	deny    bool        // beyond Limits.MaxConnections: the handshake is answered with denyReason
	refused bool        // the handshake was answered with CONNECTFAIL (serverconn_observe.go)
	call    *CallEvent  // the call being observed; nil without DaemonConfig.Observer
	callEv  CallEvent   // what call points to, but for oneway calls
	meter   decodeMeter // charges the request being decoded (decodemeter.go)
}

func newServerConn(d *Daemon, nc net.Conn) *serverConn {
	nc = d.tlsServer(nc)
	c := &serverConn{d: d, nc: nc, br: bufio.NewReaderSize(nc, 16<<10), proto: Pyro4,
		info: &ConnInfo{RemoteAddr: nc.RemoteAddr(), LocalAddr: nc.LocalAddr(), Protocol: Pyro4}}
	c.ctx, c.cancel = context.WithCancel(context.WithValue(d.baseCtx, connInfoKey{}, c.info))
	c.detached = context.WithValue(d.baseCtx, connInfoKey{}, c.info)
	rand.Read(c.corrPrefix[:])
	return c
}

// closeIfIdle closes the connection unless a call is in flight, in which case the serving
// goroutine closes it after writing the reply.
func (c *serverConn) closeIfIdle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	if !c.busy {
		c.nc.Close()
	}
}

// beginRequest marks the connection busy; it reports false when the daemon is shutting down
// and the request must be dropped.
func (c *serverConn) beginRequest() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.busy = true
	return true
}

func (c *serverConn) endRequest() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.busy = false
	return !c.closed
}

// sessionInstance returns the connection's instance of a Session registration, making it
// on first use. Only the serving goroutine calls it (oneway calls get their receiver before
// they start), so the factory runs without a lock held.
func (c *serverConn) sessionInstance(r *registration, s *callScope) (reflect.Value, error) {
	c.mu.Lock()
	inst, ok := c.sessions[r]
	c.mu.Unlock()
	if ok {
		return inst, nil
	}
	// The instance lives as long as the connection: so does its factory's context.
	inst, err := r.newInstance(c.log(), func() context.Context { return context.WithValue(c.ctx, callInfoKey{}, s.info()) })
	if err != nil {
		return reflect.Value{}, err
	}
	c.mu.Lock()
	if c.sessions == nil {
		c.sessions = map[*registration]reflect.Value{}
	}
	c.sessions[r] = inst
	c.mu.Unlock()
	return inst, nil
}

// forceClose closes the connection even with a call in flight: its reply can no longer be
// written, whatever the call does next.
func (c *serverConn) forceClose() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	c.nc.Close()
}

func (c *serverConn) log() *slog.Logger { return c.d.cfg.Logger }

func (c *serverConn) serve() {
	defer c.d.wg.Done()
	defer c.d.forget(c)
	defer c.cancel()
	defer c.nc.Close()
	defer c.d.streams.disconnected(c)
	c.connEvent(ConnAccepted, nil)
	if !c.handshakeEnded(c.handshake()) {
		return
	}
	defer c.closedEvent()
	defer c.disconnected()
	for {
		msg, err := c.read(c.d.cfg.CommTimeout)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				c.failure = readFailure(err)
				c.logReadFailure(err)
			}
			return
		}
		if !c.beginRequest() {
			msg.Held.Release()
			return
		}
		keep := c.handle(msg)
		msg.Held.Release() // a oneway call took its own (invoke)
		if !c.endRequest() || !keep {
			if c.linger {
				c.lingerClose()
			}
			return
		}
	}
}

// lingerTime bounds how long lingerClose reads what the client sent after the reply it
// closes on.
const lingerTime = 250 * time.Millisecond

// lingerClose closes a connection right after a reply without resetting it: it sends the
// end of the stream first and reads away what the client sent meanwhile (its next request,
// lock-step), so the client reads the reply and then the end of the stream, as from a Pyro5
// daemon, never a reset that could discard the reply.
func (c *serverConn) lingerClose() {
	if cw, ok := c.nc.(interface{ CloseWrite() error }); ok && cw.CloseWrite() == nil {
		c.nc.SetReadDeadline(time.Now().Add(lingerTime))
		io.Copy(io.Discard, io.LimitReader(c.br, 1<<20))
	}
	c.nc.Close()
}

// read reads one message, giving up after timeout (0: no limit).
func (c *serverConn) read(timeout time.Duration) (*wire.Message, error) {
	if timeout > 0 {
		c.nc.SetReadDeadline(time.Now().Add(timeout))
	}
	return c.readMsg()
}

// readMsg reads one message in the connection's protocol; a Pyro5 frame comes translated into
// Pyro4's numbering, with its correlation id (the client's, or a fresh one, as a Pyro5 daemon
// makes) as the CORR annotation.
func (c *serverConn) readMsg() (*wire.Message, error) {
	if c.proto != Pyro5 {
		return wire.Read(c.br, &c.d.wcfg)
	}
	m5, err := wire5.Read(c.br, &c.d.w5cfg)
	if err != nil {
		return nil, err
	}
	m := fromWire5(m5, c.newCorrelationID)
	c.corr5, _ = m.Annotation(wire.AnnCorrelation)
	return m, nil
}

func (c *serverConn) write(m *wire.Message) error {
	if c.call != nil {
		c.call.BytesOut = len(m.Data) + m.Splice.Len()
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if t := c.d.cfg.CommTimeout; t > 0 {
		c.nc.SetWriteDeadline(time.Now().Add(t))
	}
	if c.proto == Pyro5 {
		var m5 wire5.Message
		toWire5(&m5, m, c.corr5)
		return wire5.Write(c.nc, &m5, &c.d.w5cfg)
	}
	return wire.Write(c.nc, m, &c.d.wcfg)
}

// sniff reads (without consuming) the first bytes of the connection and switches it to Pyro5
// when they say so. Anything else, including a failure to read them, is left to the Pyro4
// reader, which answers and fails as it always has.
func (c *serverConn) sniff() {
	if p, err := wiresniff.Detect(c.br); err == nil && p == wiresniff.Pyro5 {
		c.proto = Pyro5
		c.info.Protocol = Pyro5
	}
}

// marshal encodes a reply's value in the connection's protocol: for Pyro5, the class-dicts
// of Pyro's own classes in Pyro5's spelling.
func (c *serverConn) marshal(codec serializer.Codec, v any) ([]byte, error) {
	return c.marshalInto(nil, codec, v)
}

// marshalInto is marshal into dst (serializer.AppendMarshal), a reused buffer or nil.
func (c *serverConn) marshalInto(dst []byte, codec serializer.Codec, v any) ([]byte, error) {
	out, _, err := c.marshalSplice(dst, codec, v, 0)
	return out, err
}

// marshalSplice is marshalInto leaving a bytes value of min bytes or more out
// (serializer.Splice), to be written from the method's own memory.
func (c *serverConn) marshalSplice(dst []byte, codec serializer.Codec, v any, min int) ([]byte, serializer.Splice, error) {
	if c.proto == Pyro5 {
		var err error
		if v, err = toPyro5Values(v); err != nil {
			return nil, serializer.Splice{}, err
		}
	}
	if min <= 0 {
		out, err := serializer.AppendMarshal(codec, dst, v)
		return out, serializer.Splice{}, err
	}
	return serializer.AppendMarshalSplice(codec, dst, v, min)
}

// connError classifies a read failure the way a proxy's errors are: ErrSecurity, ErrProtocol,
// or ErrCommunication.
func connError(err error) error {
	switch {
	case errors.Is(err, wire.ErrSecurity):
		return fmt.Errorf("%w: %w", ErrSecurity, err)
	case isProtocolError(err):
		return fmt.Errorf("%w: %w", ErrProtocol, err)
	}
	return fmt.Errorf("%w: %w", ErrCommunication, err)
}

// connectFail refuses the handshake with a reason, in the request's codec when it is known and
// in marshal otherwise, as Pyro4 does. Once the request's codec is known (req and codec set),
// the answer carries the correlation id and what the handshake hook set, as Pyro4's does.
func (c *serverConn) connectFail(req *wire.Message, codec serializer.Codec, reason string, set *replyAnnotations) {
	c.failure = fmt.Errorf("%w: %s", ErrConnectFailed, reason)
	c.refused = req != nil
	var seq uint16
	if req != nil {
		seq = req.Seq
	}
	var corr []byte
	if req != nil && codec != nil {
		corr = c.correlationID(req)
	}
	if codec == nil {
		codec, _ = serializer.ByID(serializer.MarshalID)
	}
	data, err := c.marshal(codec, reason)
	if err != nil {
		return
	}
	m := &wire.Message{Type: wire.ConnectFail, Seq: seq, SerializerID: uint16(codec.ID()), Data: data}
	c.annotateReply(m, set, corr, false)
	c.write(m)
}

// handshake runs the CONNECT exchange and reports whether the connection may go on.
func (c *serverConn) handshake() bool {
	limit := max(c.d.cfg.HandshakeTimeout, 0) // negative: wait forever
	if comm := c.d.cfg.CommTimeout; comm > 0 && (limit == 0 || comm < limit) {
		limit = comm
	}
	if limit > 0 {
		c.nc.SetReadDeadline(time.Now().Add(limit)) // for the protocol's first bytes and the CONNECT
	}
	if !c.tlsHandshake(limit) {
		return false
	}
	c.sniff()
	msg, err := c.readMsg()
	if limit > 0 && c.d.cfg.CommTimeout == 0 {
		c.nc.SetReadDeadline(time.Time{}) // after the handshake, wait as long as the client likes
	}
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
			return false // the peer hung up; there is nobody to tell
		}
		if overBudget(err) {
			c.failure = readFailure(err)
			c.logReadFailure(err)
			return false
		}
		switch {
		case errors.Is(err, wire.ErrSecurity):
			c.connectFail(nil, nil, securityReason(err), nil)
		case errors.Is(err, wire.ErrProtocol):
			c.connectFail(nil, nil, "invalid data or unsupported protocol version", nil)
		case errors.Is(err, wire5.ErrProtocol):
			c.connectFail(nil, nil, "invalid message or protocol version", nil) // Pyro5's words
		}
		return false
	}
	defer msg.Held.Release()
	if msg.Type != wire.Connect {
		reason := fmt.Sprintf("invalid msg type %d received", msg.Type)
		if c.proto == Pyro5 {
			reason += " (expected: 1)"
		}
		c.connectFail(nil, nil, reason, nil)
		return false
	}
	if c.deny {
		c.log().Warn("pyro: too many connections, denying one", "remote", c.nc.RemoteAddr(), "limit", c.d.cfg.MaxConnections)
		c.connectFail(msg, nil, denyReason, nil)
		return false
	}
	if c.proto == Pyro5 && len(c.d.cfg.HMACKey) > 0 {
		// The daemon authenticates its clients by HMAC, which a Pyro5 client cannot do.
		c.connectFail(msg, nil, "this daemon requires an HMAC key: "+errHMACPyro5.Error(), nil)
		return false
	}
	codec, ok := c.d.accepted[msg.SerializerID]
	if !ok {
		c.connectFail(msg, nil, fmt.Sprintf("message used serializer that is not accepted: %d", serializerNumber(c.proto, msg.SerializerID)), nil)
		return false
	}
	data, err := serializer.UnmarshalMetered(codec, msg.Data, c.meterFor(msg))
	if errors.Is(err, framing.ErrBudget) {
		c.failure = readFailure(err)
		c.logReadFailure(err)
		return false
	}
	if err == nil && c.proto == Pyro5 {
		if err = checkPyro5Classes(data, 0); err != nil {
			c.connectFail(msg, codec, exceptionStr(err), nil) // str(exc), as Pyro5 sends
			return false
		}
	}
	if err != nil {
		c.connectFail(msg, codec, "invalid handshake data: "+err.Error(), nil)
		return false
	}
	var hsData, objectID any
	if dd, ok := data.(*pyval.Dict); ok {
		hsData, _ = dd.GetString("handshake")
		objectID, _ = dd.GetString("object")
	}
	c.info.Handshake, c.info.Annotations = hsData, customAnnotations(msg)
	var answer any = "hello"
	set := new(replyAnnotations)
	if c.d.cfg.Handshake != nil {
		answer, err = c.handshakeHook(context.WithValue(c.ctx, handshakeReplyKey{}, set), hsData)
		if err != nil {
			c.connectFail(msg, codec, exceptionStr(err), set) // str(exc), as Pyro4 sends
			return false
		}
	}
	reply := &wire.Message{Type: wire.ConnectOK, Seq: msg.Seq, SerializerID: msg.SerializerID}
	var body any = answer
	if msg.Flags&wire.FlagMetaOnConnect != 0 || c.proto == Pyro5 { // Pyro5 always sends the metadata
		id, _ := objectID.(string)
		r := c.d.lookup(id)
		if r == nil {
			c.connectFail(msg, codec, "unknown object", set)
			return false
		}
		body = pyval.DictOf("handshake", answer, "meta", c.d.metadataFor(r, c.proto, true))
		reply.Flags |= wire.FlagMetaOnConnect
	}
	if reply.Data, err = c.marshal(codec, body); err != nil {
		c.connectFail(msg, codec, "cannot serialize handshake answer: "+err.Error(), set)
		return false
	}
	c.annotateReply(reply, set, c.correlationID(msg), false)
	return c.write(reply) == nil
}

func securityReason(err error) string {
	var se interface{ Reason() string }
	if errors.As(err, &se) {
		return se.Reason()
	}
	return "hmac key config not symmetric"
}

// correlationID echoes the request's CORR annotation or makes a fresh id. The result is only
// valid until the next call: it may live in the connection's buffer.
func (c *serverConn) correlationID(msg *wire.Message) []byte {
	if v, ok := msg.Annotation(wire.AnnCorrelation); ok && len(v) == 16 {
		return v
	}
	c.newCorrelationID(c.corrBuf[:])
	return c.corrBuf[:]
}

// newCorrelationID writes a fresh correlation id into id (16 bytes). Only the serving
// goroutine calls it.
func (c *serverConn) newCorrelationID(id []byte) {
	c.corrCount++
	copy(id[:8], c.corrPrefix[:])
	binary.BigEndian.PutUint64(id[8:16], c.corrCount)
	id[6] = id[6]&0x0f | 0x40 // shaped as a version 4 uuid, as Pyro's uuid4()
	id[8] = id[8]&0x3f | 0x80
}

// handle serves one message after the handshake and reports whether the connection stays open.
func (c *serverConn) handle(msg *wire.Message) bool {
	switch msg.Type {
	case wire.Ping:
		reply := &wire.Message{Type: wire.Ping, Seq: msg.Seq, SerializerID: msg.SerializerID, Data: []byte("pong")}
		c.annotateReply(reply, nil, c.correlationID(msg), false)
		return c.write(reply) == nil
	case wire.Invoke:
		return c.endCall(c.invoke(msg))
	default:
		// A second CONNECT or a reply-type message: Pyro4 drops the connection without a word.
		c.failure = fmt.Errorf("%w: unexpected message type %d", ErrProtocol, msg.Type)
		c.log().Debug("pyro: unexpected message type, closing", "type", msg.Type, "remote", c.nc.RemoteAddr())
		return false
	}
}

func (c *serverConn) invoke(msg *wire.Message) bool {
	codec, ok := c.d.accepted[msg.SerializerID]
	if !ok {
		codec, _ = serializer.ByID(serializer.MarshalID)
		c.sendException(msg, codec, NewError(classSerializeError, "message used serializer that is not accepted: %d", serializerNumber(c.proto, msg.SerializerID)), nil)
		return false
	}
	var call serializer.Call
	var err error
	if msg.Flags&wire.FlagKeepSerialized != 0 {
		call, err = blobCall(msg, codec) // the payload stays serialized (blob.go)
	} else {
		call, err = serializer.UnmarshalCallMetered(codec, msg.Data, c.meterFor(msg)) // the frame's own memory (wire.Message.Data)
	}
	if errors.Is(err, framing.ErrBudget) {
		// It decodes to more than the budget can hold: closed as an over-budget frame is.
		c.failure = readFailure(err)
		c.logReadFailure(err)
		return false
	}
	if err != nil {
		// The request cannot be understood; report it (a SerializeError, as Pyro sends) and go
		// on, or, for Pyro5, close the connection as Pyro5 does (sendException).
		return c.sendException(msg, codec, NewError(classSerializeError, "cannot deserialize call: %v", err), nil)
	}
	if c.proto == Pyro5 && msg.Flags&wire.FlagKeepSerialized == 0 {
		// What a Pyro5 daemon's serializer refuses to rebuild, ours refuses too.
		if err := checkPyro5Classes(pyval.Tuple(call.Args), 0); err != nil {
			return c.sendException(msg, codec, err, nil)
		}
		if err := checkPyro5Classes(call.Kwargs, 0); err != nil {
			return c.sendException(msg, codec, err, nil)
		}
	}
	oneway := msg.Flags&wire.FlagOneway != 0
	ctx := &callScope{c: c, msg: msg, call: call, codec: codec, parent: c.ctx}
	if oneway {
		ctx.parent = c.detached // a oneway call outlives its connection (the client may hang up at once)
	}
	r := c.d.lookup(call.Object)
	c.startCall(ctx, r)
	if r == nil {
		if !oneway {
			c.sendException(msg, codec, NewError(classDaemonError, "unknown object"), nil)
		}
		return true
	}
	recv, err := r.instanceFor(ctx)
	if err != nil {
		ctx.done()
		c.carry(ctx.replySet())
		return c.sendException(msg, codec, err, nil)
	}
	if msg.Flags&wire.FlagBatch != 0 {
		defer ctx.done()
		return c.batch(ctx, msg, codec, r, recv, call)
	}
	if oneway {
		slots, ok := c.onewaySlot()
		if !ok {
			return false // the connection or the daemon is closing
		}
		// The goroutine gets a copy of the scope, so that an ordinary call's stays on the stack.
		detached := *ctx
		detached.context() // capture the request's details before the goroutine starts
		ev := c.detachCall()
		held := msg.Held
		msg.Held = framing.Charge{} // the call's now: it may run after the next request is read
		c.d.wg.Add(1)
		go func() {
			defer c.d.wg.Done()
			defer held.Release()
			if slots != nil {
				defer func() { <-slots }()
			}
			_, _, err := c.run(&detached, r, recv, call.Method, call.Args, call.Kwargs)
			c.endDetached(ev, err)
			if err != nil {
				c.log().Debug("pyro: oneway call failed", "method", call.Method, "err", err)
			}
		}()
		return true
	}
	result, tb, err := c.run(ctx, r, recv, call.Method, call.Args, call.Kwargs)
	ctx.done()
	if err != nil {
		c.carry(ctx.replySet())
		return c.sendException(msg, codec, err, tb)
	}
	if s, ok := result.(*stream); ok {
		id, err := c.d.streams.add(c, s, c.d.cfg.MaxStreamsPerConn)
		if err != nil {
			c.carry(ctx.replySet())
			return c.sendException(msg, codec, err, nil)
		}
		reply := c.exceptionMessage(msg, codec, NewError(classProtocolError, "result of call is an iterator"), []string{})
		reply.Flags |= wire.FlagItemStreamResult
		c.streamResult()
		reply.SetAnnotation(wire.AnnStream, []byte(id))
		c.carry(ctx.replySet())
		c.annotateException(reply)
		return c.write(reply) == nil
	}
	return c.sendResult(ctx, codec, result, 0)
}

// callScope carries what a call's context is made from, and makes it only for methods that
// take one: most calls never need it.
type callScope struct {
	c      *serverConn
	msg    *wire.Message
	call   serializer.Call
	codec  serializer.Codec
	parent context.Context
	ci     *CallInfo // made only when a method, a factory or a hook asks
	ctx    context.Context
	stop   func() // ends the hang-up watch of a call that made a context
}

// done ends the call's hang-up watch, if its context started one.
func (s *callScope) done() {
	if s.stop != nil {
		s.stop()
		s.stop = nil
	}
}

// info returns the call's CallInfo, made on first use.
func (s *callScope) info() *CallInfo {
	if s.ci == nil {
		corr, ok := s.msg.Annotation(wire.AnnCorrelation)
		if !ok || len(corr) != 16 {
			corr = bytes.Clone(s.c.correlationID(s.msg))
		}
		s.ci = &CallInfo{RemoteAddr: s.c.info.RemoteAddr, ObjectID: s.call.Object, Method: s.call.Method,
			CorrelationID: corr, Serializer: s.codec.Name(), Oneway: s.msg.Flags&wire.FlagOneway != 0,
			Annotations: customAnnotations(s.msg)}
		if !s.ci.Oneway {
			s.ci.reply = new(replyAnnotations)
		}
	}
	return s.ci
}

func (s *callScope) context() context.Context {
	if s.ctx == nil {
		info := s.info()
		s.ctx = context.WithValue(s.parent, callInfoKey{}, info)
		if !info.Oneway {
			s.ctx, s.stop = s.c.watchHangup(s.ctx)
		}
	}
	return s.ctx
}

// replySet returns what SetResponseAnnotation collected for the reply, if anyone could.
func (s *callScope) replySet() *replyAnnotations {
	if s.ci == nil {
		return nil
	}
	return s.ci.reply
}

// aLongTimeAgo is a read deadline that ends a blocked read at once.
var aLongTimeAgo = time.Unix(1, 0)

// watchHangup cancels ctx when the client hangs up while its call runs, as net/http's
// background read does: the protocol is lock-step, so the client sends nothing until the
// reply, and a read that ends means the connection did. Only calls whose method takes a
// context pay for it. The returned stop ends the watch before the reply is written.
func (c *serverConn) watchHangup(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	watching := make(chan struct{})
	go func() {
		defer close(watching)
		if _, err := c.br.Peek(1); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			cancel(fmt.Errorf("%w: the client hung up", ErrConnectionClosed))
		}
	}()
	return ctx, func() {
		c.nc.SetReadDeadline(aLongTimeAgo)
		<-watching
		c.nc.SetReadDeadline(time.Time{}) // the next read sets CommTimeout's again
		cancel(nil)
	}
}

// run calls one method (or reads or writes an attribute), turning a panic into an exception.
func (c *serverConn) run(ctx *callScope, r *registration, recv reflect.Value, method string, args []any, kwargs *pyval.Dict) (result any, traceback []string, err error) {
	defer func() {
		if p := recover(); p != nil {
			// The client learns what panicked; the server's log gets where.
			var pcs [64]uintptr
			n := runtime.Callers(1, pcs[:])
			err = NewError("builtins.RuntimeError", "panic in %s: %v", method, p)
			result, traceback = nil, panicTraceback(r.et.class+"."+method, err, pcs[:n], c.d.cfg.DetailedTraceback)
			c.log().Error("pyro: method panicked", "object", r.id, "method", method, "panic", p, "stack", string(debug.Stack()))
		}
	}()
	switch method {
	case "__getattr__", "__setattr__":
		return c.attribute(ctx, r, recv, method, args)
	}
	m, err := r.et.lookupMethod(method, c.proto)
	if err != nil {
		return nil, nil, err
	}
	in, err := m.args(ctx, recv, args, kwargs)
	if err != nil {
		return nil, nil, err
	}
	result, traceback, err = m.results(m.fn.Call(in))
	if err != nil && traceback == nil {
		where := m.qualName
		if r.id == DaemonObjectID {
			where = "" // a stream's error: the daemon's own object is no place to name
		}
		traceback = c.methodTraceback(where, err)
	}
	return result, traceback, err
}

// methodTraceback is the _pyroTraceback of an error a method returned. A *RemoteError the
// method passes on keeps the traceback it came with (nil here).
func (c *serverConn) methodTraceback(where string, err error) []string {
	var re *RemoteError
	if errors.As(err, &re) && re.Traceback != nil {
		return nil
	}
	return methodTraceback(where, err, c.d.cfg.DetailedTraceback)
}

func (c *serverConn) attribute(ctx *callScope, r *registration, recv reflect.Value, method string, args []any) (any, []string, error) {
	if len(args) == 0 {
		return nil, nil, NewError(classTypeError, "%s needs the attribute name", method)
	}
	name, _ := args[0].(string)
	a, err := r.et.lookupAttr(name)
	if err != nil {
		return nil, nil, err
	}
	if method == "__getattr__" {
		res, tb, err := a.get.results(a.get.fn.Call([]reflect.Value{recv}))
		if err != nil && tb == nil {
			tb = c.methodTraceback(r.et.class+"."+a.name, err)
		}
		return res, tb, err
	}
	if len(args) != 2 {
		return nil, nil, NewError(classTypeError, "__setattr__ needs a name and a value")
	}
	if a.set == nil {
		return nil, nil, NewError(classAttributeError, "can't set attribute '%s'", name)
	}
	v, err := convertArg(args[1], a.setTyp, 1)
	if err != nil {
		return nil, nil, err
	}
	_, tb, err := a.set.results(a.set.fn.Call([]reflect.Value{recv, v}))
	if err != nil && tb == nil {
		tb = c.methodTraceback(r.et.class+"."+a.name, err)
	}
	return nil, tb, err
}

// results turns a method's return values into a wire result, a stream or an error.
func (m *exposedMethod) results(out []reflect.Value) (any, []string, error) {
	if m.returnsErr {
		if e := out[len(out)-1]; !e.IsNil() {
			return nil, nil, e.Interface().(error)
		}
	}
	if !m.hasResult {
		return nil, nil, nil
	}
	if m.stream != notStream {
		if out[0].IsNil() {
			return nil, nil, nil
		}
		return newStream(m.stream, out[0]), nil, nil
	}
	return out[0].Interface(), nil, nil
}

// batch runs a batch of calls in order, stopping at the first failure, whose exception takes
// its slot wrapped as Pyro4's _ExceptionWrapper.
func (c *serverConn) batch(ctx *callScope, msg *wire.Message, codec serializer.Codec, r *registration, recv reflect.Value, call serializer.Call) bool {
	if limit := c.d.cfg.MaxBatchCalls; limit >= 0 && len(call.Args) > limit {
		return c.sendException(msg, codec, NewError(classProtocolError, "batch of %d calls is over the daemon's limit of %d", len(call.Args), limit), nil)
	}
	results := make([]any, 0, len(call.Args))
	for _, item := range call.Args {
		sub, _ := pyval.Items(item)
		if len(sub) != 3 {
			return c.sendException(msg, codec, NewError(classProtocolError, "batch item must be (method, args, kwargs)"), nil)
		}
		method, _ := sub[0].(string)
		args, _ := asList(sub[1])
		kwargs, _ := sub[2].(*pyval.Dict)
		res, tb, err := c.run(ctx, r, recv, method, args, kwargs)
		if err == nil {
			if s, ok := res.(*stream); ok {
				s.shut()
				err = NewError(classPyroError, "streaming results are not supported in batch calls")
			}
		}
		if err != nil {
			c.callFailed(err)
			results = append(results, pyval.DictOf("__class__", pyro4WrapperClass, "exception", c.exceptionDict(err, tb)))
			break
		}
		results = append(results, res)
	}
	if msg.Flags&wire.FlagOneway != 0 {
		return true
	}
	return c.sendResult(ctx, codec, results, wire.FlagBatch)
}

// asList reads a Python sequence, taking None as empty.
func asList(v any) ([]any, bool) {
	if v == nil {
		return nil, true
	}
	return pyval.Items(v)
}

// sendResult replies with a result, registered objects in it sent as proxies (autoproxy).
func (c *serverConn) sendResult(s *callScope, codec serializer.Codec, result any, flags uint16) bool {
	req := s.msg
	result, err := withProxies(result, c.d.replacer)
	var data []byte
	var splice serializer.Splice
	if err == nil {
		data, splice, err = c.marshalSplice(getLargeBuf(), codec, result, spliceMin)
	}
	if err != nil {
		return c.sendException(req, codec, NewError(classSerializeError, "cannot serialize result: %v", err), nil)
	}
	reply := &wire.Message{Type: wire.Result, Flags: flags, Seq: req.Seq, SerializerID: req.SerializerID, Data: data,
		Splice: framing.Splice{Bytes: splice.Bytes, At: splice.At}}
	c.annotateReply(reply, s.replySet(), c.correlationID(req), true)
	ok := c.write(reply) == nil
	putLargeBuf(data) // written, and the codec's own memory (largebuf.go)
	return ok
}

func (c *serverConn) exceptionMessage(req *wire.Message, codec serializer.Codec, err error, tb []string) *wire.Message {
	data, merr := c.marshal(codec, c.exceptionDict(err, tb))
	if merr != nil {
		data, _ = c.marshal(codec, c.exceptionDict(NewError(classPyroError, "Error serializing exception: %v", merr), nil))
	}
	return &wire.Message{Type: wire.Result, Flags: wire.FlagException, Seq: req.Seq, SerializerID: uint16(codec.ID()), Data: data}
}

// sendException replies with an exception and reports whether the connection stays open.
// Pyro4 puts no CORR on those, nor what the call set with SetResponseAnnotation: only the
// daemon's annotations (see annotateReply). A Pyro5 daemon closes the connection after
// replying with a communication or security error (a call it cannot deserialize, a class it
// refuses), and so does ours for Pyro5 clients; Pyro4 connections stay open.
func (c *serverConn) sendException(req *wire.Message, codec serializer.Codec, err error, tb []string) bool {
	keep := c.proto != Pyro5 || !closesPyro5Connection(exceptionClass(err))
	c.callFailed(err)
	c.linger = !keep
	if req.Flags&wire.FlagOneway != 0 {
		return keep
	}
	m := c.exceptionMessage(req, codec, err, tb)
	c.annotateException(m)
	c.write(m)
	return keep
}

// exceptionDict is exceptionDict with a Pyro exception class in the namespace of the
// connection's protocol, so its client can rebuild it (a Pyro5 NamingError relayed to a Pyro4
// client, say). A Pyro5 connection's replies are rewritten whole by marshal.
func (c *serverConn) exceptionDict(err error, tb []string) *pyval.Dict {
	d := exceptionDict(err, tb)
	if c.proto != Pyro5 {
		if class, _ := pyval.ClassOf(d); strings.HasPrefix(class, pyro5ErrorsPrefix) {
			d.Set("__class__", exceptionClassFor(class, Pyro4))
		}
	}
	return d
}
