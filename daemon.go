package pyro

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/gopyro/pyro/internal/wire"
	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

// DaemonObjectID is the id of the object every daemon serves about itself (metadata,
// item streams, ping).
const DaemonObjectID = "Pyro.Daemon"

// InstanceMode says how many instances of a registered type serve calls.
type InstanceMode int

const (
	// Single: one instance shared by every connection.
	Single InstanceMode = iota
	// Session: one instance per client connection, dropped when it disconnects.
	Session
	// PerCall: a new instance for every call.
	PerCall
)

// String returns Pyro4's name of the mode.
func (m InstanceMode) String() string {
	switch m {
	case Single:
		return "single"
	case Session:
		return "session"
	case PerCall:
		return "percall"
	}
	return "InstanceMode(" + strconv.Itoa(int(m)) + ")"
}

// Daemon serves registered Go objects to Pyro4 clients, Python or Go. Create one with
// NewDaemon, Register objects, then Serve. It is safe for concurrent use.
type Daemon struct {
	cfg      Config
	ln       net.Listener
	location URI // host/port or socket handed out in URIs
	wcfg     wire.Config
	accepted map[uint16]serializer.Codec

	mu       sync.RWMutex
	objects  map[string]*registration
	byPtr    map[any]string // registered pointers → id, for autoproxy
	conns    map[*serverConn]struct{}
	closing  bool
	serveErr chan struct{}

	streams streamTable
	wg      sync.WaitGroup // connection goroutines and oneway calls

	// baseCtx parents every call's context; Close cancels it so methods that honour their
	// context stop.
	baseCtx    context.Context
	cancelBase context.CancelFunc
}

// registration is one registered object id.
type registration struct {
	id       string
	et       *exposedType
	mode     InstanceMode
	instance reflect.Value // Single mode (also when created lazily from a factory)
	factory  reflect.Value // func() T for Session and PerCall, and lazy Single
	once     sync.Once
}

// RegisterOption adjusts one registration.
type RegisterOption func(*registerOptions)

type registerOptions struct {
	id string
	exposeOptions
}

// WithID registers the object under this id instead of a generated "obj_<hex>" one.
func WithID(id string) RegisterOption { return func(o *registerOptions) { o.id = id } }

// WithName exposes the Go method goName under pyName instead of its snake_case name (both
// stay callable): WithName("Dunder", "__dunder__").
func WithName(goName, pyName string) RegisterOption {
	return func(o *registerOptions) { o.names[goName] = pyName }
}

// WithOneway marks methods (by Go or exposed name) as oneway: clients do not wait for them.
func WithOneway(names ...string) RegisterOption {
	return func(o *registerOptions) {
		for _, n := range names {
			o.oneway[n] = true
		}
	}
}

// WithParams names a method's parameters so callers may pass them as keyword arguments and
// leave trailing ones out (they get their zero values): WithParams("Lookup", "name", "return_metadata").
func WithParams(goMethod string, names ...string) RegisterOption {
	return func(o *registerOptions) { o.params[goMethod] = names }
}

// WithClassName sets the class name Python-style error messages use for the object
// ("'EchoServer' object has no attribute 'x'"); the Go type's name by default.
func WithClassName(name string) RegisterOption {
	return func(o *registerOptions) { o.className = name }
}

// WithAttributes exposes Go getters (methods taking nothing and returning a value) as remote
// attributes, read-only unless a SetFoo method exists; Foo()/SetFoo pairs need no option.
func WithAttributes(goNames ...string) RegisterOption {
	return func(o *registerOptions) {
		for _, n := range goNames {
			o.attrs[n] = true
		}
	}
}

// WithHidden keeps the named Go methods from being exposed.
func WithHidden(goNames ...string) RegisterOption {
	return func(o *registerOptions) {
		for _, n := range goNames {
			o.hidden[n] = true
		}
	}
}

// NewDaemon listens on cfg's host and port (or unix socket) and returns a daemon ready for
// Register and Serve.
func NewDaemon(cfg Config) (*Daemon, error) {
	if cfg.Host == "" && cfg.UnixSocket == "" {
		cfg.Host = "localhost"
	}
	if len(cfg.SerializersAccepted) == 0 {
		cfg.SerializersAccepted = DefaultConfig().SerializersAccepted
	}
	d := &Daemon{
		cfg:      cfg,
		accepted: map[uint16]serializer.Codec{},
		objects:  map[string]*registration{},
		byPtr:    map[any]string{},
		conns:    map[*serverConn]struct{}{},
		serveErr: make(chan struct{}),
		wcfg:     wire.Config{MaxMessageSize: cfg.MaxMessageSize, HMACKey: cfg.HMACKey, Compress: cfg.Compression},
	}
	d.baseCtx, d.cancelBase = context.WithCancel(context.Background())
	for _, name := range cfg.SerializersAccepted {
		c, err := serializer.ByName(name)
		if err != nil {
			return nil, fmt.Errorf("pyro: accepted serializers: %w", err)
		}
		d.accepted[uint16(c.ID())] = c
	}
	var err error
	if cfg.UnixSocket != "" {
		d.ln, err = net.Listen("unix", cfg.UnixSocket)
		d.location = URI{Protocol: "PYRO", SockPath: cfg.UnixSocket}
	} else {
		d.ln, err = net.Listen("tcp", net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)))
		if err == nil {
			port := d.ln.Addr().(*net.TCPAddr).Port
			d.location = URI{Protocol: "PYRO", Host: cfg.Host, Port: port}
			if cfg.NATHost != "" {
				d.location.Host = cfg.NATHost
				if cfg.NATPort != 0 {
					d.location.Port = cfg.NATPort
				}
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("pyro: daemon listen: %w", err)
	}
	d.streams.init(cfg.StreamLinger, cfg.StreamLifetime)
	if _, err := d.Register(&daemonObject{d: d}, WithID(DaemonObjectID),
		WithParams("GetMetadata", "objectId", "as_lists"), WithOneway("close_stream")); err != nil {
		d.ln.Close()
		return nil, err
	}
	return d, nil
}

