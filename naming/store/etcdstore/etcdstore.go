// Package etcdstore keeps a name server's registrations in etcd, so that several name servers
// serve one registry and none of them is a single point of failure.
//
// Each registration is one etcd key, PREFIX/n/NAME, whose value holds the URI and the tags;
// List's order (registration order, as Pyro4's memory storage) is the keys' creation
// revision. Writes return only after etcd committed them, and after the local copy has seen
// them, so a client reads its own writes through the same name server. Reads (Lookup, List,
// Count) are answered from that local copy, kept current by an etcd watch: they cost what
// the memory store's cost.
//
// Consistency: a read may miss writes made through another name server in the last moments
// (the watch's delivery delay, typically a millisecond on a LAN), never more than
// Config.StaleAfter. The store asks etcd for a watch progress notification every
// StaleAfter/4; each one proves the copy held every write committed before it was asked.
// When no proof is younger than StaleAfter (etcd unreachable, no quorum, watch broken), every
// read fails with ErrStale instead of answering from an old copy, and writes fail with the
// etcd client's error after Config.RequestTimeout. When etcd answers again the store
// reloads and catches up by itself.
//
// Leases (store.Leaser) are etcd leases; the store's own session lease holds the entries
// registered with RegisterOwned (store.Owner). It works with etcd 3.4 and later servers.
package etcdstore

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gopyro/pyro/naming/store"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// Defaults of Config's zero fields.
const (
	DefaultPrefix         = "pyro"
	DefaultStaleAfter     = 3 * time.Second
	DefaultRequestTimeout = 5 * time.Second
	DefaultDialTimeout    = 5 * time.Second
	DefaultSessionTTL     = 10 * time.Second
)

// ErrStale means the store cannot prove its local copy is current: it has had no contact
// with etcd for longer than Config.StaleAfter. The error says why.
var ErrStale = errors.New("etcdstore: registry unavailable (lost contact with etcd)")

// ErrInvalidSpec means ParseSpec was given a malformed storage spec.
var ErrInvalidSpec = errors.New("etcdstore: invalid storage spec")

// Config says where etcd is and how to talk to it. A zero field means its default.
type Config struct {
	// Endpoints are etcd's client URLs: host:port or http(s)://host:port.
	Endpoints []string
	// Prefix is prepended (with a "/") to every key, so several registries share one etcd
	// (default "pyro").
	Prefix string
	// TLS, when set, is used for every connection (etcdctl's --cacert/--cert/--key).
	TLS *tls.Config
	// Username and Password authenticate with etcd's auth (etcdctl's --user).
	Username, Password string
	// DialTimeout bounds connecting at Open (default 5 s).
	DialTimeout time.Duration
	// RequestTimeout bounds every etcd request a write makes (default 5 s).
	RequestTimeout time.Duration
	// StaleAfter is the most a read may lag behind etcd; reads fail with ErrStale beyond it
	// (default 3 s, at least 200 ms).
	StaleAfter time.Duration
	// SessionTTL is the TTL of the store's session lease (default 10 s): RegisterOwned
	// entries of a store that died vanish within it.
	SessionTTL time.Duration
	// Logger receives events; nil means slog.Default().
	Logger *slog.Logger
}

// ParseSpec reads the part of "-s etcd:ENDPOINTS[/PREFIX]" after "etcd:": comma-separated
// endpoints (host:port, or http(s)://host:port), then optionally a slash and the key
// prefix: "127.0.0.1:2379,127.0.0.1:22379/pyro", "https://etcd1:2379/apps/pyro".
func ParseSpec(spec string) (Config, error) {
	var c Config
	rest := spec
	// The prefix starts at the first "/" that is not part of a scheme's "://".
	cut := -1
	for i := 0; i < len(rest); i++ {
		if rest[i] != '/' {
			continue
		}
		if strings.HasSuffix(rest[:i], ":") && strings.HasPrefix(rest[i:], "//") {
			i++
			continue
		}
		cut = i
		break
	}
	if cut >= 0 {
		c.Prefix = strings.Trim(rest[cut+1:], "/")
		rest = rest[:cut]
		if c.Prefix == "" {
			return c, fmt.Errorf("%w: %q: empty key prefix after /", ErrInvalidSpec, spec)
		}
	}
	for ep := range strings.SplitSeq(rest, ",") {
		ep = strings.TrimSpace(ep)
		if ep == "" {
			return c, fmt.Errorf("%w: %q: empty endpoint (want etcd:HOST:PORT[,HOST:PORT...][/PREFIX])", ErrInvalidSpec, spec)
		}
		if i := strings.Index(ep, "://"); i >= 0 && ep[:i] != "http" && ep[:i] != "https" && ep[:i] != "unix" && ep[:i] != "unixs" {
			return c, fmt.Errorf("%w: %q: endpoint scheme %q (want http, https, unix)", ErrInvalidSpec, spec, ep[:i])
		}
		c.Endpoints = append(c.Endpoints, ep)
	}
	return c, nil
}

