package naming

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/gopyro/pyro"
)

// Publishing objects under names, Pyro4's serveSimple: Publish registers objects on a daemon
// and names them in a name server; Withdraw removes the names again; Serve does both around
// serving the daemon until its context ends. They live here, not in package pyro, because
// package pyro cannot import the name server client.

// PublishOptions configure Publish.
type PublishOptions struct {
	// Register are the options for every object Publish registers on the daemon, such as
	// pyro.WithNaming(pyro.CamelCase). Not pyro.WithID: Publish gives each object its own id.
	Register []pyro.RegisterOption
	// Metadata tags every name (for PYROMETA lookups and metadata filters).
	Metadata []string
	// Safe refuses to replace a name registered already, as Pyro4's register(safe=True).
	Safe bool
	// Lease, when set, ties every name to the lease (see Client.GrantLease): they vanish
	// when the process stops renewing it. The caller runs Lease.KeepAlive.
	Lease *Lease
}

// Publication is the names one Publish made; Withdraw removes them.
type Publication struct {
	c    *Client
	d    *pyro.Daemon
	uris map[string]pyro.URI
	ids  []string // object ids Publish registered itself
}

// Publish serves objects (name → object) on d and names them in the name server c. An
// object is registered on d with opts.Register (a new object id each); a pyro.URI value is
// an object already registered on d (by RegisterAs or RegisterFactory, say), named at the
// daemon's current location. Names are registered in sorted order. Call it after d.Listen,
// so that URIs carry the listening port. If anything fails, what Publish did is undone.
// Publish leaves no connection to the name server open (Withdraw connects anew).
func Publish(ctx context.Context, c *Client, d *pyro.Daemon, objects map[string]any, opts PublishOptions) (*Publication, error) {
	pub := &Publication{c: c, d: d, uris: make(map[string]pyro.URI, len(objects))}
	known := d.Registered()
	names := slices.Sorted(maps.Keys(objects))
	for _, name := range names {
		var (
			uri pyro.URI
			err error
		)
		switch obj := objects[name].(type) {
		case pyro.URI:
			if !slices.Contains(known, obj.Object) {
				err = fmt.Errorf("%s is not registered on this daemon", obj)
			}
			uri = d.URIFor(obj.Object)
		default:
			if uri, err = d.Register(obj, opts.Register...); err == nil {
				pub.ids = append(pub.ids, uri.Object)
			}
		}
		if err != nil {
			pub.undo(ctx, nil)
			return nil, fmt.Errorf("naming: publish %q: %w", name, err)
		}
		pub.uris[name] = uri
	}
	for i, name := range names {
		err := c.Register(ctx, name, pub.uris[name], RegisterOptions{Safe: opts.Safe, Metadata: opts.Metadata, Lease: opts.Lease})
		if err != nil {
			pub.undo(ctx, names[:i])
			return nil, fmt.Errorf("naming: publish %q: %w", name, err)
		}
	}
	// A threaded name server (pyro4-ns) spends a thread on every open connection; a server
	// that publishes and then serves for hours should not hold one.
	c.Proxy().Release()
	return pub, nil
}

// undo withdraws the names registered so far and unregisters the objects Publish registered.
func (p *Publication) undo(ctx context.Context, named []string) {
	p.withdraw(ctx, named)
	for _, id := range p.ids {
		p.d.Unregister(id)
	}
}

// URIs returns the URI published under each name.
func (p *Publication) URIs() map[string]pyro.URI { return maps.Clone(p.uris) }

// Withdraw removes the published names from the name server, except those another server
// has registered anew since (they no longer map to our URIs). The objects stay registered on
// the daemon.
func (p *Publication) Withdraw(ctx context.Context) error {
	p.c.Proxy().Release() // reconnect: the name server may have restarted since Publish
	err := p.withdraw(ctx, slices.Sorted(maps.Keys(p.uris)))
	p.c.Proxy().Release()
	return err
}

