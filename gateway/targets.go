package gateway

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/naming"
)

// target is a name's URI and the proxy that calls it, reused by every request for the name
// until it expires or fails to connect.
type target struct {
	uri     pyro.URI
	proxy   *pyro.Proxy
	expires time.Time
}

// targets is the pool of proxies, one per name, and the name server client that fills it.
type targets struct {
	cfg Config

	nsMu sync.Mutex
	ns   *naming.Client // nil until located, and again after it failed

	mu      sync.Mutex
	byName  map[string]*target
	retired map[*pyro.Proxy]struct{} // out of the pool, closed a minute later
}

func newTargets(cfg Config) *targets {
	return &targets{cfg: cfg, byName: map[string]*target{}, retired: map[*pyro.Proxy]struct{}{}}
}

// proxyOptions are the options of every proxy the gateway makes: the configured base,
// always json (the gateway answers in the daemon's own JSON).
func (t *targets) proxyOptions(proto pyro.WireProtocol) []pyro.ProxyOption {
	return []pyro.ProxyOption{pyro.WithConfig(t.cfg.Proxy), pyro.WithSerializer("json"), pyro.WithProtocol(proto)}
}

// nameServer returns the name server client, locating it on first use (and after a
// failure) as Pyro's gateways do.
func (t *targets) nameServer(ctx context.Context) (*naming.Client, error) {
	t.nsMu.Lock()
	defer t.nsMu.Unlock()
	if t.ns != nil {
		return t.ns, nil
	}
	var ns *naming.Client
	var err error
	for _, proto := range t.protocols() {
		ns, err = naming.Locate(ctx, t.cfg.NSHost, t.cfg.NSPort, pyro.WithConfig(t.cfg.Proxy), pyro.WithProtocol(proto))
		if err == nil {
			if err = ns.Ping(ctx); err != nil {
				ns.Close()
			}
		}
		if err == nil {
			t.ns = ns
			return ns, nil
		}
		if !errors.Is(err, pyro.ErrWrongProtocol) {
			return nil, err
		}
	}
	return nil, err
}

// protocols are the wire protocols to try on a daemon, in order: Pyro5 first, so that Go
// daemons (which speak both) answer in Pyro5's spelling as for Pyro5's gateway; Pyro4 for a
// daemon that speaks only that. An HMAC key rules Pyro5 out.
func (t *targets) protocols() []pyro.WireProtocol {
	if len(t.cfg.Proxy.HMACKey) > 0 {
		return []pyro.WireProtocol{pyro.Pyro4}
	}
	return []pyro.WireProtocol{pyro.Pyro5, pyro.Pyro4}
}

// nsFailed forgets the name server client after a communication failure, so that the next
// request locates it again.
func (t *targets) nsFailed(ns *naming.Client, err error) {
	if !errors.Is(err, pyro.ErrCommunication) {
		return
	}
	t.nsMu.Lock()
	if t.ns == ns {
		t.ns = nil
		ns.Close()
	}
	t.nsMu.Unlock()
}

// lookup asks the name server for name's URI.
func (t *targets) lookup(ctx context.Context, name string) (pyro.URI, error) {
	ns, err := t.nameServer(ctx)
	if err != nil {
		return pyro.URI{}, err
	}
	u, err := ns.Lookup(ctx, name)
	if err != nil {
		t.nsFailed(ns, err)
	}
	return u, err
}

// get returns name's target, from the pool while it is fresh, else looked up anew. Its
// proxy is bound: it speaks Pyro5 to a daemon that does, else Pyro4, and knows the metadata.
func (t *targets) get(ctx context.Context, name string) (*target, error) {
	now := time.Now()
	t.mu.Lock()
	if tg, ok := t.byName[name]; ok && now.Before(tg.expires) {
		t.mu.Unlock()
		return tg, nil
	}
	t.mu.Unlock()
	u, err := t.lookup(ctx, name)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	if tg, ok := t.byName[name]; ok && tg.uri == u {
		tg.expires = now.Add(t.cfg.LookupTTL)
		t.mu.Unlock()
		return tg, nil
	}
	t.mu.Unlock()
	p, err := t.bind(ctx, u)
	if err != nil {
		return nil, err
	}
	tg := &target{uri: u, proxy: p, expires: now.Add(t.cfg.LookupTTL)}
	t.mu.Lock()
	defer t.mu.Unlock()
	switch old, ok := t.byName[name]; {
	case ok && old.uri == u: // a concurrent request bound it first: use that one
		p.Close()
		old.expires = tg.expires
		return old, nil
	case ok: // the name moved
		t.closeLater(old.proxy)
	case len(t.byName) >= t.cfg.MaxTargets:
		t.evictLocked(now)
	}
	t.byName[name] = tg
	return tg, nil
}

// closeLater closes a proxy that left the pool once the requests that took it before have
// had time to use it (Close would fail those that have not called yet); close closes it at
// once. t.mu is held.
func (t *targets) closeLater(p *pyro.Proxy) {
	t.retired[p] = struct{}{}
	time.AfterFunc(time.Minute, func() {
		t.mu.Lock()
		delete(t.retired, p)
		t.mu.Unlock()
		p.Close()
	})
}

// bind makes and connects a proxy for u, in the first of t.protocols the daemon speaks.
func (t *targets) bind(ctx context.Context, u pyro.URI) (*pyro.Proxy, error) {
	var p *pyro.Proxy
	var err error
	for _, proto := range t.protocols() {
		if p, err = pyro.NewProxyURI(u, t.proxyOptions(proto)...); err != nil {
			return nil, err
		}
		if err = p.Bind(ctx); err == nil {
			return p, nil
		}
		p.Close()
		if !errors.Is(err, pyro.ErrWrongProtocol) {
			return nil, err
		}
	}
	return nil, err
}

// evictLocked makes room: expired targets go, else an arbitrary one.
func (t *targets) evictLocked(now time.Time) {
	for name, tg := range t.byName {
		if !now.Before(tg.expires) {
			t.closeLater(tg.proxy)
			delete(t.byName, name)
		}
	}
	for name, tg := range t.byName {
		if len(t.byName) < t.cfg.MaxTargets {
			return
		}
		t.closeLater(tg.proxy)
		delete(t.byName, name)
	}
}

// failed drops name's target after a communication failure, so the next request looks the
// name up again (the object may have moved).
func (t *targets) failed(name string, tg *target, err error) {
	if !errors.Is(err, pyro.ErrCommunication) {
		return
	}
	t.mu.Lock()
	if t.byName[name] == tg {
		delete(t.byName, name)
		tg.proxy.Close()
	}
	t.mu.Unlock()
}

// close closes every proxy and the name server client.
func (t *targets) close() {
	t.mu.Lock()
	for name, tg := range t.byName {
		tg.proxy.Close()
		delete(t.byName, name)
	}
	for p := range t.retired {
		p.Close()
		delete(t.retired, p)
	}
	t.mu.Unlock()
	t.nsMu.Lock()
	if t.ns != nil {
		t.ns.Close()
		t.ns = nil
	}
	t.nsMu.Unlock()
}
