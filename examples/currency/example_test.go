package currency_test

import (
	"context"
	"fmt"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/examples/currency"
	"github.com/gopyro/pyro/naming/nameserver"
)

// A worker served by a daemon, and a master asking it directly by its PYRO URI (the
// walkthrough in README.md goes through a name server instead).
func Example() {
	d, err := pyro.NewDaemon(pyro.DaemonConfig{Host: "127.0.0.1"})
	if err != nil {
		panic(err)
	}
	defer d.Close()
	ln, err := d.Listen()
	if err != nil {
		panic(err)
	}
	go d.Serve(context.Background(), ln)
	uri, err := currency.RegisterWorker(d, currency.ECB())
	if err != nil {
		panic(err)
	}

	m, err := currency.NewMaster(pyro.ProxyConfig{}, []currency.Endpoint{{Name: "MyWorker", URI: uri.String()}}, currency.MasterOptions{})
	if err != nil {
		panic(err)
	}
	defer m.Close()
	run := m.FanOut(context.Background(), []string{"EURUSD", "USDJPY", "XXXYYY"})
	for _, r := range run.Results {
		if r.Err != nil {
			fmt.Println(r.Pair, currency.FormatError(r.Err))
			continue
		}
		fmt.Println(r.Pair, currency.FormatRate(r.Rate))
	}
	// Output:
	// EURUSD 1.0705
	// USDJPY 160.617
	// XXXYYY ValueError: unknown currency pair: 'XXXYYY' (no reference rate for XXX)
}

// The shipped table: the ECB's reference rates of one day, and cross rates via EUR.
func ExampleECB() {
	tab := currency.ECB()
	fmt.Println(tab.Date, "-", tab.Provenance)
	for _, pair := range []string{"EURUSD", "GBPUSD", "usdchf", "EURXXX", "EURO"} {
		base, quote, err := currency.ParsePair(pair)
		if err == nil {
			var rate float64
			if rate, err = tab.Rate(context.Background(), base, quote); err == nil {
				fmt.Println(base+quote, rate)
				continue
			}
		}
		fmt.Println(err)
	}
	// Output:
	// 2024-06-28 - European Central Bank euro foreign exchange reference rates
	// EURUSD 1.0705
	// GBPUSD 1.2648
	// USDCHF 0.899953
	// unknown currency pair: 'EURXXX' (no reference rate for XXX)
	// unknown currency pair: 'EURO' (want six letters such as EURUSD)
}

// Everything in one process, as cmd/demo does it: a name server, two workers registered
// with it, and a master spreading the pairs over both. Report.WriteTable would print the
// rates with the timings of both passes.
func ExampleRunMaster() {
	ctx := context.Background()
	cfg := pyro.DaemonConfig{Host: "127.0.0.1"} // any free port
	ns, err := nameserver.Start(nameserver.Config{Daemon: cfg, NoBroadcast: true})
	if err != nil {
		panic(err)
	}
	defer ns.Close()
	go ns.Serve(ctx)

	for _, name := range []string{"MyWorker", "MyWorker.2"} {
		w, err := currency.StartWorker(ctx, cfg, ns.URI(), name, currency.ECB())
		if err != nil {
			panic(err)
		}
		defer w.Stop(ctx)
	}

	// Name "" means every worker tagged currency.Tag; "MyWorker" would ask that one only.
	rep, err := currency.RunMaster(ctx, pyro.ProxyConfig{}, ns.URI(), "", []string{"EURUSD", "USDJPY", "EURGBP", "XXXYYY"}, currency.MasterOptions{})
	if err != nil {
		panic(err)
	}
	for _, r := range rep.Sequential.Results {
		if r.Err != nil {
			fmt.Println(r.Pair, "from", r.Worker, "->", currency.FormatError(r.Err))
			continue
		}
		fmt.Println(r.Pair, "from", r.Worker, "->", currency.FormatRate(r.Rate))
	}
	fmt.Println("fan-out answered", len(rep.FanOut.Results)-rep.FanOut.Failed(), "of", len(rep.FanOut.Results))
	// Output:
	// EURUSD from MyWorker -> 1.0705
	// USDJPY from MyWorker.2 -> 160.617
	// EURGBP from MyWorker -> 0.84638
	// XXXYYY from MyWorker.2 -> ValueError: unknown currency pair: 'XXXYYY' (no reference rate for XXX)
	// fan-out answered 3 of 4
}
