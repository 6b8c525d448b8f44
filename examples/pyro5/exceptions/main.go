// Command exceptions is the Go twin of Pyro5's exceptions example server
// (examples/exceptions/server.py and excep.py in Pyro5's source): TestClass registered with
// the name server as example.exceptions. Pyro5's version differs from Pyro4's (whose twin is
// examples/pyro4/exceptions): a oneway method that fails, an unserializable result instead of
// an unserializable exception, and a daemon methodcall_error_handler that prints every
// exception a method raises. Run a name server first:
//
//	pyro ns -n 127.0.0.1 &
//	PYRO_NS_HOST=127.0.0.1 go run ./examples/pyro5/exceptions
//	PYRO_NS_HOST=127.0.0.1 python3 ../shared/pyro5/examples/exceptions/client.py
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
		fmt.Fprintln(os.Stderr, "exceptions:", err)
		os.Exit(1)
	}
}

// run is serve({excep.TestClass: "example.exceptions"}, daemon=daemon, use_ns=True,
// verbose=True).
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
	return naming.Serve(ctx, d, map[string]any{"example.exceptions": TestClass{}}, naming.ServeOptions{
		NameServerConfig: &nsCfg,
		PublishOptions: naming.PublishOptions{Register: []pyro.RegisterOption{
			pyro.WithName("OtherErr", "othererr"), pyro.WithName("OnewayErr", "onewayerr"),
			pyro.WithName("ComplexError", "complexerror"), pyro.WithOneway("OnewayErr")}},
		Ready: func(uris map[string]pyro.URI) {
			fmt.Printf("Object %T:\n    uri = %s\n    name = example.exceptions\n", TestClass{}, uris["example.exceptions"])
			fmt.Println("Pyro daemon running.")
		},
	})
}
