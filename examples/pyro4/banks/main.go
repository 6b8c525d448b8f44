// Command banks is the Go twin of Pyro4's banks example server (examples/banks/server.py):
// two banks, Rabobank and ABN, registered with the name server as example.banks.rabobank and
// example.banks.abn, in that order (the client lists them in the name server's order). Run a
// name server first; Pyro4's client then runs unchanged:
//
//	pyro ns -n 127.0.0.1 &
//	PYRO_NS_HOST=127.0.0.1 go run ./examples/pyro4/banks
//	PYRO_NS_HOST=127.0.0.1 python3 /usr/share/doc/pyro4/examples/banks/client.py
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/naming"
	"github.com/gopyro/pyro/pyval"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, "banks:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	// Where to listen and where the name server is come from the PYRO_* variables, as in
	// Pyro4 (PYRO_HOST, PYRO_NS_HOST, PYRO_NS_PORT, ...).
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
	ln, err := d.Listen()
	if err != nil {
		return err
	}
	// with Pyro4.naming.locateNS() as ns: register both banks, print the names.
	ns, err := naming.Locate(ctx, "", 0, pyro.WithConfig(nsCfg))
	if err != nil {
		d.Close()
		return err
	}
	for _, b := range []struct {
		name string
		bank Bank
	}{{"example.banks.rabobank", NewRabobank()}, {"example.banks.abn", NewABN()}} {
		uri, err := pyro.RegisterAs[Bank](d, b.bank, pyro.WithNaming(pyro.CamelCase))
		if err == nil {
			err = ns.Register(ctx, b.name, uri, naming.RegisterOptions{})
		}
		if err != nil {
			ns.Close()
			d.Close()
			return err
		}
	}
	fmt.Println("available banks:")
	entries, err := ns.ListWithMetadata(ctx, naming.Filter{Prefix: "example.banks."})
	ns.Close()
	if err != nil {
		d.Close()
		return err
	}
	var names []any
	for _, e := range entries {
		names = append(names, e.Name)
	}
	fmt.Println(pyval.Repr(names)) // print(list(ns.list(prefix="example.banks.").keys()))

	fmt.Println("Banks are ready for customers.")
	return d.Serve(ctx, ln) // until Ctrl-C; like server.py, leaves the names registered
}