func (p *Publication) withdraw(ctx context.Context, names []string) error {
	var errs []error
	for _, name := range names {
		current, err := p.c.Lookup(ctx, name)
		if errors.Is(err, pyro.ErrNaming) {
			continue // gone already
		}
		if err == nil && current == p.uris[name] {
			_, err = p.c.Remove(ctx, name)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("naming: withdraw %q: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

// DefaultShutdownTimeout bounds Serve's withdrawal of its names and the daemon's graceful
// shutdown when ServeOptions.ShutdownTimeout is zero.
const DefaultShutdownTimeout = 5 * time.Second

// ServeOptions configure Serve.
type ServeOptions struct {
	PublishOptions
	// NameServer is the name server to publish in; the zero URI means locate one as
	// pyro.LocateNS does, guided by NameServerConfig's NSHost, NSPort and NSBCPort.
	NameServer pyro.URI
	// NameServerConfig configures the proxy to the name server; nil means the daemon's
	// Transport (its HMAC key among them) and defaults otherwise.
	NameServerConfig *pyro.ProxyConfig
	// Ready, if set, is called with each name's URI once all are published and the daemon
	// serves: print them there, as serveSimple does. Serve waits for it to return before it
	// watches ctx.
	Ready func(uris map[string]pyro.URI)
	// ShutdownTimeout bounds withdrawing the names and the graceful shutdown once ctx ends
	// (DefaultShutdownTimeout).
	ShutdownTimeout time.Duration
}

// Serve is Pyro4's serveSimple: it listens on d's configured address, publishes objects
// (see Publish) in the name server, serves until ctx ends or the daemon is shut down,
// withdraws the names, then shuts the daemon down gracefully. It returns ctx's error when
// ctx ended, else pyro.ErrDaemonClosed, joined with any failure to withdraw or shut down;
// an error before serving (listening, finding the name server, publishing) is returned at
// once, with d closed. d must not be listening yet; a program serving d itself uses Publish.
//
//	err := naming.Serve(ctx, d, map[string]any{"example.warehouse": &Warehouse{}}, naming.ServeOptions{})
func Serve(ctx context.Context, d *pyro.Daemon, objects map[string]any, opts ServeOptions) error {
	ln, err := d.Listen()
	if err != nil {
		d.Close()
		return fmt.Errorf("naming: serve: %w", err)
	}
	cfg := pyro.ProxyConfig{Transport: d.Config().Transport, TLSConfig: d.Config().ClientTLSConfig}
	if opts.NameServerConfig != nil {
		cfg = *opts.NameServerConfig
	}
	var c *Client
	if opts.NameServer.Protocol == "" {
		c, err = Locate(ctx, "", 0, pyro.WithConfig(cfg))
	} else {
		c, err = NewClientURI(opts.NameServer, pyro.WithConfig(cfg))
	}
	if err != nil {
		d.Close()
		return fmt.Errorf("naming: serve: %w", err)
	}
	defer c.Close()
	pub, err := Publish(ctx, c, d, objects, opts.PublishOptions)
	if err != nil {
		d.Close()
		return err
	}
	served := make(chan error, 1)
	go func() { served <- d.Serve(context.WithoutCancel(ctx), ln) }()
	if opts.Ready != nil {
		opts.Ready(pub.URIs())
	}
	var result error
	select {
	case <-ctx.Done():
		result = ctx.Err()
	case result = <-served:
		served <- result
	}
	// Names first, so that no new client finds a daemon on its way out.
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cmp.Or(opts.ShutdownTimeout, DefaultShutdownTimeout))
	defer cancel()
	errs := []error{result, pub.Withdraw(stopCtx)}
	if err := d.Shutdown(stopCtx); err != nil {
		errs = append(errs, fmt.Errorf("naming: serve: shutdown: %w", err))
	}
	<-served
	return errors.Join(errs...)
}
