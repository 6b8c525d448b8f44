// Command instancemode is the Go twin of Pyro4's instancemode example server
// (examples/instancemode/server.py): one class per instance mode, registered with the name
// server as instance.single, instance.session and instance.percall. Run a name server first:
//
//	pyro ns -n 127.0.0.1 &
//	PYRO_NS_HOST=127.0.0.1 go run ./examples/pyro4/instancemode
//	PYRO_NS_HOST=127.0.0.1 python3 /usr/share/doc/pyro4/examples/instancemode/client.py
//
// With -pyro5 it is the twin of Pyro5's version of server.py, whose constructors print
// "created ... instance with id N"; the same daemon serves Pyro5's client.
package main

import (
	"context"
	"flag"
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
	flag.BoolVar(&announce, "pyro5", false, "print \"created ... instance with id N\" as instances are made, as Pyro5's server.py does")
	flag.Parse()
	if err := run(ctx); err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, "instancemode:", err)
		os.Exit(1)
	}
}

// run is serveSimple over the three classes: Python's @Pyro4.behavior(instance_mode=...) is
// a factory registered with that mode (a factory taking a context.Context is Pyro4's
// instance_creator reading current_context). naming.Serve names the factories' URIs.
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
	msg := pyro.WithParams("Msg", "message") // msg(message), callable with message= too
	objects := map[string]any{}
	for _, r := range []struct {
		name    string
		mode    pyro.InstanceMode
		factory any
	}{
		{"instance.single", pyro.Single, NewSingleInstance},
		{"instance.session", pyro.Session, NewSessionInstance},
		{"instance.percall", pyro.PerCall, NewPercallInstance},
	} {
		uri, err := d.RegisterFactory(r.mode, r.factory, msg)
		if err != nil {
			d.Close()
			return err
		}
		objects[r.name] = uri
	}
	return naming.Serve(ctx, d, objects, naming.ServeOptions{
		NameServerConfig: &nsCfg,
		Ready: func(uris map[string]pyro.URI) {
			for _, name := range []string{"instance.single", "instance.session", "instance.percall"} {
				fmt.Printf("Object %s:\n    uri = %s\n    name = %s\n", name, uris[name], name)
			}
			fmt.Println("Pyro daemon running.")
		},
	})
}
