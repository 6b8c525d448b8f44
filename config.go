package pyro

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"time"
)

// Defaults that a zero configuration field stands for.
const (
	// DefaultHost is where a daemon listens, and the host in its URIs, when DaemonConfig.Host
	// is empty; it is also the name server host a proxy looks for.
	DefaultHost = "localhost"
	// DefaultSerializer is the codec a proxy uses when ProxyConfig.Serializer is empty.
	DefaultSerializer = "serpent"
	// DefaultNSPort and DefaultNSBCPort are the name server's TCP port and its UDP broadcast
	// responder's port.
	DefaultNSPort   = 9090
	DefaultNSBCPort = 9091
	// DefaultHandshakeTimeout bounds a daemon's wait for a new connection's first message.
	DefaultHandshakeTimeout = 30 * time.Second
	// DefaultStreamLinger is how long a disconnected client's item streams are kept.
	DefaultStreamLinger = 30 * time.Second
	// DefaultMaxConns and DefaultMaxIdleConns bound a proxy's connections in use and idle.
	DefaultMaxConns     = 32
	DefaultMaxIdleConns = 16
)

// defaultSerializersAccepted is what a daemon accepts when DaemonConfig.SerializersAccepted
// is empty: Pyro4's serpent, marshal and json, and msgpack too.
var defaultSerializersAccepted = []string{"serpent", "marshal", "json", "msgpack"}

// Transport holds the connection settings a daemon and a proxy share: both peers must agree
// on HMACKey, and each side applies the limits to what it reads. The zero value is Pyro4's
// default: no size limit, no compression, no HMAC, no timeout.
type Transport struct {
	// MaxMessageSize bounds a message's data plus annotations (0: unlimited). An oversized
	// message closes the connection.
	MaxMessageSize int
	// Compression zlib-compresses outgoing payloads of 200 bytes or more when that helps.
	Compression bool
	// HMACKey, when set, signs and checks every message (both peers must share it).
	HMACKey []byte
	// CommTimeout bounds each network read and write (0: none). A daemon closes a connection
	// idle this long; a proxy gives up on a call this slow unless its context says otherwise.
	CommTimeout time.Duration
}

// DaemonConfig configures a Daemon. A zero field means the default its comment gives, so
// NewDaemon(DaemonConfig{}) serves on localhost at a free port with Pyro4's defaults.
// DaemonConfigFromEnv reads the PYRO_* variables Pyro4 reads.
type DaemonConfig struct {
	// Host is where Listen listens and the host in the daemon's URIs (DefaultHost). With a
	// listener of the caller's (Serve) and no Host, URIs carry the listener's address.
	Host string
	// Port is Listen's TCP port; 0 picks a free one.
	Port int
	// UnixSocket, when set, makes Listen use this unix socket path instead of TCP.
	UnixSocket string
	// NATHost and NATPort, when set, replace host and port in the URIs the daemon hands out.
	NATHost string
	NATPort int

	// SerializersAccepted lists the serializers the daemon accepts (default: serpent,
	// marshal, json and msgpack).
	SerializersAccepted []string

	Transport

	// TLSConfig, when set, makes the daemon speak TLS on every connection it serves (those
	// it accepts, and ServeConn's unless already a *tls.Conn): a server certificate and,
	// with ClientAuth, mutual TLS (Pyro's SSL settings; TLSFiles.ServerConfig builds one).
	// ConnInfo.TLS tells methods and the Handshake hook who connected.
	TLSConfig *tls.Config
	// ClientTLSConfig is the TLS client side of the proxies the daemon makes: those that
	// arrive in calls (callbacks), ProxyFor's, and naming.Serve's name server lookups
	// (TLSFiles.ClientConfig builds one). Nil: they connect without TLS.
	ClientTLSConfig *tls.Config

	// HandshakeTimeout bounds the wait for a new connection's first message
	// (DefaultHandshakeTimeout; negative: forever, as Pyro4). Pyro clients send it at once,
	// so this only ends connections that never speak.
	HandshakeTimeout time.Duration
	// StreamLinger is how long a disconnected client's item streams are kept for it to
	// resume (DefaultStreamLinger, Pyro4's ITER_STREAM_LINGER; negative: not kept).
	StreamLinger time.Duration
	// StreamLifetime bounds an item stream's age (0: no limit).
	StreamLifetime time.Duration

	// Limits bound what clients can make the daemon hold (limits.go): its memory budget
	// and what one connection may queue.
	Limits

	// Handshake validates a client's handshake data and returns the answer ("hello" when
	// nil); an error rejects the connection with its message (Pyro4's validateHandshake).
	// ctx carries the connection's ConnInfo (ConnInfoFrom: the client's address, the
	// CONNECT message's annotations) and takes SetResponseAnnotation for the answer.
	Handshake func(ctx context.Context, data any) (any, error)
	// OnDisconnect, when set, is called once for every connection that passed its handshake,
	// after its last reply, when the client hangs up or the daemon closes it (Pyro4's
	// clientDisconnect). ctx carries the connection's ConnInfo; it is cancelled only by a
	// forced shutdown, which does not wait for the hook. It runs on the connection's
	// goroutine: Shutdown waits for it.
	OnDisconnect func(ctx context.Context)
	// ResponseAnnotations, when set, gives custom annotations for every reply the daemon
	// sends (handshake answers, results, exceptions, pings), after the correlation id and
	// what SetResponseAnnotation added (Pyro4's Daemon.annotations). ctx is the connection's,
	// with its ConnInfo. Invalid annotations are logged and not sent.
	ResponseAnnotations func(ctx context.Context) Annotations

	// Logger receives connection-level events (slog.Default() when nil), and the stack of
	// every method that panicked.
	Logger *slog.Logger
	// DetailedTraceback sends remote callers the Go detail of a failure in the exception's
	// traceback: the file, line and function of each frame of a panic, the Go types of a
	// returned error's chain (Pyro4's DETAILED_TRACEBACK). Off by default, as that tells any
	// client about the server's code; the exception's class and message always travel.
	DetailedTraceback bool

	// Observer, when set, sees every connection, call and item stream (observer.go):
	// metrics (observe/prom), traces (observe/tracing), logs (SlogObserver).
	Observer DaemonObserver
}

