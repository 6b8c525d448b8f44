// Command phase2 is the Go twin of phase 2 of Pyro4's warehouse tutorial
// (examples/warehouse/phase2/warehouse.py): the warehouse served under the fixed object id
// example.warehouse, without a name server. It prints the URI to give the visitor:
//
//	go run ./examples/pyro4/warehouse/phase2
//	python3 /usr/share/doc/pyro4/examples/warehouse/phase2/visit.py   # paste the URI
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/examples/pyro4/warehouse"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, "warehouse:", err)
		os.Exit(1)
	}
}

// run is Pyro4.Daemon.serveSimple({Warehouse: "example.warehouse"}, ns=False): without a name
// server, the name is the object's id in the daemon.
func run(ctx context.Context) error {
	cfg, err := pyro.DaemonConfigFromEnv()
	if err != nil {
		return err
	}
	d, err := pyro.NewDaemon(cfg)
	if err != nil {
		return err
	}
	ln, err := d.Listen()
	if err != nil {
		return err
	}
	w := warehouse.New(os.Stdout)
	uri, err := pyro.RegisterAs[warehouse.API](d, w, pyro.WithID("example.warehouse"))
	if err != nil {
		d.Close()
		return err
	}
	fmt.Printf("Object %T:\n    uri = %s\n", w, uri)
	fmt.Println("Pyro daemon running.")
	return d.Serve(ctx, ln)
}
