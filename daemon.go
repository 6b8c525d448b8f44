package pyro

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"reflect"
	"slices"
	"strconv"
	"sync"

	"github.com/gopyro/pyro/internal/wire"
	"github.com/gopyro/pyro/internal/wire5"
	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

// DaemonObjectID is the id of the object every daemon serves about itself (metadata,
// item streams, ping).
const DaemonObjectID = "Pyro.Daemon"

// Daemon serves registered Go objects to Pyro clients, Python or Go. NewDaemon makes one
// without any I/O; Register objects, then serve them: ListenAndServe on the configured
// address, Serve on a listener of the caller's, or ServeConn on one connection. It is safe
// for concurrent use.
type Daemon struct {
	cfg      DaemonConfig
	wcfg     wire.Config
	w5cfg    wire5.Config
	accepted map[uint16]serializer.Codec

	mu        sync.RWMutex
	location  URI      // host/port or socket handed out in URIs; zero until a listener is known
	addr      net.Addr // the listener the location came from
	listeners map[net.Listener]struct{}
	objects   sync.Map // id → *registration: calls look up without locking; written under mu
	conns     map[*serverConn]struct{}
	denying   int // of conns, those being denied (Limits.MaxConnections)
	closing   bool
	shutDown  bool // Shutdown has finished: registrations no longer enter the autoproxy table

	streams  streamTable
	wg       sync.WaitGroup  // connection goroutines and oneway calls
	replacer *pyval.Replacer // sends registered objects in results as proxies (autoproxy.go)

	shutdownOnce sync.Once
	shutdownDone chan struct{} // closed when the first Shutdown returns

	// baseCtx parents every call's context; a forced shutdown cancels it, after closing the
	// connections, so methods that honour their context stop.
	baseCtx    context.Context
	cancelBase context.CancelFunc
}

// registration is one registered object id.
type registration struct {
	id       string
	et       *exposedType
	mode     InstanceMode
	instance reflect.Value // Single mode (also when created lazily from a factory)
	factory  reflect.Value // func() T or func(context.Context) T: Session, PerCall, lazy Single
	withCtx  bool          // the factory takes a context
	singleMu sync.Mutex    // held while a factory makes the Single instance
	proxied  any           // the instance in the autoproxy table (registeredObjects), if any
}

// NewDaemon returns a daemon ready for Register and serving. It does no I/O; a zero
// DaemonConfig means the defaults.
func NewDaemon(cfg DaemonConfig) (*Daemon, error) {
	cfg = cfg.withDefaults()
	d := &Daemon{
		cfg:          cfg,
		accepted:     map[uint16]serializer.Codec{},
		listeners:    map[net.Listener]struct{}{},
		conns:        map[*serverConn]struct{}{},
		shutdownDone: make(chan struct{}),
		wcfg:         wire.Config{MaxMessageSize: cfg.MaxMessageSize, HMACKey: cfg.HMACKey, Compress: cfg.Compression},
		w5cfg:        wire5Config(cfg.Transport),
	}
	d.wcfg.Budget = cfg.budget()
	d.w5cfg.Budget = d.wcfg.Budget
	d.baseCtx, d.cancelBase = context.WithCancel(context.Background())
	d.replacer = proxyReplacer(d)
	for _, name := range cfg.SerializersAccepted {
		c, err := serializer.ByName(name)
		if err != nil {
			return nil, fmt.Errorf("pyro: accepted serializers: %w", err)
		}
		d.accepted[uint16(c.ID())] = c
	}
	linger := max(cfg.StreamLinger, 0)
	d.streams.init(linger, cfg.StreamLifetime)
	if _, err := d.Register(&daemonObject{d: d}, WithID(DaemonObjectID),
		WithParams("GetMetadata", "objectId", "as_lists"), WithOneway("close_stream")); err != nil {
		return nil, err
	}
	return d, nil
}

// Config returns the daemon's configuration, defaults filled in: helpers that talk to other
// servers on the daemon's behalf (a name server) take its Transport from here.
func (d *Daemon) Config() DaemonConfig {
	c := d.cfg
	c.SerializersAccepted = slices.Clone(c.SerializersAccepted)
	c.HMACKey = slices.Clone(c.HMACKey)
	return c
}

// Addr returns the address of the listener the daemon's URIs were taken from, or nil
// before Listen or Serve.
func (d *Daemon) Addr() net.Addr {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.addr
}

