// Package naming is the client of a Pyro name server: a typed [Client] for lookups,
// registrations and listings, working alike against Python's pyro4-ns, Pyro5's name server
// (over a Pyro5 proxy; metadata filters then use Pyro5's yplookup) and ours.
//
// It imports no server code and no storage, so a program that only looks names up stays
// small. The name server itself (the Pyro.NameServer object, its daemon, the broadcast
// responder and autoclean) is package naming/nameserver; its storages are naming/store.
package naming

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/pyval"
)

// SelfMetadata is the tag a Pyro4 name server (Python's or ours) gives its own registration,
// so PYROMETA:class:Pyro4.naming.NameServer finds it.
const SelfMetadata = "class:Pyro4.naming.NameServer"

// Filter selects names, as the filters of Pyro4's NameServer.list do. At most one field may
// be set; the zero Filter selects every name.
type Filter struct {
	// Prefix selects names that start with it. Our name server takes it literally and
	// case-sensitively; pyro4-ns with SQL storage reads it as a LIKE pattern.
	Prefix string
	// Regex selects names that Python's re.match would match: anchored at the start only.
	Regex string
	// MetadataAll selects names having every one of these tags.
	MetadataAll []string
	// MetadataAny selects names having at least one of these tags.
	MetadataAny []string
}

// Entry is one registration: a name, its URI in text form and its metadata tags.
type Entry struct {
	Name string
	// URI is the registered URI's text, unparsed.
	URI string
	// Metadata is the set of tags, sorted, without duplicates; nil when empty.
	Metadata []string
}

// Client is a typed handle on a name server, Go's or Python's pyro4-ns. It is safe for
// concurrent use.
type Client struct {
	mu sync.Mutex
	p  *pyro.Proxy
	// relocate finds a name server again after a communication failure; nil for a
	// client of one fixed proxy.
	relocate func(context.Context) (*pyro.Proxy, error)
}

// Locate finds a name server as Pyro4's locateNS does (see pyro.LocateNS) and returns a
// client for it. host may list several name servers ("ns1:9090,ns2:9090"), and so may the
// configured NSHost (PYRO_NS_HOST): the client then fails over (see Client).
func Locate(ctx context.Context, host string, port int, opts ...pyro.ProxyOption) (*Client, error) {
	relocate := func(ctx context.Context) (*pyro.Proxy, error) { return pyro.LocateNS(ctx, host, port, opts...) }
	p, err := relocate(ctx)
	if err != nil {
		return nil, err
	}
	return &Client{p: p, relocate: relocate}, nil
}

// NewClientURI returns a client for the name server at uri (PYRO:Pyro.NameServer@..., a
// unix socket one included) without locating it: it connects on first use.
func NewClientURI(uri pyro.URI, opts ...pyro.ProxyOption) (*Client, error) {
	p, err := pyro.NewProxyURI(uri, opts...)
	if err != nil {
		return nil, err
	}
	return &Client{p: p}, nil
}

// NewClient wraps a proxy to a name server.
func NewClient(p *pyro.Proxy) *Client { return &Client{p: p} }

// Proxy returns the underlying proxy (after a failover, the new one).
func (c *Client) Proxy() *pyro.Proxy {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.p
}

// Close closes the client's connections.
func (c *Client) Close() error { return c.Proxy().Close() }

// Ping checks the name server answers.
func (c *Client) Ping(ctx context.Context) error { return c.call(ctx, "ping", nil) }

// Count returns the number of registrations, the name server's own included.
func (c *Client) Count(ctx context.Context) (int, error) { return callT[int](ctx, c, "count") }

// Lookup returns the URI registered under name. An unknown name gives a *pyro.RemoteError
// of class Pyro4.errors.NamingError, which also matches pyro.ErrNaming.
func (c *Client) Lookup(ctx context.Context, name string) (pyro.URI, error) {
	return callT[pyro.URI](ctx, c, "lookup", name)
}

// LookupWithMetadata returns the URI and the metadata tags (sorted) registered under name.
func (c *Client) LookupWithMetadata(ctx context.Context, name string) (pyro.URI, []string, error) {
	var res []pyval.Raw
	if err := c.call(ctx, "lookup", &res, name, true); err != nil {
		return pyro.URI{}, nil, err
	}
	if len(res) != 2 {
		return pyro.URI{}, nil, fmt.Errorf("%w: lookup returned %d values, want (uri, metadata)", pyro.ErrProtocol, len(res))
	}
	var u pyro.URI
	if err := u.UnmarshalPython(res[0]); err != nil {
		return pyro.URI{}, nil, err
	}
	var meta []string
	if err := pyval.ToGo(res[1], &meta); err != nil {
		return pyro.URI{}, nil, err
	}
	slices.Sort(meta)
	return u, meta, nil
}

// RegisterOptions are Register's optional arguments.
type RegisterOptions struct {
	// Safe refuses to replace an existing registration.
	Safe bool
	// Metadata are tags for PYROMETA lookups and metadata filters.
	Metadata []string
	// Lease, when set, ties the registration to the lease (see GrantLease).
	Lease *Lease
}

