// Command worker serves the currency example's worker object: get_rate(pair) -> (pair, rate),
// instance mode percall, registered with the name server as MyWorker (or -name) and the
// metadata "currency.worker". Run one per terminal, each with its own -name, and ask them with
// cmd/master or master.py.
//
//	go run ./examples/currency/cmd/worker -ns-host 127.0.0.1 -name MyWorker
//	go run ./examples/currency/cmd/worker -name MyWorker.2 -rates-url 'http://127.0.0.1:8000/rate?pair={pair}'
package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

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
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	host := fs.String("host", "", "host the worker listens on (default $PYRO_HOST or localhost)")
	port := fs.Int("port", 0, "port the worker listens on (0: any free one)")
	nsHost := fs.String("ns-host", "", "name server host (default: locate it like Pyro4, $PYRO_NS_HOST)")
	nsPort := fs.Int("ns-port", 0, "name server port (default $PYRO_NS_PORT or 9090)")
	name := fs.String("name", currency.DefaultName, "name to register under; give each worker its own")
	ratesURL := fs.String("rates-url", "", "ask this rate service instead of the shipped ECB table: a URL with {pair}, {base}, {quote}")
	latency := fs.Duration("latency", 0, "add this delay to every rate, as a remote rate service would")
	quiet := fs.Bool("quiet", false, "do not log requests")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "worker: unexpected arguments %q\n", fs.Args())
		return 2
	}
	cfg, err := pyro.DaemonConfigFromEnv()
	if err != nil {
		fmt.Fprintln(stderr, "worker:", err)
		return 1
	}
	nsCfg, err := pyro.ProxyConfigFromEnv()
	if err != nil {
		fmt.Fprintln(stderr, "worker:", err)
		return 1
	}
	if *host != "" {
		cfg.Host = *host
	}
	cfg.Port = *port
	ns := nameServer(&nsCfg, *nsHost, *nsPort)

	var src currency.Source
	what := "rates: ECB euro foreign exchange reference rates of " + currency.ECB().Date
	if *ratesURL != "" {
		src = &currency.HTTPSource{URL: *ratesURL}
		what = "rates: " + *ratesURL
	} else {
		src = currency.ECB()
	}
	if *latency > 0 {
		src = currency.WithLatency(src, *latency)
	}
	opts := []currency.WorkerOption{currency.WithNameServerConfig(nsCfg)}
	if !*quiet {
		opts = append(opts, currency.WithLog(stdout))
	}
	w, err := currency.StartWorker(ctx, cfg, ns, *name, src, opts...)
	if err != nil {
		fmt.Fprintln(stderr, "worker:", err)
		return 1
	}
	fmt.Fprintf(stdout, "worker %s ready: %s (%s)\n", w.Name(), w.URI(), what)
	select {
	case <-ctx.Done():
	case <-w.Done():
		fmt.Fprintln(stderr, "worker: stopped serving:", w.Err())
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.Stop(sctx); err != nil {
		fmt.Fprintln(stderr, "worker:", err)
		return 1
	}
	fmt.Fprintf(stdout, "worker %s stopped\n", w.Name())
	return 0
}

// nameServer returns the name server's URI when its host is given, and otherwise the zero URI
// (locate it), with cfg's port set.
func nameServer(cfg *pyro.ProxyConfig, host string, port int) pyro.URI {
	if port != 0 {
		cfg.NSPort = port
	}
	if host == "" {
		return pyro.URI{}
	}
	return pyro.URI{Protocol: pyro.ProtocolPyro, Object: pyro.NameServerObjectID, Host: host, Port: cmp.Or(cfg.NSPort, pyro.DefaultNSPort)}
}
