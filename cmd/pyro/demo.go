package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/examples/currency"
	"github.com/gopyro/pyro/naming/nameserver"
)

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flagSet("demo", "[flags] [PAIR...]\n\n"+
		"Runs the currency example in one process, on real loopback sockets: a name server, several\n"+
		"workers registered as MyWorker, MyWorker.2, ... and a master that looks them up and asks\n"+
		"for exchange rates, one at a time and fanned out. Prints the rates and both timings.", stderr)
	var (
		workers int
		latency time.Duration
		ser     string
	)
	intFlag(fs, &workers, "w", "workers", 3, "number of workers")
	fs.DurationVar(&latency, "latency", 20*time.Millisecond, "simulated lookup time of each rate (as if fetched from a web service)")
	stringFlag(fs, &ser, "s", "serializer", "serpent", "serializer: serpent, json, marshal or msgpack")
	if code := parse(fs, args); code >= 0 {
		return code
	}
	if workers < 1 {
		fmt.Fprintln(stderr, "pyro demo: need at least one worker")
		return 2
	}
	pairs := fs.Args()
	if len(pairs) == 0 {
		pairs = currency.DefaultPairs()
	}
	cfg := pyro.DefaultConfig()
	cfg.Host, cfg.Serializer = "127.0.0.1", ser
	ns, err := nameserver.Start(nameserver.Config{Daemon: cfg, NoBroadcast: true})
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
		w, err := currency.StartWorker(ctx, cfg, ns.URI(), name, src)
		if err != nil {
			fmt.Fprintln(stderr, "error: worker:", err)
			return 1
		}
		defer w.Stop(context.Background())
		fmt.Fprintf(stdout, "worker        %-12s %s (percall)\n", name, w.URI())
	}
	fmt.Fprintf(stdout, "master        asks for %d pairs through PYROMETA:%s (%s)\n\n", len(pairs), currency.Tag, ser)

	rep, err := currency.RunMaster(ctx, cfg, ns.URI(), "", pairs, currency.MasterOptions{})
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
