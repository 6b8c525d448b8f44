// Command batchedcalls is the Go twin of Pyro5's batchedcalls example server
// (examples/batchedcalls/server.py in Pyro5's source): the Thingy object under the object id
// example.batched (no name server). Give its URI to Pyro5's client:
//
//	go run ./examples/pyro5/batchedcalls
//	python3 ../shared/pyro5/examples/batchedcalls/client.py   # paste the URI
//
// Nothing here is about batches: the daemon runs a client's batch of calls (Pyro5's
// BatchProxy) in order, one call at a time, stopping at the first error.
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
		fmt.Fprintln(os.Stderr, "batchedcalls:", err)
		os.Exit(1)
	}
}

// run is serve({Thingy: "example.batched"}, use_ns=False).
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
	uri, err := d.Register(Thingy{}, pyro.WithID("example.batched"), pyro.WithName("PrintMessage", "printmessage"))
	if err != nil {
		d.Close()
		return err
	}
	fmt.Printf("Object %T:\n    uri = %s\n", Thingy{}, uri)
	fmt.Println("Pyro daemon running.")
	return d.Serve(ctx, ln)
}
