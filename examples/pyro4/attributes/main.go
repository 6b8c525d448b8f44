// Command attributes is the Go twin of Pyro4's attributes example server
// (examples/attributes/server.py): a Thingy per client connection, under the object id
// example.attributes (no name server). Give its URI to Pyro4's client:
//
//	go run ./examples/pyro4/attributes
//	python3 /usr/share/doc/pyro4/examples/attributes/client.py   # paste the URI
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/gopyro/pyro"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, "attributes:", err)
		os.Exit(1)
	}
}

// run is serveSimple({Thingy: "example.attributes"}, ns=False): Pyro4 makes one Thingy per
// connection (instance mode session), so the twin registers a Session factory.
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
	uri, err := d.RegisterFactory(pyro.Session, NewThingy, pyro.WithID("example.attributes"),
		pyro.WithName("Dunder", "__dunder__"), pyro.WithName("Len", "__len__"),
		pyro.WithName("GetValue", "getValue"), pyro.WithAttributes("PropSub"))
	if err != nil {
		d.Close()
		return err
	}
	fmt.Printf("Object %T:\n    uri = %s\n", &Thingy{}, uri)
	fmt.Println("Pyro daemon running.")
	return d.Serve(ctx, ln)
}
