// Command distributed-computing is the Go twin of the dispatcher of Pyro4's
// distributed-computing example (examples/distributed-computing/dispatcher.py): work and
// result queues, registered with the name server as example.distributed.dispatcher, between
// a client that hands out numbers to factorize and workers that factorize them. Run a name
// server first, then one or more workers, then the client:
//
//	pyro ns -n 127.0.0.1 &
//	PYRO_NS_HOST=127.0.0.1 go run ./examples/pyro4/distributed-computing &
//	PYRO_NS_HOST=127.0.0.1 python3 /usr/share/doc/pyro4/examples/distributed-computing/worker.py &
//	PYRO_NS_HOST=127.0.0.1 python3 /usr/share/doc/pyro4/examples/distributed-computing/client.py
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
		fmt.Fprintln(os.Stderr, "dispatcher:", err)
		os.Exit(1)
	}
}

// run is serveSimple({DispatcherQueue: "example.distributed.dispatcher"}). The Python API is
// camelCase (putWork, getResult, workQueueSize): pyro.CamelCase.
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
	dispatcher := NewDispatcherQueue()
	return naming.Serve(ctx, d, map[string]any{"example.distributed.dispatcher": dispatcher}, naming.ServeOptions{
		NameServerConfig: &nsCfg,
		PublishOptions: naming.PublishOptions{Register: []pyro.RegisterOption{pyro.WithNaming(pyro.CamelCase),
			pyro.WithParams("GetWork", "timeout"), pyro.WithParams("GetResult", "timeout")}},
		Ready: func(uris map[string]pyro.URI) {
			fmt.Printf("Object %T:\n    uri = %s\n    name = example.distributed.dispatcher\n", dispatcher, uris["example.distributed.dispatcher"])
			fmt.Println("Pyro daemon running.")
		},
	})
}
