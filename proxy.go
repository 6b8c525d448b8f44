package pyro

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net"
	"os"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gopyro/pyro/internal/framing"
	"github.com/gopyro/pyro/internal/wire"
	"github.com/gopyro/pyro/internal/wire5"
	"github.com/gopyro/pyro/internal/wiresniff"
	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

// Kwargs are keyword arguments: pass them as the last argument of a call,
// p.Call(ctx, "lookup", &uri, "MyWorker", pyro.Kwargs{"return_metadata": false}).
type Kwargs map[string]any

// Proxy is the client's handle on a remote object. It connects lazily on first use, keeps a
// small pool of connections so that concurrent callers do not wait for each other (Pyro's
// protocol is one call at a time per connection), and is safe for concurrent use.
type Proxy struct {
	uri   URI // as given: PYRO, PYRONAME or PYROMETA
	cfg   ProxyConfig
	codec serializer.Codec
	wcfg  wire.Config
	w5cfg wire5.Config
	pool  *connPool

	serializerSet bool // the serializer was chosen, not defaulted: it travels with the proxy
	received      bool // made by UnmarshalPython and not yet given the receiver's settings

	// prefer is the protocol AutoProtocol tries first at an address it knows nothing of
	// (Pyro4 when unset): a proxy received in a Pyro5 message prefers Pyro5.
	prefer WireProtocol
	used   atomic.Uint32 // the WireProtocol of the last connection made

	mu       sync.Mutex // guards resolved and meta
	resolved URI        // the PYRO uri connections go to, once resolved
	meta     *metadata

	target string // the URI as given, for the observer (observer_proxy.go)
}

// NewProxy returns a proxy for a "PYRO:", "PYRONAME:" or "PYROMETA:" URI. It does no I/O:
// the first call connects (and resolves names through the name server). Without options it
// uses the defaults (see ProxyConfig); it does not read the environment: pass
// WithConfig(cfg) with cfg from ProxyConfigFromEnv for that.
func NewProxy(uri string, opts ...ProxyOption) (*Proxy, error) {
	u, err := ParseURI(uri)
	if err != nil {
		return nil, err
	}
	return NewProxyURI(u, opts...)
}

// NewProxyURI is NewProxy for a parsed URI.
func NewProxyURI(u URI, opts ...ProxyOption) (*Proxy, error) {
	if err := checkProxyURI(u); err != nil {
		return nil, err
	}
	given := proxyConfigOf(opts)
	cfg := given.withDefaults()
	codec, err := serializer.ByName(cfg.Serializer)
	if err != nil {
		return nil, fmt.Errorf("pyro: proxy serializer: %w", err)
	}
	switch cfg.Protocol {
	case AutoProtocol, Pyro4:
	case Pyro5:
		if len(cfg.HMACKey) > 0 {
			return nil, fmt.Errorf("pyro: proxy: %w", errHMACPyro5)
		}
	default:
		return nil, fmt.Errorf("pyro: proxy: unknown wire protocol %v", cfg.Protocol)
	}
	p := &Proxy{uri: u, cfg: cfg, codec: codec, pool: newConnPool(cfg.MaxConns, cfg.MaxIdleConns),
		wcfg:  wire.Config{MaxMessageSize: cfg.MaxMessageSize, HMACKey: cfg.HMACKey, Compress: cfg.Compression},
		w5cfg: wire5Config(cfg.Transport)}
	if u.Protocol == ProtocolPyro {
		p.resolved = u
	}
	p.serializerSet = given.Serializer != ""
	p.initObserver()
	return p, nil
}

// checkProxyURI refuses, before any I/O, a URI no call could use.
func checkProxyURI(u URI) error {
	switch {
	case u.Protocol == "":
		return fmt.Errorf("%w: a proxy needs a PYRO, PYRONAME or PYROMETA URI, got the zero URI", ErrInvalidURI)
	case u.Protocol != ProtocolPyro && u.Protocol != ProtocolPyroName && u.Protocol != ProtocolPyroMeta:
		return fmt.Errorf("%w: a proxy needs a PYRO, PYRONAME or PYROMETA URI, got protocol %q", ErrInvalidURI, u.Protocol)
	case u.Object == "":
		return fmt.Errorf("%w: %s URI without an object", ErrInvalidURI, u.Protocol)
	case u.Protocol == ProtocolPyro && u.Host == "" && u.SockPath == "":
		return fmt.Errorf("%w: PYRO:%s has no location (host and port, or unix socket)", ErrInvalidURI, u.Object)
	}
	return nil
}

