// Command shoppingcart is the Go twin of Pyro4's shoppingcart example server
// (examples/shoppingcart/shopserver.py and shoppingcart.py): a shop, registered with the name
// server as example.shop, that hands its customers shopping carts living in the server.
// Run a name server first:
//
//	pyro ns -n 127.0.0.1 &
//	PYRO_NS_HOST=127.0.0.1 go run ./examples/pyro4/shoppingcart
//	PYRO_NS_HOST=127.0.0.1 python3 /usr/share/doc/pyro4/examples/shoppingcart/clients.py
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/naming"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, "shoppingcart:", err)
		os.Exit(1)
	}
}

// run is serveSimple({Shop: "example.shop"}).
func run(ctx context.Context) error {
	cfg, err := pyro.DaemonConfigFromEnv()
	if err != nil {
		return err
	}
	nsCfg, err := pyro.ProxyConfigFromEnv()
	if err != nil {
		return err
	}
	d, err := pyro.NewDaemon(cfg)
	if err != nil {
		return err
	}
	shop := NewShop(d)
	return naming.Serve(ctx, d, map[string]any{"example.shop": shop}, naming.ServeOptions{
		NameServerConfig: &nsCfg,
		PublishOptions: naming.PublishOptions{Register: []pyro.RegisterOption{
			pyro.WithNaming(pyro.CamelCase), pyro.WithParams("PayCart", "cart", "name")}},
		Ready: func(uris map[string]pyro.URI) {
			fmt.Printf("Object %T:\n    uri = %s\n    name = example.shop\n", shop, uris["example.shop"])
			fmt.Println("Pyro daemon running.")
		},
	})
}
