package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/naming"
	"github.com/gopyro/pyro/naming/nameserver"
	"github.com/gopyro/pyro/pyrotest"
)

// logLines are the slog lines (text handler) a process wrote to standard error.
type logLines []string

func parseLog(stderr string) logLines {
	var ls logLines
	for l := range strings.Lines(stderr) {
		if strings.Contains(l, " level=") {
			ls = append(ls, strings.TrimSpace(l))
		}
	}
	return ls
}

// with returns the lines containing every one of parts.
func (ls logLines) with(parts ...string) logLines {
	var out logLines
next:
	for _, l := range ls {
		for _, p := range parts {
			if !strings.Contains(l, p) {
				continue next
			}
		}
		out = append(out, l)
	}
	return out
}

// levelCase is a server command's flags and the log lines they must (and must not) give.
type levelCase struct {
	flags         []string
	info, debug   bool // connection events (Info); the library's Debug lines
	failed        bool // the failed call's line (Warn)
	stderrIsEmpty bool
}

var levelCases = []levelCase{
	{flags: nil, stderrIsEmpty: true}, // the default: no line per connection or failed call
	{flags: []string{"-v"}, info: true, failed: true},
	{flags: []string{"--verbose"}, info: true, failed: true},
	{flags: []string{"-v", "-v"}, info: true, debug: true, failed: true},
	{flags: []string{"-vv"}, info: true, debug: true, failed: true},
	{flags: []string{"--verbose", "-v"}, info: true, debug: true, failed: true},
	{flags: []string{"-v", "-v", "--log-level", "warn"}, failed: true}, // --log-level wins
	{flags: []string{"--log-level", "debug"}, info: true, debug: true, failed: true},
	{flags: []string{"-v", "-v", "--verbose=false", "-v"}, info: true, failed: true}, // =false resets
}

// checkLevels checks one server's log lines for c. debugMsg is the Debug line the exercise
// caused; failed is what the failed call's line must contain.
func checkLevels(t *testing.T, c levelCase, stderr string, debugMsg string, failed []string) {
	t.Helper()
	ls := parseLog(stderr)
	if c.stderrIsEmpty && stderr != "" {
		t.Errorf("standard error is not empty:\n%s", stderr)
	}
	info := ls.with("level=INFO", `msg="pyro: connection opened"`, "event=opened", "remote=127.0.0.1:")
	if c.info && len(info) == 0 {
		t.Errorf("no Info line for the connection opened:\n%s", stderr)
	}
	if !c.info && len(ls.with("level=INFO")) > 0 {
		t.Errorf("Info lines:\n%s", strings.Join(ls.with("level=INFO"), "\n"))
	}
	if c.debug && len(ls.with("level=DEBUG", debugMsg)) == 0 {
		t.Errorf("no Debug line %s:\n%s", debugMsg, stderr)
	}
	if !c.debug && len(ls.with("level=DEBUG")) > 0 {
		t.Errorf("Debug lines:\n%s", strings.Join(ls.with("level=DEBUG"), "\n"))
	}
	f := ls.with(append([]string{"level=WARN", `msg="pyro: call failed"`}, failed...)...)
	if c.failed && len(f) != 1 {
		t.Errorf("%d lines for the failed call with %q, want 1:\n%s", len(f), failed, stderr)
	}
	if !c.failed && len(ls.with(`msg="pyro: call failed"`)) > 0 {
		t.Errorf("failed call logged:\n%s", stderr)
	}
}

// TestServerVerbosity runs `pyro echoserver` and `pyro ns` with each -v count (and
// --log-level beside it), makes a connection, a failing call with a known correlation id and
// a oneway call that fails (a Debug line of the daemon, and a Warn one without that id), stops the server with SIGTERM and
// reads all it logged.
func TestServerVerbosity(t *testing.T) {
	corr := [16]byte{0xc0, 0xff, 0xee, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}
	corrHex := hex.EncodeToString(corr[:])
	for i, c := range levelCases {
		t.Run(fmt.Sprintf("echoserver/%d%v", i, c.flags), func(t *testing.T) {
			t.Parallel()
			p := startObservedProc(t, nil, append([]string{"echoserver", "-H", "127.0.0.1"}, c.flags...), "echo uri: ")
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			proxy, err := pyro.NewProxy(p.vals[0])
			if err != nil {
				t.Fatal(err)
			}
			var got string
			if err := proxy.Call(ctx, "echo", &got, "hello"); err != nil || got != "hello" {
				t.Fatalf("echo: %q %v", got, err)
			}
			if err := proxy.Call(pyro.WithCorrelationID(ctx, corr), "error", nil); err == nil {
				t.Fatal("error() did not raise")
			}
			if err := proxy.Oneway(ctx, "error"); err != nil { // raises in the daemon only
				t.Fatal(err)
			}
			// The connection reads in order: once this answers, the oneway call has started, and
			// the daemon's shutdown waits for it.
			if err := proxy.Call(ctx, "echo", &got, "sync"); err != nil {
				t.Fatal(err)
			}
			proxy.Close()
			if code := p.stop(t); code != 0 {
				t.Fatalf("exit %d after SIGTERM: %s", code, p.stderr)
			}
			checkLevels(t, c, p.stderr.String(), `msg="pyro: oneway call failed" method=error`,
				[]string{"object=test.echoserver", "method=error", "class=builtins.ValueError", "correlation_id=" + corrHex})
		})
		t.Run(fmt.Sprintf("ns/%d%v", i, c.flags), func(t *testing.T) {
			t.Parallel()
			p := startObservedProc(t, nil, append([]string{"ns", "-n", "127.0.0.1", "-p", "0", "-x"}, c.flags...), "URI = ")
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			u, err := pyro.ParseURI(p.vals[0])
			if err != nil {
				t.Fatal(err)
			}
			nsc, err := naming.NewClientURI(u)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := nsc.Lookup(pyro.WithCorrelationID(ctx, corr), "no.such.name"); err == nil {
				t.Fatal("lookup of an unknown name succeeded")
			}
			nsc.Close()
			proxy, err := pyro.NewProxyURI(u)
			if err != nil {
				t.Fatal(err)
			}
			if err := proxy.Oneway(ctx, "lookup", "no.such.name"); err != nil { // fails in the daemon only
				t.Fatal(err)
			}
			if err := proxy.Call(ctx, "ping", nil); err != nil { // the oneway call has started
				t.Fatal(err)
			}
			proxy.Close()
			if code := p.stop(t); code != 0 {
				t.Fatalf("exit %d after SIGTERM: %s", code, p.stderr)
			}
			checkLevels(t, c, p.stderr.String(), `msg="pyro: oneway call failed" method=lookup`,
				[]string{"object=Pyro.NameServer", "method=lookup", "class=Pyro4.errors.NamingError", "correlation_id=" + corrHex})
		})
	}
}

