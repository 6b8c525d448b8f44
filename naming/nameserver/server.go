package nameserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/naming/store"
)

// Pyro4's ports for a name server. A zero Daemon.Port means any free port, as for a daemon
// (clients that find the name server by broadcast learn it); a zero BCPort means
// DefaultBCPort, where clients broadcast.
const (
	DefaultPort   = 9090 // the name server's TCP port (Pyro4's NS_PORT)
	DefaultBCPort = 9091 // the broadcast responder's UDP port (Pyro4's NS_BCPORT)
)

// Config configures a name server. A zero field means its default; pyro4-ns's defaults are
// Daemon.Port DefaultPort, BCPort DefaultBCPort and memory storage.
type Config struct {
	// Daemon is the daemon's configuration (Host, Port, UnixSocket, HMACKey, ...). An empty
	// Host (without UnixSocket) means "localhost"; Port 0 means any free port.
	Daemon pyro.DaemonConfig
	// Listener, when set, is served instead of listening on Daemon's address: a TLS
	// listener, a socket handed over by systemd, ... URIs carry its address (see
	// pyro.Daemon.Serve).
	Listener net.Listener
	// Storage is "memory" (default), "sql:FILE" or "etcd:ENDPOINTS[/PREFIX]" (several name
	// servers sharing one registry; see package etcdstore). Store, when set, is used instead
	// (an etcdstore.Store with TLS or auth, say); the server closes it.
	Storage string
	Store   store.Store
	// NoBroadcast disables the UDP broadcast responder. It is also off when the name server
	// is bound to a loopback or IPv6 address or a unix socket, as in Pyro4.
	NoBroadcast bool
	// BCHost and BCPort are where the responder listens ("" = all interfaces, 0 =
	// DefaultBCPort, negative = any free port).
	BCHost string
	BCPort int
	// AutoClean, when non-zero (at least 3 s), makes the name server check every registered
	// address and remove names unreachable for AutoCleanAfter, as Pyro4's NS_AUTOCLEAN does.
	AutoClean time.Duration
	// AutoCleanAfter is how long an address must stay unreachable before autoclean removes
	// its name (Pyro4: 20 s).
	AutoCleanAfter time.Duration
	// Logger receives events; nil means slog.Default().
	Logger *slog.Logger
}

// Server is a running name server: a daemon serving the NameServer object, and optionally a
// broadcast responder.
type Server struct {
	daemon   *pyro.Daemon
	ln       net.Listener
	ns       *NameServer
	store    store.Store
	uri      pyro.URI
	bc       net.PacketConn
	log      *slog.Logger
	existing int

	wg   sync.WaitGroup
	stop chan struct{}
	once sync.Once
}

// OpenStorage opens a storage by Pyro4's -s syntax, "memory" or "sql:FILE", or
// "etcd:ENDPOINTS[/PREFIX]" (see etcdstore.ParseSpec; for TLS and auth open the store
// with etcdstore.Open and set Config.Store).
func OpenStorage(spec string) (store.Store, error) {
	switch {
	case spec == "" || spec == "memory":
		return store.NewMemory(), nil
	case strings.HasPrefix(spec, "sql:"):
		return store.OpenSQL(spec[len("sql:"):])
	case strings.HasPrefix(spec, "etcd:"):
		return openEtcd(spec[len("etcd:"):])
	case strings.HasPrefix(spec, "dbm:"):
		return nil, fmt.Errorf("nameserver: storage %q: dbm is not supported (it drops metadata); use sql:FILE", spec)
	}
	return nil, fmt.Errorf("nameserver: invalid storage type %q (use memory, sql:FILE or etcd:ENDPOINTS[/PREFIX])", spec)
}