// withDefaults returns the configuration with every zero field replaced by its default.
// Host stays as given: an empty one lets Serve take URIs from the caller's listener.
func (c DaemonConfig) withDefaults() DaemonConfig {
	if len(c.SerializersAccepted) == 0 {
		c.SerializersAccepted = defaultSerializersAccepted
	}
	c.HandshakeTimeout = orDefault(c.HandshakeTimeout, DefaultHandshakeTimeout)
	c.StreamLinger = orDefault(c.StreamLinger, DefaultStreamLinger)
	c.Limits = c.Limits.withDefaults()
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// ProxyConfig configures a Proxy (and the name server lookups it makes to resolve
// PYRONAME and PYROMETA URIs). A zero field means the default its comment gives.
// ProxyConfigFromEnv reads the PYRO_* variables Pyro4 reads.
type ProxyConfig struct {
	// Serializer is the codec's Pyro name: serpent (DefaultSerializer), json, marshal or
	// msgpack.
	Serializer string

	// Protocol is the wire protocol the proxy speaks: Pyro4, Pyro5, or AutoProtocol (the
	// zero value), which finds out per daemon address (see AutoProtocol). Pyro5 cannot be
	// combined with an HMAC key.
	Protocol WireProtocol

	Transport

	// HandshakeData is what the proxy sends in the connection handshake ("hello" when nil).
	HandshakeData any

	// MaxConns bounds the connections in use at once (DefaultMaxConns; negative: no limit).
	// Callers beyond it wait for a free connection within their context. A Python daemon
	// serves at most 40 connections (its thread pool) and refuses more.
	MaxConns int
	// MaxIdleConns bounds the idle connections kept open (DefaultMaxIdleConns; negative:
	// none).
	MaxIdleConns int

	// Annotations, when set, gives custom annotations for every message the proxy sends:
	// each new connection's CONNECT and every call (Pyro4's _pyroAnnotations). ctx is the
	// call's; annotations from WithAnnotations on it are added over the returned ones.
	Annotations func(ctx context.Context) Annotations
	// OnResponseAnnotations, when set, is called with the custom annotations of every reply
	// the proxy reads, kind saying which (Pyro4's _pyroResponseAnnotations), on the caller's
	// goroutine before the call returns; a is nil when the reply has none.
	OnResponseAnnotations func(ctx context.Context, kind ResponseKind, a Annotations)

	// NSHost and NSPort locate the name server (DefaultHost, DefaultNSPort); NSBCPort is its
	// UDP broadcast port (DefaultNSBCPort).
	NSHost   string
	NSPort   int
	NSBCPort int

	// Dial opens the proxy's connections, with a URI's Network() and Address() (a
	// net.Dialer's DialContext, bounded by CommTimeout, when nil). A tls.Dialer's
	// DialContext, an SSH tunnel or one end of a net.Pipe fit here.
	Dial func(ctx context.Context, network, address string) (net.Conn, error)

	// Observer, when set, sees every call, dial and pool wait (observer_proxy.go): metrics
	// (observe/prom), traces (observe/tracing).
	Observer ProxyObserver

	// TLSConfig, when set, makes the proxy (and its name server lookups) speak TLS: each
	// connection Dial opens is handshaken as a TLS client, the daemon's certificate checked
	// against the URI's host unless ServerName says otherwise ("localhost" for a unix
	// socket). A connection Dial returns as a *tls.Conn is used as it is.
	// TLSFiles.ClientConfig builds one from Pyro's SSL settings.
	TLSConfig *tls.Config
}

// withDefaults returns the configuration with every zero field replaced by its default.
func (c ProxyConfig) withDefaults() ProxyConfig {
	c.Serializer = orDefault(c.Serializer, DefaultSerializer)
	if c.HandshakeData == nil {
		c.HandshakeData = "hello"
	}
	c.MaxConns = orDefault(c.MaxConns, DefaultMaxConns)
	c.MaxIdleConns = orDefault(c.MaxIdleConns, DefaultMaxIdleConns)
	c.NSHost = orDefault(c.NSHost, DefaultHost)
	c.NSPort = orDefault(c.NSPort, DefaultNSPort)
	c.NSBCPort = orDefault(c.NSBCPort, DefaultNSBCPort)
	return c
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// ProxyOption adjusts one proxy. Options fill a private configuration, so their order does
// not matter: WithConfig gives the base, the other options override its fields.
type ProxyOption func(*proxyOptions)

type proxyOptions struct {
	base      ProxyConfig
	overrides []func(*ProxyConfig)
}

func (o *proxyOptions) set(f func(*ProxyConfig)) { o.overrides = append(o.overrides, f) }

// proxyConfigOf applies the options: the base configuration, then the overrides in order.
// Defaults are not filled in yet (withDefaults does that), so a caller can tell what was set.
func proxyConfigOf(opts []ProxyOption) ProxyConfig {
	var o proxyOptions
	for _, opt := range opts {
		opt(&o)
	}
	cfg := o.base
	for _, f := range o.overrides {
		f(&cfg)
	}
	return cfg
}

// WithConfig gives the proxy a whole configuration (for example ProxyConfigFromEnv's); the
// other options override its fields whatever their order.
func WithConfig(cfg ProxyConfig) ProxyOption {
	return func(o *proxyOptions) { o.base = cfg }
}

// WithSerializer picks the codec by Pyro name: "serpent" (default), "json", "marshal",
// "msgpack".
func WithSerializer(name string) ProxyOption {
	return func(o *proxyOptions) { o.set(func(c *ProxyConfig) { c.Serializer = name }) }
}

// WithProtocol picks the wire protocol: Pyro4, Pyro5 or AutoProtocol (the default). See
// ProxyConfig.Protocol.
func WithProtocol(p WireProtocol) ProxyOption {
	return func(o *proxyOptions) { o.set(func(c *ProxyConfig) { c.Protocol = p }) }
}

// WithMaxConns bounds how many connections the proxy uses at once (DefaultMaxConns when 0;
// negative means no limit). See ProxyConfig.MaxConns.
func WithMaxConns(n int) ProxyOption {
	return func(o *proxyOptions) { o.set(func(c *ProxyConfig) { c.MaxConns = n }) }
}

// WithSingleConnection makes the proxy use one connection, as a Pyro4 proxy does, instead of
// a pool: concurrent calls wait for each other, and a Session-mode object on the daemon is
// one instance for the whole proxy. With a pool, each connection is a session of its own,
// so concurrent callers on one proxy may meet different Session instances. A call that
// fails with ErrCommunication drops the connection, and the next one opens a new session,
// as do Release and Reconnect. It is WithMaxConns(1) with one idle connection kept.
func WithSingleConnection() ProxyOption {
	return func(o *proxyOptions) {
		o.set(func(c *ProxyConfig) { c.MaxConns, c.MaxIdleConns = 1, 1 })
	}
}

// WithAnnotationFunc sets the function giving custom annotations for every message the
// proxy sends (see ProxyConfig.Annotations); WithAnnotations adds some for one call.
func WithAnnotationFunc(f func(ctx context.Context) Annotations) ProxyOption {
	return func(o *proxyOptions) { o.set(func(c *ProxyConfig) { c.Annotations = f }) }
}

// WithResponseAnnotationFunc sets the function that sees the custom annotations of every
// reply (see ProxyConfig.OnResponseAnnotations); CaptureResponseAnnotations reads one call's.
func WithResponseAnnotationFunc(f func(ctx context.Context, kind ResponseKind, a Annotations)) ProxyOption {
	return func(o *proxyOptions) { o.set(func(c *ProxyConfig) { c.OnResponseAnnotations = f }) }
}

// WithMaxIdleConns bounds how many idle connections the proxy keeps open
// (DefaultMaxIdleConns when 0; negative keeps none).
func WithMaxIdleConns(n int) ProxyOption {
	return func(o *proxyOptions) { o.set(func(c *ProxyConfig) { c.MaxIdleConns = n }) }
}

// WithDialer sets the function that opens the proxy's connections (see ProxyConfig.Dial).
func WithDialer(dial func(ctx context.Context, network, address string) (net.Conn, error)) ProxyOption {
	return func(o *proxyOptions) { o.set(func(c *ProxyConfig) { c.Dial = dial }) }
}

// WithTLSConfig makes the proxy speak TLS with cfg (see ProxyConfig.TLSConfig).
func WithTLSConfig(cfg *tls.Config) ProxyOption {
	return func(o *proxyOptions) { o.set(func(c *ProxyConfig) { c.TLSConfig = cfg }) }
}

// WithHMACKey sets the HMAC key shared with the daemon.
func WithHMACKey(key []byte) ProxyOption {
	return func(o *proxyOptions) { o.set(func(c *ProxyConfig) { c.HMACKey = key }) }
}

// WithNameServer sets where PYRONAME and PYROMETA URIs without a location are resolved
// (port 0: DefaultNSPort).
func WithNameServer(host string, port int) ProxyOption {
	return func(o *proxyOptions) {
		o.set(func(c *ProxyConfig) { c.NSHost, c.NSPort = host, port })
	}
}
