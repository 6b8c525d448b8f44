package main

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/examples/currency"
	"github.com/gopyro/pyro/examples/currency/internal/nstest"
)

func startWorker(t *testing.T, ns pyro.URI, name string) {
	cfg := pyro.DaemonConfig{Host: "127.0.0.1"}
	w, err := currency.StartWorker(context.Background(), cfg, ns, name, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
}

// TestMasterCommand runs the master as the README does: by name, with pairs, then -all.
func TestMasterCommand(t *testing.T) {
	ns := nstest.StartGoNS(t)
	startWorker(t, ns, "MyWorker")
	startWorker(t, ns, "MyWorker.2")
	nsArgs := []string{"-ns-host", "127.0.0.1", "-ns-port", strconv.Itoa(ns.Port)}

	var stdout, stderr nstest.SyncBuffer
	if c := run(context.Background(), append(nsArgs, "EURUSD", "XXXYYY", "usdjpy"), &stdout, &stderr); c != 0 {
		t.Fatalf("status %d:\n%s", c, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{
		"PAIR    RATE     SEQUENTIAL  FAN-OUT\n",
		"EURUSD  1.0705   MyWorker    MyWorker\n",
		"XXXYYY  error    MyWorker    MyWorker  ValueError: unknown currency pair: 'XXXYYY' (no reference rate for XXX)\n",
		"usdjpy  160.617  MyWorker    MyWorker\n",
		"workers:    MyWorker\n",
		"sequential: 3 pairs in ",
		"fan-out:    3 pairs in ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	stdout, stderr = nstest.SyncBuffer{}, nstest.SyncBuffer{}
	if c := run(context.Background(), append(nsArgs, "-all", "-concurrency", "3"), &stdout, &stderr); c != 0 {
		t.Fatalf("-all: status %d:\n%s", c, stderr.String())
	}
	out = stdout.String()
	for _, want := range []string{"workers:    MyWorker, MyWorker.2\n", "(6 goroutines)", "GBPJPY  203.148"} {
		if !strings.Contains(out, want) {
			t.Errorf("-all output lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "\n"); n != len(currency.DefaultPairs())+5 {
		t.Errorf("-all printed %d lines:\n%s", n, out)
	}
}

func TestMasterCommandErrors(t *testing.T) {
	ns := nstest.StartGoNS(t)
	nsArgs := []string{"-ns-host", "127.0.0.1", "-ns-port", strconv.Itoa(ns.Port)}
	var stdout, stderr nstest.SyncBuffer
	ctx := context.Background()
	if c := run(ctx, []string{"-nope"}, &stdout, &stderr); c != 2 {
		t.Errorf("bad flag: status %d", c)
	}
	if c := run(ctx, []string{"-h"}, &stdout, &stderr); c != 0 {
		t.Errorf("-h: status %d", c)
	}
	stderr = nstest.SyncBuffer{}
	if c := run(ctx, append(nsArgs, "-all"), &stdout, &stderr); c != 1 || !strings.Contains(stderr.String(), "no worker registered") {
		t.Errorf("-all without workers: status %d, %s", c, stderr.String())
	}
	stderr = nstest.SyncBuffer{}
	if c := run(ctx, append(nsArgs, "EURUSD"), &stdout, &stderr); c != 1 || !strings.Contains(stderr.String(), "MyWorker") {
		t.Errorf("MyWorker not registered: status %d, %s", c, stderr.String())
	}
}