// Start creates the name server: it listens, registers its own entry and starts the
// broadcast responder. Call Serve to handle requests.
func Start(c Config) (*Server, error) {
	cfg := c.Daemon
	if cfg.Host == "" && cfg.UnixSocket == "" {
		cfg.Host = "localhost"
	}
	st := c.Store
	if st == nil {
		var err error
		if st, err = OpenStorage(c.Storage); err != nil {
			return nil, err
		}
	}
	log := c.Logger
	if log == nil {
		log = slog.Default()
	}
	cfg.Logger = log
	d, err := pyro.NewDaemon(cfg)
	ln := c.Listener
	if err == nil && ln == nil {
		ln, err = d.Listen()
	} else if err == nil {
		err = d.Attach(ln)
	}
	if err != nil {
		st.Close()
		return nil, err
	}
	s := &Server{daemon: d, ln: ln, ns: New(st), store: st, log: log, stop: make(chan struct{})}
	s.uri, err = d.Register(s.ns, registerOptions()...)
	if err == nil {
		ctx := context.Background()
		if s.existing, err = st.Count(ctx); err == nil {
			err = registerSelf(ctx, st, s.uri.String())
		}
	}
	if err == nil && !c.NoBroadcast && broadcastable(d.Addr()) {
		bcPort := c.BCPort
		switch {
		case bcPort == 0:
			bcPort = DefaultBCPort
		case bcPort < 0:
			bcPort = 0
		}
		err = s.startBroadcast(c.BCHost, bcPort)
	}
	if err == nil && c.AutoClean > 0 {
		if c.AutoClean < 3*time.Second {
			err = errors.New("nameserver: AutoClean cannot be smaller than 3 seconds")
		} else {
			after := c.AutoCleanAfter
			if after <= 0 {
				after = 20 * time.Second
			}
			s.wg.Add(1)
			go s.autoClean(c.AutoClean, after)
		}
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// broadcastable says whether Pyro4 would run a broadcast responder for this address: not for
// loopback, IPv6 or unix sockets.
func broadcastable(a net.Addr) bool {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || tcp.IP.IsLoopback() {
		return false
	}
	// Go binds 0.0.0.0 as a dual-stack [::] socket; that is still "all IPv4 interfaces".
	return tcp.IP.IsUnspecified() || tcp.IP.To4() != nil
}

// URI returns the name server's URI (PYRO:Pyro.NameServer@host:port).
func (s *Server) URI() pyro.URI { return s.uri }

// Daemon returns the daemon serving the name server; other objects may be registered on it.
func (s *Server) Daemon() *pyro.Daemon { return s.daemon }

// ExistingRegistrations is how many registrations the storage held at start (a reopened
// SQL file), not counting the name server's own.
func (s *Server) ExistingRegistrations() int {
	if s.existing > 0 {
		// the previous run's self-registration is among them
		if _, err := s.store.Lookup(context.Background(), pyro.NameServerObjectID); err == nil {
			return s.existing - 1
		}
	}
	return s.existing
}

// BroadcastAddr returns the address of the broadcast responder, or nil when none runs.
func (s *Server) BroadcastAddr() net.Addr {
	if s.bc == nil {
		return nil
	}
	return s.bc.LocalAddr()
}

// Serve handles requests until Shutdown or Close (it then returns pyro.ErrDaemonClosed) or
// until ctx is done: it then shuts the name server down gracefully, closes its storage and
// returns ctx's error.
func (s *Server) Serve(ctx context.Context) error {
	err := s.daemon.Serve(ctx, s.ln)
	if !errors.Is(err, pyro.ErrDaemonClosed) {
		// ctx ended (the daemon has shut down gracefully) or accepting failed: tear down
		// the rest; after Shutdown or Close those do it themselves.
		s.daemon.Close()
		s.closeRest()
	}
	return err
}

// Shutdown stops the name server gracefully (see pyro.Daemon.Shutdown) and closes its storage.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.daemon.Shutdown(ctx)
	s.closeRest()
	return err
}

// Close stops the name server at once and closes its storage.
func (s *Server) Close() error {
	s.daemon.Close()
	return s.closeRest()
}

func (s *Server) closeRest() error {
	var err error
	s.once.Do(func() {
		close(s.stop)
		s.ln.Close() // in case Serve never ran
		if s.bc != nil {
			s.bc.Close()
		}
		s.wg.Wait()
		err = s.store.Close()
	})
	return err
}

// startBroadcast answers "GET_NSURI" datagrams with the name server's URI.
func (s *Server) startBroadcast(host string, port int) error {
	pc, err := net.ListenPacket("udp4", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("nameserver: broadcast responder: %w", err)
	}
	s.bc = pc
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		buf := make([]byte, 100)
		for {
			n, addr, err := pc.ReadFrom(buf)
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				continue
			}
			if string(buf[:n]) != "GET_NSURI" {
				continue
			}
			pc.WriteTo([]byte(s.answerFor(addr)), addr)
		}
	}()
	return nil
}

// answerFor is the URI to tell a requester: when bound to all interfaces, the address of the
// interface that reaches it.
func (s *Server) answerFor(requester net.Addr) string {
	u := s.uri
	if u.Host == "0.0.0.0" || u.Host == "" {
		if ua, ok := requester.(*net.UDPAddr); ok {
			if c, err := net.DialUDP("udp4", nil, ua); err == nil {
				u.Host = c.LocalAddr().(*net.UDPAddr).IP.String()
				c.Close()
			}
		}
	}
	return u.String()
}

// autoClean removes registrations whose address has refused connections for unreachableFor.
func (s *Server) autoClean(period, unreachableFor time.Duration) {
	defer s.wg.Done()
	down := map[string]time.Time{}
	ticker := time.NewTicker(2 * time.Second)
	defer ticker.Stop()
	start := time.Now()
	for {
		select {
		case <-s.stop:
			return
		case <-ticker.C:
		}
		if time.Since(start) < period {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), period)
		entries, err := s.store.List(ctx, store.Filter{})
		cancel()
		if err != nil {
			continue
		}
		leaser, _ := store.Find[store.Leaser](s.store)
		for _, e := range entries {
			if e.Name == pyro.NameServerObjectID || (leaser != nil && leaser.Leased(e.Name)) {
				continue // a leased name lives as long as its owner renews the lease
			}
			u, err := pyro.ParseURI(e.URI)
			if err != nil || u.Protocol != pyro.ProtocolPyro {
				continue
			}
			c, err := net.DialTimeout(u.Network(), u.Address(), 5*time.Second)
			if err == nil {
				c.Close()
				delete(down, e.Name)
				continue
			}
			since, seen := down[e.Name]
			if !seen {
				down[e.Name] = time.Now()
			} else if time.Since(since) >= unreachableFor {
				if removed, _ := s.store.Remove(context.Background(), e.Name); removed {
					s.log.Info("nameserver: autoclean removed unreachable registration", "name", e.Name, "uri", e.URI)
				}
				delete(down, e.Name)
			}
		}
	}
}