// Location returns the "host:port" or "./u:path" part of the daemon's URIs.
func (d *Daemon) Location() string {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.locationLocked().Location()
}

// locationLocked returns where URIs point: the listener's address once there is one, else
// the configured address; NATHost and NATPort replace host and port.
func (d *Daemon) locationLocked() URI {
	if d.location.Protocol != "" {
		return d.location
	}
	if d.cfg.UnixSocket != "" {
		return URI{Protocol: ProtocolPyro, SockPath: d.cfg.UnixSocket}
	}
	return d.withNAT(URI{Protocol: ProtocolPyro, Host: orDefault(d.cfg.Host, DefaultHost), Port: d.cfg.Port})
}

func (d *Daemon) withNAT(u URI) URI {
	if d.cfg.NATHost != "" && u.SockPath == "" {
		u.Host = d.cfg.NATHost
		if d.cfg.NATPort != 0 {
			u.Port = d.cfg.NATPort
		}
	}
	return u
}

// adoptLocationLocked takes the URI location from a listener unless one is known already.
// host is the host to put in URIs; empty means the listener's own address.
func (d *Daemon) adoptLocationLocked(a net.Addr, host string) {
	if d.location.Protocol != "" {
		return
	}
	d.addr = a
	switch a := a.(type) {
	case *net.UnixAddr:
		d.location = URI{Protocol: ProtocolPyro, SockPath: a.Name}
	case *net.TCPAddr:
		if host == "" {
			host = a.IP.String()
			if a.IP.IsUnspecified() {
				host = DefaultHost // "::" or "0.0.0.0" is nowhere to connect to
			}
		}
		d.location = d.withNAT(URI{Protocol: ProtocolPyro, Host: host, Port: a.Port})
	default:
		d.location = d.locationLocked()
		d.location.Object = ""
	}
}

// Register serves obj (usually a pointer to a struct) in Single mode and returns its URI at
// the daemon's location (register after Listen when the port is picked at random). Every
// exported method is exposed; for servers prefer RegisterAs (or WithInterface), which
// publishes an interface's methods only. Options rename methods, mark them oneway, name
// their parameters or set the object id.
func (d *Daemon) Register(obj any, opts ...RegisterOption) (URI, error) {
	if obj == nil {
		return URI{}, errors.New("pyro: Register: nil object")
	}
	v := reflect.ValueOf(obj)
	return d.register(v.Type(), Single, v, reflect.Value{}, opts)
}

