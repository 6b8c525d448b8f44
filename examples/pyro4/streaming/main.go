// Command streaming is the Go twin of Pyro4's streaming example server
// (examples/streaming/server.py): the Streamer object, under the object id example.streamer
// (no name server). Give its URI to Pyro4's client:
//
//	go run ./examples/pyro4/streaming
//	python3 /usr/share/doc/pyro4/examples/streaming/client.py   # paste the URI
//
// It also serves Pyro5's streaming client, whose server adds two properties returning an
// iterator and a generator (prop_iter, prop_generator).
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
		fmt.Fprintln(os.Stderr, "streaming:", err)
		os.Exit(1)
	}
}

// run is serveSimple({Streamer: "example.streamer"}, ns=False). Item streams need no
// configuration: Pyro4's ITER_STREAMING is always on in Go.
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
	uri, err := d.Register(Streamer{}, pyro.WithID("example.streamer"), pyro.WithAttributes("PropIter", "PropGenerator"))
	if err != nil {
		d.Close()
		return err
	}
	fmt.Printf("Object %T:\n    uri = %s\n", Streamer{}, uri)
	fmt.Println("Pyro daemon running.")
	return d.Serve(ctx, ln)
}