// blocker's Wait runs until the test releases it, and says when it has started.
type blocker struct{ started, release chan struct{} }

func (b *blocker) Wait() string {
	b.started <- struct{}{}
	<-b.release
	return "released"
}

// TestGatewayVerbosity runs `pyro gateway` with each -v count: a client that hangs up while its
// call runs is a Debug line (the gateway's only one), logged with -v -v and not with -v or
// without. The gateway's failed calls are Warn lines whatever the count.
func TestGatewayVerbosity(t *testing.T) {
	ns := pyrotest.NewNameServer(t, nameserver.Config{})
	d := pyrotest.NewDaemon(t, pyro.DaemonConfig{})
	b := &blocker{started: make(chan struct{}), release: make(chan struct{})}
	t.Cleanup(func() { close(b.release) }) // before the daemon's shutdown (cleanups run last first)
	uri, err := d.Register(b, pyro.WithID("test.blocker"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	nsc := pyrotest.NewNameServerClient(t, ns.URI())
	if err := nsc.Register(ctx, "test.blocker", uri, naming.RegisterOptions{}); err != nil {
		t.Fatal(err)
	}
	nowhere, _ := pyro.ParseURI("PYRO:nowhere@127.0.0.1:1") // nobody listens there
	if err := nsc.Register(ctx, "test.nowhere", nowhere, naming.RegisterOptions{}); err != nil {
		t.Fatal(err)
	}
	env := []string{"PYRO_NS_HOST=127.0.0.1", "PYRO_NS_PORT=" + strconv.Itoa(ns.URI().Port)}
	for _, c := range []struct {
		flags []string
		debug bool
	}{
		{nil, false},
		{[]string{"-v"}, false},
		{[]string{"-v", "-v"}, true},
		{[]string{"-vv"}, true},
		{[]string{"-vv", "--log-level", "info"}, false},
	} {
		t.Run(fmt.Sprint(c.flags), func(t *testing.T) {
			p := startObservedProc(t, env, append([]string{"gateway", "-H", "127.0.0.1", "-p", "0", "-e", `test\.`}, c.flags...),
				"Pyro HTTP gateway running on ")
			base := p.vals[0]
			// A client that goes away while its call runs.
			rctx, hangUp := context.WithCancel(ctx)
			req, _ := http.NewRequestWithContext(rctx, "GET", base+"pyro/test.blocker/wait", nil)
			errc := make(chan error, 1)
			go func() {
				res, err := http.DefaultClient.Do(req)
				if err == nil {
					res.Body.Close()
				}
				errc <- err
			}()
			select {
			case <-b.started:
			case <-ctx.Done():
				t.Fatal("the gateway's call did not start")
			}
			hangUp()
			if err := <-errc; err == nil {
				t.Fatal("the cancelled request succeeded")
			}
			// A failed call: an object with no daemon behind it, a 500 and a Warn line.
			res, err := http.Get(base + "pyro/test.nowhere/echo")
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusInternalServerError {
				t.Errorf("call to an object with no daemon: %s", res.Status)
			}
			if code := p.stop(t); code != 0 {
				t.Fatalf("exit %d after SIGTERM: %s", code, p.stderr)
			}
			ls := parseLog(p.stderr.String())
			gone := ls.with("level=DEBUG", `msg="gateway: client went away"`, "name=test.blocker", "method=wait")
			if c.debug && len(gone) != 1 {
				t.Errorf("%d Debug lines for the client gone, want 1:\n%s", len(gone), p.stderr)
			}
			if !c.debug && len(ls.with("level=DEBUG")) > 0 {
				t.Errorf("Debug lines:\n%s", p.stderr)
			}
			if failed := ls.with("level=WARN", `msg="gateway: call failed"`, "name=test.nowhere"); len(failed) != 1 {
				t.Errorf("%d Warn lines for the failed call, want 1:\n%s", len(failed), p.stderr)
			}
		})
	}
}