// RegisterFactory serves instances made by factory in the given instance mode: Single makes
// one lazily, Session one per client connection, PerCall one per call.
//
// factory is a func() T or a func(context.Context) T. The context carries the CallInfo (with
// the request's annotations) and the ConnInfo of the call that asked for the instance, so a
// Session object can know whom it serves (Pyro4's usersession example), and it lives as long
// as the instance is served, so context.AfterFunc can clean up after it: for PerCall it is
// the call's own context, for Session it ends with the connection, for Single with the
// daemon. A Go proxy spreads
// its calls over a pool of connections, each a session of its own: see WithSingleConnection.
// A factory that panics fails the call with a RuntimeError; it is asked again next time.
func (d *Daemon) RegisterFactory(mode InstanceMode, factory any, opts ...RegisterOption) (URI, error) {
	f := reflect.ValueOf(factory)
	if f.Kind() != reflect.Func || f.Type().NumOut() != 1 || f.Type().IsVariadic() ||
		f.Type().NumIn() > 1 || f.Type().NumIn() == 1 && f.Type().In(0) != contextType {
		return URI{}, fmt.Errorf("pyro: RegisterFactory: factory must be a func() T or func(context.Context) T, got %T", factory)
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
	o.factory = factory.IsValid()
	if err := o.onlyInterface(typ); err != nil {
		return URI{}, err
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
	reg := &registration{id: o.id, et: et, mode: mode, instance: inst, factory: factory,
		withCtx: factory.IsValid() && factory.Type().NumIn() == 1}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, dup := d.objects.Load(o.id); dup {
		return URI{}, fmt.Errorf("pyro: object id %q already registered", o.id)
	}
	if inst.IsValid() && inst.Kind() == reflect.Pointer && o.id != DaemonObjectID && !d.shutDown {
		reg.proxied = inst.Interface()
		registeredObjects.add(reg.proxied, d, o.id) // for autoproxy (autoproxy.go)
	}
	d.objects.Store(o.id, reg) // last: a call that finds the object finds it in the autoproxy table too
	return d.uriForLocked(o.id), nil
}

// Unregister removes an object; calls already running finish.
func (d *Daemon) Unregister(id string) error {
	if id == DaemonObjectID {
		return errors.New("pyro: cannot unregister the daemon object")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	v, ok := d.objects.LoadAndDelete(id)
	if !ok {
		return fmt.Errorf("pyro: unregister %q: unknown object", id)
	}
	if r := v.(*registration); r.proxied != nil {
		registeredObjects.remove(r.proxied, d, id)
	}
	return nil
}

// URIFor returns the URI of an object id at the daemon's location (see Location).
func (d *Daemon) URIFor(id string) URI {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.uriForLocked(id)
}

func (d *Daemon) uriForLocked(id string) URI {
	u := d.locationLocked()
	u.Object = id
	return u
}

// Registered returns the registered object ids, the daemon's own included.
func (d *Daemon) Registered() []string {
	var ids []string
	d.objects.Range(func(id, _ any) bool {
		ids = append(ids, id.(string))
		return true
	})
	slices.Sort(ids)
	return ids
}

func (d *Daemon) lookup(id string) *registration {
	if r, ok := d.objects.Load(id); ok {
		return r.(*registration)
	}
	return nil
}

// instanceFor returns the receiver for one call according to the registration's mode.
func (r *registration) instanceFor(s *callScope) (reflect.Value, error) {
	switch {
	case !r.factory.IsValid():
		return r.instance, nil
	case r.mode == PerCall:
		return r.newInstance(s.c.log(), s.context)
	case r.mode == Session:
		return s.c.sessionInstance(r, s)
	}
	r.singleMu.Lock()
	defer r.singleMu.Unlock()
	if !r.instance.IsValid() {
		// The instance lives as long as the daemon: so does its factory's context.
		inst, err := r.newInstance(s.c.log(), func() context.Context {
			return context.WithValue(s.c.detached, callInfoKey{}, s.info())
		})
		if err != nil {
			return reflect.Value{}, err
		}
		r.instance = inst
	}
	return r.instance, nil
}

// newInstance calls the factory, with the context ctx makes when it takes one. A panic
// becomes a RuntimeError for the caller (logged, not sent).
func (r *registration) newInstance(log *slog.Logger, ctx func() context.Context) (inst reflect.Value, err error) {
	defer func() {
		if p := recover(); p != nil {
			inst, err = reflect.Value{}, NewError("builtins.RuntimeError", "cannot create an instance of %s", r.id)
			log.Error("pyro: factory panicked", "object", r.id, "panic", p)
		}
	}()
	var in []reflect.Value
	if r.withCtx {
		in = []reflect.Value{reflect.ValueOf(ctx())}
	}
	return r.factory.Call(in)[0], nil
}

// daemonObject is what the daemon serves under "Pyro.Daemon".
type daemonObject struct{ d *Daemon }

// GetMetadata returns the exposed methods, oneway methods and attributes of an object: as
// sets over a call, as lists inside a Pyro4 connection handshake. Pyro5 calls it with the
// object id alone.
func (o *daemonObject) GetMetadata(ctx context.Context, objectID string, asLists bool) (*pyval.Dict, error) {
	r := o.d.lookup(objectID)
	if r == nil {
		return nil, NewError(classDaemonError, "unknown object")
	}
	proto := Pyro4
	if ci, ok := ConnInfoFrom(ctx); ok {
		proto = ci.Protocol
	}
	return o.d.metadataFor(r, proto, asLists), nil
}

// metadataFor is an object's metadata as a client of protocol p gets it. Pyro5's handshake
// carries sets, as its get_metadata returns (Pyro4's asks for lists), and Pyro5's daemon
// object has no oneway method: its proxies send close_stream oneway by themselves.
func (d *Daemon) metadataFor(r *registration, p WireProtocol, asLists bool) *pyval.Dict {
	if p != Pyro5 {
		return r.et.metaFor(Pyro4).dict(asLists)
	}
	meta := r.et.metaFor(Pyro5)
	if r.id == DaemonObjectID {
		meta.Oneway = nil
	}
	return meta.dict(false)
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

func natText(c DaemonConfig) string {
	if c.NATHost == "" {
		return "None"
	}
	return net.JoinHostPort(c.NATHost, strconv.Itoa(c.NATPort))
}

// Registered lists the registered object ids.
func (o *daemonObject) Registered() []string { return o.d.Registered() }
