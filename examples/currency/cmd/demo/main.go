// Command demo runs the currency example in one process, on real loopback sockets: a name
// server, several workers registered as MyWorker, MyWorker.2, ... and a master that looks them
// up and asks for exchange rates, one at a time and fanned out. It prints the rates and both
// timings, and needs nothing but Go.
//
//	go run ./examples/currency/cmd/demo
//	go run ./examples/currency/cmd/demo -w 5 --latency 50ms -s msgpack EURUSD USDJPY XXXYYY
//	go run ./examples/currency/cmd/demo --cluster   # etcd, two name servers; one is stopped mid-run
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/examples/currency"
	"github.com/gopyro/pyro/naming/nameserver"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is main with its environment passed in, for the tests.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: demo [flags] [PAIR...]")
		fs.PrintDefaults()
	}
	var (
		workers int
		latency time.Duration
		ser     string
		cluster bool
	)
	fs.IntVar(&workers, "workers", 3, "number of workers")
	fs.IntVar(&workers, "w", 3, "short for -workers")
	fs.DurationVar(&latency, "latency", 20*time.Millisecond, "simulated lookup time of each rate (as if fetched from a web service)")
	fs.StringVar(&ser, "serializer", "serpent", "serializer: serpent, json, marshal or msgpack")
	fs.StringVar(&ser, "s", "serpent", "short for -serializer")
	fs.BoolVar(&cluster, "cluster", false, "run a 3-member etcd and two name servers on it, and stop one between two runs of the master")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if workers < 1 {
		fmt.Fprintln(stderr, "demo: need at least one worker")
		return 2
	}
	pairs := fs.Args()
	if len(pairs) == 0 {
		pairs = currency.DefaultPairs()
	}
	if cluster {
		return runCluster(ctx, workers, latency, ser, pairs, stdout, stderr)
	}
	cfg := pyro.DaemonConfig{Host: "127.0.0.1"} // any free port
	pcfg := pyro.ProxyConfig{Serializer: ser}
	ns, err := nameserver.Start(nameserver.Config{Daemon: pyro.DaemonConfig{Host: "127.0.0.1"}, NoBroadcast: true})
	if err != nil {
		fmt.Fprintln(stderr, "error: name server:", err)
		return 1
	}
	defer ns.Close()
	go ns.Serve(ctx)
	fmt.Fprintf(stdout, "name server   %s\n", ns.URI())

	src := currency.WithLatency(currency.ECB(), latency)
	for i := 1; i <= workers; i++ {
		name := currency.DefaultName
		if i > 1 {
			name = fmt.Sprintf("%s.%d", currency.DefaultName, i)
		}
		w, err := currency.StartWorker(ctx, cfg, ns.URI(), name, src, currency.WithNameServerConfig(pcfg))
		if err != nil {
			fmt.Fprintln(stderr, "error: worker:", err)
			return 1
		}
		defer w.Stop(context.Background())
		fmt.Fprintf(stdout, "worker        %-12s %s (percall)\n", name, w.URI())
	}
	fmt.Fprintf(stdout, "master        asks for %d pairs through PYROMETA:%s (%s)\n\n", len(pairs), currency.Tag, ser)

	rep, err := currency.RunMaster(ctx, pcfg, ns.URI(), "", pairs, currency.MasterOptions{})
	if err != nil {
		fmt.Fprintln(stderr, "error: master:", err)
		return 1
	}
	if err := rep.WriteTable(stdout); err != nil {
		return 1
	}
	fmt.Fprintln(stdout, "\n"+strings.TrimSpace(`
Rates: ECB euro foreign exchange reference rates of 2024-06-28 (cross rates via EUR).
Next: the same with separate processes and Python, see README.md ("Walkthrough").`))
	return 0
}
