package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestDemoCommand runs the demo end to end: a name server, workers and the master in one process.
func TestDemoCommand(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"-w", "2", "--latency", "1ms", "EURUSD", "USDJPY", "XXXYYY"}, &stdout, &stderr)
	out := stdout.String()
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, stderr.String())
	}
	for _, want := range []string{"EURUSD  1.0705", "USDJPY  160.617", "XXXYYY", "ValueError", "sequential:", "fan-out:", "MyWorker.2", "(serpent)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestDemoCommandFlags(t *testing.T) {
	ctx := context.Background()
	var stdout, stderr bytes.Buffer
	if c := run(ctx, []string{"--workers", "1", "--latency", "0", "-s", "msgpack", "EURUSD"}, &stdout, &stderr); c != 0 ||
		!strings.Contains(stdout.String(), "(msgpack)") || strings.Contains(stdout.String(), "MyWorker.2") {
		t.Errorf("long and short flags: status %d\n%s%s", c, stdout.String(), stderr.String())
	}
	for _, args := range [][]string{{"-w", "0"}, {"--no-such-flag"}} {
		if c := run(ctx, args, &stdout, &stderr); c != 2 {
			t.Errorf("%v: status %d, want 2", args, c)
		}
	}
	stderr.Reset()
	if c := run(ctx, []string{"-h"}, &stdout, &stderr); c != 0 || !strings.Contains(stderr.String(), "Usage: demo") {
		t.Errorf("-h: status %d\n%s", c, stderr.String())
	}
}

// TestDemoCluster: with --cluster the master's second run, after the first name server was
// stopped, still finds every worker and gets the rates.
func TestDemoCluster(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"--cluster", "-w", "2", "--latency", "1ms", "EURUSD", "USDJPY"}, &stdout, &stderr)
	out := stdout.String()
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, stderr.String())
	}
	_, second, ok := strings.Cut(out, "stopped; the master runs again")
	if !ok {
		t.Fatalf("no second round:\n%s", out)
	}
	for _, want := range []string{"EURUSD  1.0705", "USDJPY  160.617", "fan-out:", "MyWorker.2"} {
		if !strings.Contains(second, want) {
			t.Errorf("second round lacks %q:\n%s", want, out)
		}
	}
}