// Register maps name to uri.
func (c *Client) Register(ctx context.Context, name string, uri pyro.URI, opts RegisterOptions) error {
	var meta any
	if opts.Metadata != nil {
		meta = opts.Metadata
	}
	if opts.Lease != nil {
		return c.call(ctx, "register_leased", nil, name, uri.String(), opts.Lease.ID, opts.Safe, meta)
	}
	return c.call(ctx, "register", nil, name, uri.String(), opts.Safe, meta)
}

// SetMetadata replaces the tags of a registration (nil clears them).
func (c *Client) SetMetadata(ctx context.Context, name string, metadata []string) error {
	if metadata == nil {
		metadata = []string{}
	}
	return c.call(ctx, "set_metadata", nil, name, metadata)
}

// Remove deletes a registration and returns how many were removed (0 or 1).
func (c *Client) Remove(ctx context.Context, name string) (int, error) {
	return callT[int](ctx, c, "remove", name)
}

// RemovePrefix deletes every name starting with prefix.
func (c *Client) RemovePrefix(ctx context.Context, prefix string) (int, error) {
	return callT[int](ctx, c, "remove", pyro.Kwargs{"prefix": prefix})
}

// RemoveRegex deletes every name the regular expression matches (from the start).
func (c *Client) RemoveRegex(ctx context.Context, regex string) (int, error) {
	return callT[int](ctx, c, "remove", pyro.Kwargs{"regex": regex})
}

// speaksPyro5 reports whether the name server is spoken to in Pyro5, connecting first when
// the proxy finds its protocol out (pyro.AutoProtocol).
func (c *Client) speaksPyro5(ctx context.Context) (bool, error) {
	p := c.Proxy()
	if wp := p.WireProtocol(); wp != pyro.AutoProtocol {
		return wp == pyro.Pyro5, nil
	}
	if err := p.Bind(ctx); err != nil {
		return false, err
	}
	return p.WireProtocol() == pyro.Pyro5, nil
}

// listCall is the method and arguments that list what f selects. Pyro5's list has no
// metadata filters: a Pyro5 name server (Python's or ours) finds tags with yplookup.
func (c *Client) listCall(ctx context.Context, f Filter, withMeta bool) (string, pyro.Kwargs, error) {
	if f.Prefix == "" && f.Regex == "" && (len(f.MetadataAll) > 0 || len(f.MetadataAny) > 0) {
		p5, err := c.speaksPyro5(ctx)
		if err != nil {
			return "", nil, err
		}
		if p5 {
			kw := pyro.Kwargs{"return_metadata": withMeta}
			if len(f.MetadataAll) > 0 {
				kw["meta_all"] = f.MetadataAll
			} else {
				kw["meta_any"] = f.MetadataAny
			}
			return "yplookup", kw, nil
		}
	}
	return "list", filterKwargs(f, withMeta), nil
}

func filterKwargs(f Filter, withMeta bool) pyro.Kwargs {
	kw := pyro.Kwargs{}
	switch {
	case f.Prefix != "":
		kw["prefix"] = f.Prefix
	case f.Regex != "":
		kw["regex"] = f.Regex
	case f.MetadataAll != nil:
		kw["metadata_all"] = f.MetadataAll
	case f.MetadataAny != nil:
		kw["metadata_any"] = f.MetadataAny
	}
	if withMeta {
		kw["return_metadata"] = true
	}
	return kw
}

// List returns name → URI text for the names the filter selects. A map has no order: use
// ListWithMetadata for the name server's.
func (c *Client) List(ctx context.Context, f Filter) (map[string]string, error) {
	method, kw, err := c.listCall(ctx, f, false)
	if err != nil {
		return nil, err
	}
	return callT[map[string]string](ctx, c, method, kw)
}

// ListWithMetadata returns the entries the filter selects in the order the name server
// lists them: registration order, for Pyro4's name servers and ours (Pyro4's SQL storage
// puts a name registered again, or given new metadata, last, and lists a regex's matches by
// name).
func (c *Client) ListWithMetadata(ctx context.Context, f Filter) ([]Entry, error) {
	method, kw, err := c.listCall(ctx, f, true)
	if err != nil {
		return nil, err
	}
	var res pyval.Raw
	if err := c.call(ctx, method, &res, kw); err != nil {
		return nil, err
	}
	d, ok := res.(*pyval.Dict)
	if !ok {
		return nil, fmt.Errorf("%w: list returned %s, not a dict", pyro.ErrProtocol, pyval.TypeName(res))
	}
	out := make([]Entry, 0, d.Len())
	for _, it := range d.Items() {
		name, ok := it.Key.(string)
		if !ok {
			return nil, fmt.Errorf("%w: list returned a %s key", pyro.ErrProtocol, pyval.TypeName(it.Key))
		}
		pair, _ := pyval.Items(it.Value)
		if len(pair) != 2 {
			return nil, fmt.Errorf("%w: list entry %q is not (uri, metadata)", pyro.ErrProtocol, name)
		}
		e := Entry{Name: name}
		if err := pyval.ToGo(pair[0], &e.URI); err != nil {
			return nil, err
		}
		if err := pyval.ToGo(pair[1], &e.Metadata); err != nil {
			return nil, err
		}
		slices.Sort(e.Metadata)
		e.Metadata = slices.Compact(e.Metadata)
		if len(e.Metadata) == 0 {
			e.Metadata = nil
		}
		out = append(out, e)
	}
	return out, nil
}
