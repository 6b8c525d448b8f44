// Command master is the currency example's master: it looks up the worker by name
// (PYRONAME:MyWorker), or with -all every worker tagged "currency.worker", asks for the rates
// of the pairs given (or a default dozen) one after another and then fanned out over
// goroutines, and prints a table of the rates and the time of both passes.
//
//	go run ./examples/currency/cmd/master -ns-host 127.0.0.1 EURUSD USDJPY XXXYYY
//	go run ./examples/currency/cmd/master -all
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/examples/currency"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is main with its environment passed in, for the tests.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("master", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: master [flags] [PAIR ...]")
		fs.PrintDefaults()
	}
	nsHost := fs.String("ns-host", "", "name server host (default: locate it like Pyro4, $PYRO_NS_HOST)")
	nsPort := fs.Int("ns-port", 0, "name server port (default $PYRO_NS_PORT or 9090)")
	name := fs.String("name", currency.DefaultName, "name of the worker to ask")
	all := fs.Bool("all", false, "spread the pairs over every worker tagged "+currency.Tag+" instead")
	concurrency := fs.Int("concurrency", 8, "fan-out goroutines per worker")
	timeout := fs.Duration("timeout", 0, "give a worker this long per call before asking another (default 10s)")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	pairs := fs.Args()
	if len(pairs) == 0 {
		pairs = currency.DefaultPairs()
	}
	cfg, err := pyro.ProxyConfigFromEnv()
	if err != nil {
		fmt.Fprintln(stderr, "master:", err)
		return 1
	}
	if *nsPort != 0 {
		cfg.NSPort = *nsPort
	}
	var ns pyro.URI
	if *nsHost != "" {
		ns = pyro.URI{Protocol: pyro.ProtocolPyro, Object: pyro.NameServerObjectID, Host: *nsHost, Port: cmp.Or(cfg.NSPort, pyro.DefaultNSPort)}
	}
	worker := *name
	if *all {
		worker = ""
	}
	rep, err := currency.RunMaster(ctx, cfg, ns, worker, pairs,
		currency.MasterOptions{Concurrency: *concurrency, CallTimeout: *timeout})
	if err != nil {
		fmt.Fprintln(stderr, "master:", err)
		return 1
	}
	if err := rep.WriteTable(stdout); err != nil {
		fmt.Fprintln(stderr, "master:", err)
		return 1
	}
	for _, r := range append(rep.Sequential.Results, rep.FanOut.Results...) {
		if errors.Is(r.Err, currency.ErrNoWorkers) {
			fmt.Fprintln(stderr, "master:", r.Err)
			return 1
		}
	}
	return 0
}