// Config returns the proxy's configuration, defaults filled in.
func (p *Proxy) Config() ProxyConfig { return p.cfg }

// URI returns the URI the proxy was made with.
func (p *Proxy) URI() URI { return p.uri }

// clientConn is one connection of a proxy, used by one call at a time.
type clientConn struct {
	nc    net.Conn
	br    *bufio.Reader
	seq   uint16
	proto WireProtocol // Pyro5, or Pyro4 (also when zero)
}

// WireProtocol returns the protocol the proxy speaks: the one its configuration names, or,
// with AutoProtocol, the one its last connection found (AutoProtocol before it connected).
func (p *Proxy) WireProtocol() WireProtocol {
	if p.cfg.Protocol != AutoProtocol {
		return p.cfg.Protocol
	}
	return WireProtocol(p.used.Load())
}

func (c *clientConn) close() { c.nc.Close() }

// Bind connects now (resolving a PYRONAME or PYROMETA URI) and fetches the metadata.
func (p *Proxy) Bind(ctx context.Context) error {
	c, err := p.conn(ctx)
	if err != nil {
		return err
	}
	p.release(c)
	return nil
}

// bindOnce binds unless the metadata is already known: invoke connects (and resolves) by
// itself, so only the metadata needs the up-front round trip, and only the first time.
func (p *Proxy) bindOnce(ctx context.Context) error {
	p.mu.Lock()
	known := p.meta != nil
	p.mu.Unlock()
	if known {
		return nil
	}
	return p.Bind(ctx)
}