func (c Config) withDefaults() Config {
	if c.Prefix == "" {
		c.Prefix = DefaultPrefix
	}
	c.Prefix = strings.Trim(c.Prefix, "/")
	if c.DialTimeout <= 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.StaleAfter <= 0 {
		c.StaleAfter = DefaultStaleAfter
	}
	c.StaleAfter = max(c.StaleAfter, 200*time.Millisecond)
	if c.SessionTTL <= 0 {
		c.SessionTTL = DefaultSessionTTL
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Store is a store.Store in etcd with a watched local copy. It is safe for concurrent use.
type Store struct {
	cfg  Config
	cli  *clientv3.Client
	keys string // cfg.Prefix + "/n/"
	log  *slog.Logger

	mu      sync.Mutex
	local   *store.Memory   // replaced whole on a reload
	leased  map[string]bool // names in local held by a lease
	rev     int64           // the etcd revision local reflects
	revCh   chan struct{}   // closed when rev moves
	lastErr error           // why the copy cannot be proven current

	fresh atomic.Int64 // unix nanos: local held every write committed before this instant

	owned   sync.Map // name → ownedEntry, restored while the session lives
	session atomic.Int64

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	closed atomic.Bool
}

type ownedEntry struct {
	uri  string
	tags []string
}

var (
	_ store.Store  = (*Store)(nil)
	_ store.Leaser = (*Store)(nil)
	_ store.Owner  = (*Store)(nil)
)

// Open connects to etcd, loads the registry and starts watching it. It fails if etcd does
// not answer within ctx and Config.DialTimeout.
func Open(ctx context.Context, c Config) (*Store, error) {
	c = c.withDefaults()
	if len(c.Endpoints) == 0 {
		return nil, fmt.Errorf("%w: no endpoints", ErrInvalidSpec)
	}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   c.Endpoints,
		DialTimeout: c.DialTimeout,
		TLS:         c.TLS,
		Username:    c.Username,
		Password:    c.Password,
		Logger:      zap.NewNop(),
		Context:     context.WithoutCancel(ctx),
		// Keepalives notice a dead member in seconds, so the client moves to another.
		DialKeepAliveTime:    2 * time.Second,
		DialKeepAliveTimeout: 2 * time.Second,
	})
	if err != nil {
		return nil, fmt.Errorf("etcdstore: connecting to %v: %w", c.Endpoints, err)
	}
	s := &Store{cfg: c, cli: cli, keys: c.Prefix + "/n/", log: c.Logger, revCh: make(chan struct{})}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	lctx, cancel := context.WithTimeout(ctx, c.DialTimeout)
	defer cancel()
	if err := s.load(lctx); err != nil {
		s.cancel()
		cli.Close()
		return nil, fmt.Errorf("etcdstore: etcd at %v does not answer: %w", c.Endpoints, err)
	}
	s.wg.Add(2)
	go s.run()
	go s.keepSession()
	return s, nil
}

// Client returns the etcd client the store uses.
func (s *Store) Client() *clientv3.Client { return s.cli }

// Close stops watching, revokes the session lease (its owned entries go at once) and
// disconnects. Later calls return store.ErrClosed.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.cancel()
	s.wg.Wait()
	if id := s.session.Load(); id != 0 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		s.cli.Revoke(ctx, clientv3.LeaseID(id))
		cancel()
	}
	s.mu.Lock()
	s.local.Close()
	s.mu.Unlock()
	return s.cli.Close()
}

// reqCtx bounds one etcd request.
func (s *Store) reqCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.cfg.RequestTimeout)
}

// etcdError words a failed etcd request.
func etcdError(op, name string, err error) error {
	if name != "" {
		return fmt.Errorf("etcdstore: %s %s: etcd: %w", op, name, err)
	}
	return fmt.Errorf("etcdstore: %s: etcd: %w", op, err)
}