// Addr returns the address the daemon listens on.
func (d *Daemon) Addr() net.Addr { return d.ln.Addr() }

// Location returns the "host:port" or "./u:path" part of the daemon's URIs.
func (d *Daemon) Location() string { return d.location.Location() }

// Register serves obj (usually a pointer to a struct) in Single mode and returns its URI.
// Every exported method is exposed; options rename methods, mark them oneway, name their
// parameters or set the object id.
func (d *Daemon) Register(obj any, opts ...RegisterOption) (URI, error) {
	if obj == nil {
		return URI{}, errors.New("pyro: Register: nil object")
	}
	v := reflect.ValueOf(obj)
	return d.register(v.Type(), Single, v, reflect.Value{}, opts)
}

// RegisterFactory serves instances made by factory, a func() T, in the given instance mode:
// Single makes one lazily, Session one per client connection, PerCall one per call.
func (d *Daemon) RegisterFactory(mode InstanceMode, factory any, opts ...RegisterOption) (URI, error) {
	f := reflect.ValueOf(factory)
	if f.Kind() != reflect.Func || f.Type().NumIn() != 0 || f.Type().NumOut() != 1 {
		return URI{}, fmt.Errorf("pyro: RegisterFactory: factory must be a func() T, got %T", factory)
	}
	return d.register(f.Type().Out(0), mode, reflect.Value{}, f, opts)
}

func (d *Daemon) register(typ reflect.Type, mode InstanceMode, inst, factory reflect.Value, opts []RegisterOption) (URI, error) {
	o := registerOptions{exposeOptions: exposeOptions{
		names: map[string]string{}, oneway: map[string]bool{}, params: map[string][]string{}, hidden: map[string]bool{}, attrs: map[string]bool{},
	}}
	for _, opt := range opts {
		opt(&o)
	}
	et, err := buildExposed(typ, o.exposeOptions)
	if err != nil {
		return URI{}, err
	}
	if o.id == "" {
		var b [16]byte
		rand.Read(b[:])
		o.id = "obj_" + hex.EncodeToString(b[:])
	}
	reg := &registration{id: o.id, et: et, mode: mode, instance: inst, factory: factory}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, dup := d.objects[o.id]; dup {
		return URI{}, fmt.Errorf("pyro: object id %q already registered", o.id)
	}
	d.objects[o.id] = reg
	if inst.IsValid() && inst.Kind() == reflect.Pointer {
		d.byPtr[inst.Interface()] = o.id
	}
	return d.uriFor(o.id), nil
}

