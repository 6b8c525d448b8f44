// Command exceptions is the Go twin of Pyro4's exceptions example server
// (examples/exceptions/server.py and excep.py): an object whose methods raise exceptions,
// registered with the name server as example.exceptions. Run a name server first:
//
//	pyro ns -n 127.0.0.1 &
//	PYRO_NS_HOST=127.0.0.1 go run ./examples/pyro4/exceptions
//	PYRO_NS_HOST=127.0.0.1 python3 /usr/share/doc/pyro4/examples/exceptions/client.py
//
// PYRO_DETAILED_TRACEBACK=true gives the client Go's stack frames too, as Pyro4's
// DETAILED_TRACEBACK adds the local variables of each frame.
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

// run is serveSimple({excep.TestClass: "example.exceptions"}, ns=True, verbose=True). Two
// Python names are not the snake_case of a Go name, so they are given.
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
			pyro.WithName("OtherErr", "othererr"), pyro.WithName("ComplexError", "complexerror")}},
		Ready: func(uris map[string]pyro.URI) {
			fmt.Printf("Object %T:\n    uri = %s\n    name = example.exceptions\n", TestClass{}, uris["example.exceptions"])
			fmt.Println("Pyro daemon running.")
		},
	})
}
