// Command phase3 is the Go twin of phase 3 of Pyro4's warehouse tutorial
// (examples/warehouse/phase3/warehouse.py): the warehouse registered with the name server as
// example.warehouse, so the visitor finds it by name. Run a name server first:
//
//	pyro ns -n 127.0.0.1 &
//	PYRO_NS_HOST=127.0.0.1 go run ./examples/pyro4/warehouse/phase3
//	PYRO_NS_HOST=127.0.0.1 python3 /usr/share/doc/pyro4/examples/warehouse/phase3/visit.py
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/examples/pyro4/warehouse"
	"github.com/gopyro/pyro/naming"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, "warehouse:", err)
		os.Exit(1)
	}
}

// run is Pyro4.Daemon.serveSimple({Warehouse: "example.warehouse"}, ns=True): naming.Serve
// registers the warehouse under a fresh object id, names it in the name server (found through
// PYRO_NS_HOST and PYRO_NS_PORT, as Pyro4 finds it), serves until Ctrl-C, then removes the
// name (serveSimple leaves it behind).
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
	w := warehouse.New(os.Stdout)
	return naming.Serve(ctx, d, map[string]any{"example.warehouse": w}, naming.ServeOptions{
		NameServerConfig: &nsCfg,
		PublishOptions:   naming.PublishOptions{Register: []pyro.RegisterOption{pyro.WithInterface[warehouse.API]()}},
		Ready: func(uris map[string]pyro.URI) {
			fmt.Printf("Object %T:\n    uri = %s\n    name = example.warehouse\n", w, uris["example.warehouse"])
			fmt.Println("Pyro daemon running.")
		},
	})
}