// Unregister removes an object; calls already running finish.
func (d *Daemon) Unregister(id string) error {
	if id == DaemonObjectID {
		return errors.New("pyro: cannot unregister the daemon object")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	r, ok := d.objects[id]
	if !ok {
		return fmt.Errorf("pyro: unregister %q: unknown object", id)
	}
	if r.instance.IsValid() && r.instance.Kind() == reflect.Pointer {
		delete(d.byPtr, r.instance.Interface())
	}
	delete(d.objects, id)
	return nil
}

// URIFor returns the URI of a registered object id.
func (d *Daemon) URIFor(id string) URI { return d.uriFor(id) }

func (d *Daemon) uriFor(id string) URI {
	u := d.location
	u.Object = id
	return u
}

// Registered returns the registered object ids, the daemon's own included.
func (d *Daemon) Registered() []string {
	d.mu.RLock()
	defer d.mu.RUnlock()
	ids := make([]string, 0, len(d.objects))
	for id := range d.objects {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// autoproxy replaces a registered object returned by a method with a proxy to it, as Pyro4's
// AUTOPROXY does, so callers get a remote reference instead of a copy.
func (d *Daemon) autoproxy(result any) any {
	v := reflect.ValueOf(result)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return result
	}
	d.mu.RLock()
	id, ok := d.byPtr[result]
	d.mu.RUnlock()
	if !ok {
		return result
	}
	if p, err := d.ProxyFor(id); err == nil {
		return p
	}
	return result
}

func (d *Daemon) lookup(id string) *registration {
	d.mu.RLock()
	r := d.objects[id]
	d.mu.RUnlock()
	return r
}

// Serve accepts connections until Shutdown or Close (it then returns ErrDaemonClosed) or
// until ctx is done (it then shuts down gracefully and returns ctx's error).
func (d *Daemon) Serve(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() { d.Shutdown(context.Background()) })
	defer stop()
	var tempDelay time.Duration
	for {
		nc, err := d.ln.Accept()
		if err != nil {
			if d.isClosing() {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return ErrDaemonClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded) || isTemporary(err) {
				// Out of file descriptors and the like: back off instead of spinning.
				tempDelay = min(max(2*tempDelay, 5*time.Millisecond), time.Second)
				d.cfg.logger().Warn("pyro: accept failed, retrying", "err", err, "delay", tempDelay)
				time.Sleep(tempDelay)
				continue
			}
			return fmt.Errorf("pyro: accept: %w", err)
		}
		tempDelay = 0
		sc := newServerConn(d, nc)
		d.mu.Lock()
		if d.closing {
			d.mu.Unlock()
			nc.Close()
			continue
		}
		d.conns[sc] = struct{}{}
		d.wg.Add(1)
		d.mu.Unlock()
		go sc.serve()
	}
}

func isTemporary(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

func (d *Daemon) isClosing() bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.closing
}

// Shutdown stops accepting connections, lets calls in flight finish and their replies go out,
// closes every connection and returns. If ctx ends first, the remaining connections are closed
// at once, the contexts of calls still running are cancelled, and ctx's error is returned
// without waiting for those calls.
func (d *Daemon) Shutdown(ctx context.Context) error {
	d.mu.Lock()
	already := d.closing
	d.closing = true
	conns := make([]*serverConn, 0, len(d.conns))
	for c := range d.conns {
		conns = append(conns, c)
	}
	d.mu.Unlock()
	if !already {
		d.ln.Close()
		if d.cfg.UnixSocket != "" {
			os.Remove(d.cfg.UnixSocket)
		}
	}
	for _, c := range conns {
		c.closeIfIdle()
	}
	done := make(chan struct{})
	go func() { d.wg.Wait(); close(done) }()
	select {
	case <-done:
		d.cancelBase()
		d.streams.closeAll()
		return nil
	case <-ctx.Done():
		d.cancelBase()
		for _, c := range conns {
			c.nc.Close()
		}
		d.streams.closeAll()
		return ctx.Err()
	}
}

// Close shuts the daemon down at once: calls in flight lose their connections and their
// contexts are cancelled.
func (d *Daemon) Close() error {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := d.Shutdown(ctx)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

func (d *Daemon) forget(c *serverConn) {
	d.mu.Lock()
	delete(d.conns, c)
	d.mu.Unlock()
}

// instance returns the receiver for one call according to the registration's mode.
func (r *registration) instanceFor(c *serverConn) reflect.Value {
	switch {
	case r.factory.IsValid() && r.mode == PerCall:
		return r.factory.Call(nil)[0]
	case r.factory.IsValid() && r.mode == Session:
		return c.sessionInstance(r)
	case r.factory.IsValid():
		r.once.Do(func() { r.instance = r.factory.Call(nil)[0] })
	}
	return r.instance
}

// daemonObject is what the daemon serves under "Pyro.Daemon".
type daemonObject struct{ d *Daemon }

// GetMetadata returns the exposed methods, oneway methods and attributes of an object: as
// sets over a call, as lists inside the connection handshake.
func (o *daemonObject) GetMetadata(objectID string, asLists bool) (*pyval.Dict, error) {
	r := o.d.lookup(objectID)
	if r == nil {
		return nil, NewError(classDaemonError, "unknown object")
	}
	return r.et.meta.dict(asLists), nil
}

// GetNextStreamItem returns the next item of an item stream, or raises StopIteration.
func (o *daemonObject) GetNextStreamItem(ctx context.Context, streamID string) (any, error) {
	return o.d.streams.next(ctx, streamID)
}

// CloseStream ends an item stream early.
func (o *daemonObject) CloseStream(streamID string) { o.d.streams.close(streamID) }

// Ping does nothing: a round trip proves the daemon is there.
func (o *daemonObject) Ping() {}

// Info describes the daemon.
func (o *daemonObject) Info() string {
	return fmt.Sprintf("%s bound on %s, NAT %s, %d objects registered. Servertype: pyro-go goroutine-per-connection",
		DaemonObjectID, o.d.Location(), natText(o.d.cfg), len(o.d.Registered()))
}

func natText(c Config) string {
	if c.NATHost == "" {
		return "None"
	}
	return net.JoinHostPort(c.NATHost, strconv.Itoa(c.NATPort))
}

// Registered lists the registered object ids.
func (o *daemonObject) Registered() []string { return o.d.Registered() }
