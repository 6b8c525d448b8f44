package main

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/examples/currency"
	"github.com/gopyro/pyro/examples/currency/internal/nstest"
)

// TestWorkerCommand runs the worker as the README does, asks it through the name server,
// interrupts it and checks that it left the name server.
func TestWorkerCommand(t *testing.T) {
	ns := nstest.StartGoNS(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr nstest.SyncBuffer
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"-host", "127.0.0.1", "-ns-host", "127.0.0.1", "-ns-port", strconv.Itoa(ns.Port),
			"-name", "MyWorker.7", "-latency", "1ms"}, &stdout, &stderr)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(stdout.String(), "ready") {
		if time.Now().After(deadline) {
			t.Fatalf("worker did not start:\n%s\n%s", stdout.String(), stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	cfg := pyro.ProxyConfig{}
	rep, err := currency.RunMaster(ctx, cfg, ns, "MyWorker.7", []string{"EURUSD", "XXXYYY"}, currency.MasterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r := rep.FanOut.Results[0]; r.Err != nil || r.Rate != 1.0705 {
		t.Errorf("EURUSD: %v %v", r.Rate, r.Err)
	}
	cancel()
	select {
	case c := <-code:
		if c != 0 {
			t.Errorf("exit status %d:\n%s", c, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("worker did not stop")
	}
	out := stdout.String()
	for _, want := range []string{
		"worker MyWorker.7 ready: PYRO:obj_",
		"(rates: ECB euro foreign exchange reference rates of 2024-06-28)\n",
		"get_rate('EURUSD') -> 1.0705\n",
		"get_rate('XXXYYY') failed: builtins.ValueError: unknown currency pair: 'XXXYYY' (no reference rate for XXX)\n",
		"worker MyWorker.7 stopped\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if _, err := currency.FindWorkers(context.Background(), cfg, ns, ""); err == nil {
		t.Error("the stopped worker is still registered")
	}
}

func TestWorkerCommandErrors(t *testing.T) {
	var stdout, stderr nstest.SyncBuffer
	ctx := context.Background()
	if c := run(ctx, []string{"-nope"}, &stdout, &stderr); c != 2 {
		t.Errorf("bad flag: status %d", c)
	}
	if c := run(ctx, []string{"extra"}, &stdout, &stderr); c != 2 {
		t.Errorf("extra argument: status %d", c)
	}
	if c := run(ctx, []string{"-h"}, &stdout, &stderr); c != 0 {
		t.Errorf("-h: status %d", c)
	}
	// No name server on port 1: a clear error, status 1.
	if c := run(ctx, []string{"-host", "127.0.0.1", "-ns-host", "127.0.0.1", "-ns-port", "1"}, &stdout, &stderr); c != 1 {
		t.Errorf("no name server: status %d", c)
	}
	if !strings.Contains(stderr.String(), "name server") {
		t.Errorf("stderr: %s", stderr.String())
	}
}
