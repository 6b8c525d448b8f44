package naming_test

import (
	"context"
	"fmt"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/naming"
	"github.com/gopyro/pyro/naming/nameserver"
)

// Stock is served under a name.
type Stock struct{}

// Items is exposed as "items".
func (Stock) Items() []string { return []string{"chair", "bike"} }

// Serve is Pyro4's serveSimple: it serves the objects under their names until ctx ends, then
// removes the names and shuts the daemon down. Here the client is in the same program.
func ExampleServe() {
	ns, err := nameserver.Start(nameserver.Config{Daemon: pyro.DaemonConfig{Host: "127.0.0.1"}})
	if err != nil {
		panic(err)
	}
	defer ns.Close()
	go ns.Serve(context.Background())

	ctx, stop := context.WithCancel(context.Background())
	d, _ := pyro.NewDaemon(pyro.DaemonConfig{Host: "127.0.0.1"})
	served := make(chan error)
	go func() {
		served <- naming.Serve(ctx, d, map[string]any{"example.stock": Stock{}}, naming.ServeOptions{
			NameServer: ns.URI(),
			Ready: func(uris map[string]pyro.URI) {
				p, _ := pyro.NewProxy("PYRONAME:example.stock@" + ns.URI().Location())
				defer p.Close()
				fmt.Println(pyro.CallT[[]string](ctx, p, "items"))
				stop() // a signal would do this in a server program
			},
		})
	}()
	fmt.Println(<-served)

	c, _ := naming.NewClientURI(ns.URI())
	defer c.Close()
	_, err = c.Lookup(context.Background(), "example.stock")
	fmt.Println(err)
	// Output:
	// [chair bike] <nil>
	// context canceled
	// Pyro4.errors.NamingError: unknown name: example.stock
}