// ResolvedURI returns the PYRO URI the proxy talks to, resolving it first if needed.
func (p *Proxy) ResolvedURI(ctx context.Context) (URI, error) {
	if err := p.Bind(ctx); err != nil {
		return URI{}, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.resolved, nil
}

// Metadata returns the remote object's exposed methods, oneway methods and attributes. A
// proxy that knows them already (from an earlier connection, or from the sender of a proxy
// received in a call) answers without asking the remote side; Bind fetches them anew.
func (p *Proxy) Metadata(ctx context.Context) (methods, oneway, attrs []string, err error) {
	if err := p.bindOnce(ctx); err != nil {
		return nil, nil, nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.meta == nil {
		return nil, nil, nil, nil
	}
	return slices.Clone(p.meta.Methods), slices.Clone(p.meta.Oneway), slices.Clone(p.meta.Attrs), nil
}

// Close closes the proxy's idle connections and each busy one as its call ends; callers
// waiting for a connection and later calls fail with ErrProxyClosed (which, unlike a broken
// connection, is not an ErrCommunication). Calls in flight are not interrupted: their
// contexts bound them.
func (p *Proxy) Close() error {
	p.pool.close()
	return nil
}

// Release closes the idle connections but keeps the proxy usable: the next call reconnects
// (and re-resolves a PYRONAME). Pyro4's _pyroRelease.
func (p *Proxy) Release() {
	p.mu.Lock()
	if p.uri.Protocol != ProtocolPyro {
		p.resolved = URI{}
	}
	p.mu.Unlock()
	p.pool.closeIdle()
}

// Reconnect releases the proxy's connections and connects again, retrying until ctx ends.
func (p *Proxy) Reconnect(ctx context.Context) error {
	p.Release()
	for {
		err := p.Bind(ctx)
		if err == nil || !errors.Is(err, ErrCommunication) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("pyro: reconnect: %w (last error: %v)", ctx.Err(), err)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// conn returns an idle connection or makes a new one, waiting for a free slot when the proxy
// is at its connection limit. Every connection conn returns goes back through release or
// discard, which free its slot.
func (p *Proxy) conn(ctx context.Context) (*clientConn, error) {
	if err := p.pool.acquire(ctx); err != nil {
		return nil, err
	}
	c, err := p.takeOrDial(ctx)
	if err != nil {
		p.pool.freeSlot()
	}
	return c, err
}

func (p *Proxy) takeOrDial(ctx context.Context) (*clientConn, error) {
	if c, err := p.pool.takeIdle(); c != nil || err != nil {
		return c, err
	}
	p.mu.Lock()
	target := p.resolved
	p.mu.Unlock()
	if target.Protocol == "" {
		var err error
		if target, err = resolve(ctx, p.uri, p.cfg); err != nil {
			return nil, err
		}
	}
	start := p.dialStart()
	c, meta, err := p.dial(ctx, target)
	p.dialEnd(start, target, err)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.resolved = target
	if meta != nil {
		p.meta = meta
	}
	p.mu.Unlock()
	return c, nil
}

// release returns a healthy connection to the pool.
func (p *Proxy) release(c *clientConn) { p.pool.put(c) }

// discard closes a connection that failed: its state is unknown, so it is not reused.
func (p *Proxy) discard(c *clientConn) { p.pool.discard(c) }

// dial connects to u and handshakes in the configured protocol. With AutoProtocol it starts
// with the protocol last found at the address (else the proxy's preference, else Pyro4) and,
// when the daemon answers in the other protocol (or hangs up without a word), connects again
// once in that one; what works is remembered for the address.
func (p *Proxy) dial(ctx context.Context, u URI) (*clientConn, *metadata, error) {
	proto := p.cfg.Protocol
	auto := proto == AutoProtocol
	if auto {
		proto = p.firstProtocol(u)
	}
	c, meta, err := p.dialAs(ctx, u, proto)
	if auto && err != nil && ctx.Err() == nil && mayBeOtherProtocol(err) {
		if len(p.cfg.HMACKey) > 0 && proto == Pyro4 {
			if errors.Is(err, ErrWrongProtocol) {
				err = fmt.Errorf("%w (%w)", err, errHMACPyro5)
			}
		} else {
			c2, meta2, err2 := p.dialAs(ctx, u, proto.other())
			switch {
			case err2 == nil:
				c, meta, err, proto = c2, meta2, nil, proto.other()
			case errors.Is(err, ErrWrongProtocol):
				err = err2 // the daemon said it speaks the other protocol: its answer counts
			}
		}
	}
	if err != nil {
		return nil, nil, p.tlsHint(err)
	}
	if auto {
		rememberProtocol(u.Network(), u.Address(), proto)
	}
	p.used.Store(uint32(proto))
	return c, meta, nil
}

// firstProtocol is the protocol AutoProtocol tries first at u.
func (p *Proxy) firstProtocol(u URI) WireProtocol {
	if len(p.cfg.HMACKey) > 0 {
		return Pyro4
	}
	if proto, ok := rememberedProtocol(u.Network(), u.Address()); ok {
		return proto
	}
	if p.prefer == Pyro5 {
		return Pyro5
	}
	return Pyro4
}

// ErrWrongProtocol means the daemon answered the handshake in the other wire protocol (a
// Python Pyro4 daemon to a Pyro5 proxy, or the reverse); AutoProtocol handles it by itself.
var ErrWrongProtocol = fmt.Errorf("%w: the daemon speaks another Pyro wire protocol", ErrProtocol)

// errNoAnswer marks a handshake the daemon hung up on without a byte of answer, which a
// daemon of the other protocol might do.
var errNoAnswer = errors.New("no answer to the handshake")

func mayBeOtherProtocol(err error) bool {
	return errors.Is(err, ErrWrongProtocol) || errors.Is(err, errNoAnswer)
}

func (p *Proxy) dialAs(ctx context.Context, u URI, proto WireProtocol) (*clientConn, *metadata, error) {
	dial := p.cfg.Dial
	if dial == nil {
		dial = (&net.Dialer{Timeout: p.cfg.CommTimeout}).DialContext
	}
	nc, err := dial(ctx, u.Network(), u.Address())
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, nil, fmt.Errorf("%w: cannot connect to %s: %w", ErrCommunication, u.Location(), err)
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	if nc, err = p.startTLS(ctx, nc, u); err != nil {
		return nil, nil, err
	}
	c := &clientConn{nc: nc, br: bufio.NewReaderSize(nc, 16<<10), proto: proto}
	meta, err := p.handshake(ctx, c, u)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return c, meta, nil
}

func (p *Proxy) handshake(ctx context.Context, c *clientConn, u URI) (*metadata, error) {
	var hs any = pyval.DictOf("handshake", p.cfg.HandshakeData, "object", u.Object)
	var err error
	if c.proto == Pyro5 {
		hs, err = toPyro5Values(hs)
	}
	var body []byte
	if err == nil {
		body, err = p.codec.Marshal(hs)
	}
	if err != nil {
		return nil, fmt.Errorf("pyro: handshake data: %w", err)
	}
	anns, err := p.requestAnnotations(ctx)
	if err != nil {
		return nil, fmt.Errorf("pyro: handshake: %w", err)
	}
	// Pyro5 sends no META_ON_CONNECT (the frame translation drops it): its CONNECTOK always
	// carries the metadata.
	req := &wire.Message{Type: wire.Connect, Flags: wire.FlagMetaOnConnect, Seq: c.seq, SerializerID: uint16(p.codec.ID()), Data: body}
	appendAnnotations(req, anns)
	setCorrelation(ctx, c, req)
	reply, err := p.roundTrip(ctx, c, req)
	if err != nil {
		return nil, err
	}
	codec, err := serializer.ByID(int(reply.SerializerID))
	if err != nil {
		return nil, fmt.Errorf("%w: handshake reply: %w", ErrProtocol, err)
	}
	data, err := codec.Unmarshal(reply.Data)
	if err != nil {
		return nil, fmt.Errorf("%w: handshake reply: %w", ErrProtocol, err)
	}
	switch reply.Type {
	case wire.ConnectOK:
	case wire.ConnectFail:
		reason, _ := data.(string)
		return nil, fmt.Errorf("%w: connection to %s rejected: %s", ErrConnectFailed, u.Location(), reason)
	default:
		return nil, fmt.Errorf("%w: handshake answered with message type %d", ErrProtocol, reply.Type)
	}
	p.responseAnnotations(ctx, ResponseConnect, reply)
	if reply.Flags&wire.FlagMetaOnConnect == 0 && c.proto != Pyro5 {
		return nil, nil
	}
	d, _ := data.(*pyval.Dict)
	m, _ := d.GetString("meta")
	meta := metadataFrom(m)
	if len(meta.Methods) == 0 && len(meta.Attrs) == 0 {
		return nil, fmt.Errorf("%w: remote object doesn't expose any methods or attributes", ErrProtocol)
	}
	return meta, nil
}

func metadataFrom(v any) *metadata {
	d, _ := v.(*pyval.Dict)
	names := func(key string) []string {
		x, _ := d.GetString(key)
		items, _ := pyval.Items(x)
		out := stringsOf(items)
		slices.Sort(out)
		return out
	}
	return &metadata{Methods: names("methods"), Oneway: names("oneway"), Attrs: names("attrs")}
}

// roundTrip writes a request and reads its reply, honouring ctx's deadline and cancellation
// by moving the socket deadline. Any failure leaves the connection unusable.
func (p *Proxy) roundTrip(ctx context.Context, c *clientConn, req *wire.Message) (*wire.Message, error) {
	deadline, hasDeadline := ctx.Deadline()
	if p.cfg.CommTimeout > 0 {
		if d := time.Now().Add(p.cfg.CommTimeout); !hasDeadline || d.Before(deadline) {
			deadline, hasDeadline = d, true
		}
	}
	if hasDeadline {
		c.nc.SetDeadline(deadline)
	} else {
		c.nc.SetDeadline(time.Time{})
	}
	if ctx.Done() != nil {
		// Cancellation unblocks the socket; a context that cannot be cancelled needs no watcher.
		stop := context.AfterFunc(ctx, func() { c.nc.SetDeadline(time.Unix(1, 0)) })
		defer stop()
	}
	if err := p.writeMsg(c, req); err != nil {
		return nil, p.ioError(ctx, "send", err)
	}
	if req.Flags&wire.FlagOneway != 0 {
		return nil, nil
	}
	if req.Type == wire.Connect {
		if err := p.checkAnswerProtocol(ctx, c); err != nil {
			return nil, err
		}
	}
	reply, err := p.readMsg(c)
	if err != nil {
		return nil, p.ioError(ctx, "receive", err)
	}
	if reply.Seq != req.Seq {
		return nil, fmt.Errorf("%w: reply sequence out of sync (sent %d, got %d)", ErrProtocol, req.Seq, reply.Seq)
	}
	return reply, nil
}

// writeMsg sends a message in the connection's protocol.
func (p *Proxy) writeMsg(c *clientConn, m *wire.Message) error {
	if c.proto == Pyro5 {
		var m5 wire5.Message
		toWire5(&m5, m, nil)
		return wire5.Write(c.nc, &m5, &p.w5cfg)
	}
	return wire.Write(c.nc, m, &p.wcfg)
}

// readMsg reads a message in the connection's protocol, in Pyro4's numbering.
func (p *Proxy) readMsg(c *clientConn) (*wire.Message, error) {
	if c.proto != Pyro5 {
		return wire.Read(c.br, &p.wcfg)
	}
	m, err := wire5.Read(c.br, &p.w5cfg)
	if err != nil {
		return nil, err
	}
	return fromWire5(m, nil), nil
}

// checkAnswerProtocol peeks at the first bytes of the answer to a CONNECT: a daemon that
// speaks only the other protocol answers in it (a CONNECTFAIL, Python's Pyro4 and Pyro5 do)
// and is reported as ErrWrongProtocol; one that hangs up before a byte as errNoAnswer.
func (p *Proxy) checkAnswerProtocol(ctx context.Context, c *clientConn) error {
	got, err := wiresniff.Detect(c.br)
	if err != nil {
		if c.br.Buffered() == 0 && (errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)) {
			return fmt.Errorf("%w (%w)", p.ioError(ctx, "receive", err), errNoAnswer)
		}
		return nil // the read that follows reports it
	}
	sent := wiresniff.Pyro4
	if c.proto == Pyro5 {
		sent = wiresniff.Pyro5
	}
	if got != sent && got != wiresniff.Unknown {
		return fmt.Errorf("%w: it answered a %s handshake in %s (use %s, or AutoProtocol)", ErrWrongProtocol, sent, got, got)
	}
	return nil
}

// setCorrelation gives a Pyro5 request the correlation id of the daemon call ctx belongs
// to, if any, as Pyro5's proxies pass on current_context.correlation_id, so that it follows a
// chain of calls.
func setCorrelation(ctx context.Context, c *clientConn, m *wire.Message) {
	if id, ok := correlationFrom(ctx); ok { // WithCorrelationID, correlation.go
		m.SetAnnotation(wire.AnnCorrelation, bytes.Clone(id[:])) // a clone: id[:] would put id on the heap on every call
		return
	}
	if c.proto != Pyro5 {
		return
	}
	if ci, ok := CallInfoFrom(ctx); ok && len(ci.CorrelationID) == 16 {
		m.SetAnnotation(wire.AnnCorrelation, ci.CorrelationID)
	}
}

func (p *Proxy) ioError(ctx context.Context, what string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("%w: %s: %w", ErrCommunication, what, ctxErr)
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return fmt.Errorf("%w: %s: %w", ErrCommunication, what, context.DeadlineExceeded)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("%w: %s: %w", ErrConnectionClosed, what, err)
	}
	if errors.Is(err, wire.ErrSecurity) {
		return fmt.Errorf("%w: %s: %w", ErrSecurity, what, err)
	}
	if isProtocolError(err) {
		return fmt.Errorf("%w: %s: %w", ErrProtocol, what, err)
	}
	return fmt.Errorf("%w: %s: %w", ErrCommunication, what, err)
}

// reply is a decoded RESULT message.
type reply struct {
	value    any
	streamID string
}

// invokeObserved performs one call on object objectID (the proxy's own unless it is the
// daemon's), telling ev (nil when unobserved) what went out and came back.
func (p *Proxy) invokeObserved(ctx context.Context, ev *ProxyCallEvent, objectID, method string, args []any, kwargs *pyval.Dict, flags uint16) (reply, error) {
	clearCapture(ctx)
	anns, err := p.requestAnnotations(ctx)
	if err != nil {
		return reply{}, fmt.Errorf("pyro: %s: %w", method, err)
	}
	c, err := p.conn(ctx)
	if err != nil {
		return reply{}, err
	}
	if objectID == "" {
		p.mu.Lock()
		objectID = p.resolved.Object
		oneway := p.meta != nil && slices.Contains(p.meta.Oneway, method)
		p.mu.Unlock()
		if oneway {
			flags |= wire.FlagOneway
		}
	}
	req, codec, isBlob, err := p.request(c.proto, objectID, method, args, kwargs, flags)
	if err != nil {
		p.release(c)
		return reply{}, fmt.Errorf("pyro: %s: cannot serialize arguments: %w", method, err)
	}
	c.seq++
	req.Seq = c.seq
	appendAnnotations(&req, anns)
	ev.sent(c.proto, codec, objectID, &req)
	setCorrelation(ctx, c, &req)
	msg, err := p.roundTrip(ctx, c, &req)
	if !isBlob {
		putLargeBuf(req.Data) // written (or failed): the encoder's memory, not a blob's bytes
	}
	if err != nil {
		p.discard(c)
		return reply{}, err
	}
	ev.received(msg)
	if msg == nil { // oneway
		p.release(c)
		return reply{}, nil
	}
	if msg.Type == wire.Result {
		p.responseAnnotations(ctx, ResponseResult, msg)
	}
	r, err := p.decodeReply(msg, codec)
	if errors.Is(err, ErrCommunication) {
		p.discard(c)
		return reply{}, err
	}
	p.release(c)
	return r, err
}

// request serializes a call with the proxy's codec, or passes a SerializedBlob through in
// its own (blob.go). For Pyro5 the arguments' class-dicts take Pyro5's spelling. isBlob says
// the payload is a SerializedBlob's bytes; otherwise it is the encoder's own.
func (p *Proxy) request(proto WireProtocol, objectID, method string, args []any, kwargs *pyval.Dict, flags uint16) (req wire.Message, codec serializer.Codec, isBlob bool, err error) {
	if b, err := blobArgument(args, kwargs); b != nil || err != nil {
		if err != nil {
			return wire.Message{}, nil, true, err
		}
		req, codec, err = p.blobRequest(proto, objectID, method, b, flags)
		return req, codec, true, err
	}
	args, kwargs, err = argsWithProxies(args, kwargs)
	if err != nil {
		return wire.Message{}, nil, false, err
	}
	if proto == Pyro5 && !(allScalar(args) && kwargs.Len() == 0) {
		if args, kwargs, err = pyro5Args(args, kwargs); err != nil {
			return wire.Message{}, nil, false, err
		}
	}
	// A reused buffer (largebuf.go); invoke gives it back once the request is written. A
	// large bytes argument stays out of it, written from the caller's memory (Splice).
	data, splice, err := serializer.AppendMarshalCallSplice(p.codec, getLargeBuf(), serializer.Call{Object: objectID, Method: method, Args: args, Kwargs: kwargs}, spliceMin)
	if err != nil {
		return wire.Message{}, nil, false, err
	}
	return wire.Message{Type: wire.Invoke, Flags: flags, SerializerID: uint16(p.codec.ID()), Data: data,
		Splice: framing.Splice{Bytes: splice.Bytes, At: splice.At}}, p.codec, false, nil
}

// decodeReply decodes a RESULT, which comes in the codec of the request (codec).
func (p *Proxy) decodeReply(msg *wire.Message, codec serializer.Codec) (reply, error) {
	if msg.Type != wire.Result {
		return reply{}, fmt.Errorf("%w: expected a result, got message type %d", ErrProtocol, msg.Type)
	}
	if msg.SerializerID != uint16(codec.ID()) {
		return reply{}, fmt.Errorf("%w: reply used serializer %d, not %s", ErrProtocol, msg.SerializerID, codec.Name())
	}
	v, err := serializer.UnmarshalOwned(codec, msg.Data) // the frame's own memory (wire.Message.Data)
	if err != nil {
		return reply{}, fmt.Errorf("%w: cannot decode reply: %w", ErrProtocol, err)
	}
	if msg.Flags&wire.FlagItemStreamResult != 0 {
		id, ok := msg.Annotation(wire.AnnStream)
		if !ok {
			return reply{}, fmt.Errorf("%w: result is an iterator but the server is not configured to allow streaming", ErrProtocol)
		}
		return reply{streamID: string(id)}, nil
	}
	if msg.Flags&wire.FlagException != 0 {
		return reply{}, remoteErrorFrom(v)
	}
	return reply{value: v}, nil
}

// splitKwargs takes a trailing Kwargs argument off the positional ones.
func splitKwargs(args []any) ([]any, *pyval.Dict) {
	if n := len(args); n > 0 {
		if kw, ok := args[n-1].(Kwargs); ok {
			keys := make([]string, 0, len(kw))
			for k := range kw {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			d := pyval.NewDict(len(kw))
			for _, k := range keys {
				d.Set(k, kw[k])
			}
			return args[:n-1], d
		}
	}
	return args, noKwargs
}

// noKwargs is the empty keyword-argument dict of calls that pass none. It is only ever read
// (encoded), never modified, so all calls share it.
var noKwargs = pyval.NewDict(0)

// exposedName returns the name to send for a method or attribute: the one the metadata lists,
// accepting a Go spelling (GetRate) for an exposed snake_case or camelCase name (get_rate,
// getRate). Names the
// metadata does not list are refused without a round trip, as Pyro4's proxy does.
func (p *Proxy) exposedName(name string, attr bool) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.meta == nil {
		return name, nil
	}
	names := p.meta.Methods
	if attr {
		names = p.meta.Attrs
	}
	if slices.Contains(names, name) {
		return name, nil
	}
	for _, policy := range [...]func(string) string{SnakeCase, CamelCase} {
		if n := policy(name); slices.Contains(names, n) {
			return n, nil
		}
	}
	return "", ErrNoSuchMethod // the caller's CallError names the method and object
}

// Call calls a remote method with positional arguments (and, as the last argument, optional
// Kwargs) and decodes its result into out (a pointer, or nil to discard it). ctx's deadline
// bounds the call; cancelling ctx abandons it. A remote exception is returned as *RemoteError.
// Calling a oneway method returns as soon as the request is sent.
func (p *Proxy) Call(ctx context.Context, method string, out any, args ...any) error {
	args, kwargs := splitKwargs(args)
	name, err := p.call(ctx, method, out, args, kwargs)
	return p.callError("call", name, len(args), err)
}

// call is Call returning the name it sent, for the error.
func (p *Proxy) call(ctx context.Context, method string, out any, args []any, kwargs *pyval.Dict) (string, error) {
	if err := p.bindOnce(ctx); err != nil {
		return method, err
	}
	name, err := p.exposedName(method, false)
	if err != nil {
		return method, err
	}
	r, err := p.invoke(ctx, "", name, args, kwargs, 0)
	if err != nil {
		return name, err
	}
	if r.streamID != "" {
		p.closeStream(r.streamID)
		return name, errors.New("it returned an item stream: use Proxy.Stream")
	}
	return name, p.decodeInto(r.value, out)
}

func (p *Proxy) decodeInto(v, out any) error {
	if out == nil {
		return nil
	}
	if b, ok := v.([]byte); ok {
		if bp, ok := out.(*[]byte); ok {
			*bp = b // the decoded value is this call's own: no copy
			return nil
		}
	}
	if err := pyval.ToGo(v, out); err != nil {
		return fmt.Errorf("result: %w", err)
	}
	inheritProxies(reflect.ValueOf(out), p.cfg, p.WireProtocol()) // proxies in the result talk as this one does
	return nil
}

// CallT calls a method and returns its result as a T.
func CallT[T any](ctx context.Context, p *Proxy, method string, args ...any) (T, error) {
	var out T
	err := p.Call(ctx, method, &out, args...)
	return out, err
}

// Oneway sends a call without waiting for it to run or for its result, whatever the
// metadata says of the method.
func (p *Proxy) Oneway(ctx context.Context, method string, args ...any) error {
	args, kwargs := splitKwargs(args)
	_, err := p.invoke(ctx, "", method, args, kwargs, wire.FlagOneway)
	return p.callError("call", method, len(args), err)
}

// GetAttr reads a remote attribute (a Python property, or a Go Foo()/SetFoo pair) into out.
func (p *Proxy) GetAttr(ctx context.Context, name string, out any) error {
	if err := p.Bind(ctx); err != nil {
		return p.callError("get attribute", name, 1, err)
	}
	sent, err := p.exposedName(name, true)
	if err == nil {
		name = sent
		var r reply
		if r, err = p.invoke(ctx, "", "__getattr__", []any{sent}, noKwargs, 0); err == nil {
			err = p.decodeInto(r.value, out)
		}
	}
	return p.callError("get attribute", name, 1, err)
}

// SetAttr writes a remote attribute.
func (p *Proxy) SetAttr(ctx context.Context, name string, value any) error {
	if err := p.Bind(ctx); err != nil {
		return p.callError("set attribute", name, 2, err)
	}
	sent, err := p.exposedName(name, true)
	if err == nil {
		name = sent
		_, err = p.invoke(ctx, "", "__setattr__", []any{sent, value}, noKwargs, 0)
	}
	return p.callError("set attribute", name, 2, err)
}

// Stream calls a method that returns an iterator or generator and yields its items as they
// are fetched, one round trip each. Stopping early closes the remote stream.
func (p *Proxy) Stream(ctx context.Context, method string, args ...any) iter.Seq2[any, error] {
	return func(yield func(any, error) bool) {
		args, kwargs := splitKwargs(args)
		fail := func(err error) { yield(nil, p.callError("call", method, len(args), err)) }
		if err := p.Bind(ctx); err != nil {
			fail(err)
			return
		}
		sent, err := p.exposedName(method, false)
		if err != nil {
			fail(err)
			return
		}
		method = sent
		r, err := p.invoke(ctx, "", method, args, kwargs, 0)
		if err != nil {
			fail(err)
			return
		}
		if r.streamID == "" {
			// Not a stream: a list or tuple result is iterated locally, like Python would.
			items, _ := asList(r.value)
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			return
		}
		for {
			item, err := p.invoke(ctx, DaemonObjectID, "get_next_stream_item", []any{r.streamID}, noKwargs, 0)
			if err != nil {
				var re *RemoteError
				if errors.As(err, &re) && re.Class == classStopIteration {
					return
				}
				if !errors.Is(err, ErrCommunication) {
					p.closeStream(r.streamID)
				}
				fail(err)
				return
			}
			if !yield(item.value, nil) {
				p.closeStream(r.streamID)
				return
			}
		}
	}
}

func (p *Proxy) closeStream(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p.invoke(ctx, DaemonObjectID, "close_stream", []any{id}, noKwargs, wire.FlagOneway)
}

// Batch collects calls to send in one message; Run sends them.
type Batch struct {
	p     *Proxy
	calls []any
}

// Batch starts a batch of calls on this proxy's object.
func (p *Proxy) Batch() *Batch { return &Batch{p: p} }

// Add queues a call (optionally ending with Kwargs).
func (b *Batch) Add(method string, args ...any) *Batch {
	args, kwargs := splitKwargs(args)
	if args == nil {
		args = []any{} // a nil Tuple would travel as None
	}
	b.calls = append(b.calls, pyval.Tuple{method, pyval.Tuple(args), kwargs})
	return b
}

// BatchError reports the call of a batch that failed; the calls after it were not run.
type BatchError struct {
	Index int
	Err   error
}

// Error says which call of the batch failed and why.
func (e *BatchError) Error() string {
	return fmt.Sprintf("pyro: batch call %d failed: %v", e.Index, e.Err)
}

// Unwrap returns the failure, usually a *RemoteError.
func (e *BatchError) Unwrap() error { return e.Err }

// Run sends the queued calls and returns the results of those that ran. If one raised, the
// results before it are returned with a *BatchError for it.
func (b *Batch) Run(ctx context.Context) ([]any, error) {
	if err := b.p.Bind(ctx); err != nil {
		return nil, b.p.callError("call", "<batch>", len(b.calls), err)
	}
	r, err := b.p.invoke(ctx, "", "<batch>", b.calls, nil, wire.FlagBatch)
	if err != nil {
		return nil, b.p.callError("call", "<batch>", len(b.calls), err)
	}
	results, ok := asList(r.value)
	if !ok {
		return nil, fmt.Errorf("%w: batch result is a %s, not a list", ErrProtocol, pyval.TypeName(r.value))
	}
	for i, res := range results {
		if class, ok := pyval.ClassOf(res); ok && isWrapperClass(class) {
			exc, _ := res.(*pyval.Dict).GetString("exception")
			return results[:i], &BatchError{Index: i, Err: remoteErrorFrom(exc)}
		}
	}
	return results, nil
}

// RunOneway sends the queued calls without waiting for any result.
func (b *Batch) RunOneway(ctx context.Context) error {
	err := b.p.Bind(ctx)
	if err == nil {
		_, err = b.p.invoke(ctx, "", "<batch>", b.calls, nil, wire.FlagBatch|wire.FlagOneway)
	}
	return b.p.callError("call", "<batch>", len(b.calls), err)
}
