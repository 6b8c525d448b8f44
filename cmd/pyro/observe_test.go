package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/internal/pytest"
	"github.com/gopyro/pyro/naming"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
)

// startObserved runs `pyro args...` and returns the values after each of prefixes on its
// standard output.
func startObserved(t *testing.T, args []string, prefixes ...string) []string {
	t.Helper()
	return startObservedEnv(t, nil, args, prefixes...)
}

// startObservedEnv is startObserved with extra environment entries (PYRO_* ones included).
func startObservedEnv(t *testing.T, env []string, args []string, prefixes ...string) []string {
	t.Helper()
	return startObservedProc(t, env, args, prefixes...).vals
}

// observedProc is a `pyro` process started by startObservedProc: the values printed after
// the prefixes asked for, its standard error so far, and the process (killed when the test
// ends, unless it ended before).
type observedProc struct {
	vals   []string
	stderr *pytest.SyncBuffer
	cmd    *exec.Cmd
}

// stop sends SIGTERM, as a terminal's kill or a service manager does, and returns the exit
// status once the process has ended (and all its standard error is in p.stderr).
func (p *observedProc) stop(t *testing.T) int {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(time.Minute):
		p.cmd.Process.Kill()
		<-done
		t.Fatalf("%v did not end after SIGTERM: %s", p.cmd.Args, p.stderr)
	}
	return -1
}

// startObservedProc is startObservedEnv returning the process too.
func startObservedProc(t *testing.T, env []string, args []string, prefixes ...string) *observedProc {
	t.Helper()
	cmd := pyroCmd(context.Background(), args...)
	cmd.Env = append(cmd.Env, env...)
	stdout, _ := cmd.StdoutPipe()
	stderr := new(pytest.SyncBuffer)
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil { // not waited for by stop
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	found := make(chan []string, 1)
	go func() {
		vals := make([]string, len(prefixes))
		left := len(prefixes)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			for i, p := range prefixes {
				if v, ok := strings.CutPrefix(sc.Text(), p); ok && vals[i] == "" {
					vals[i] = strings.TrimSpace(v)
					if left--; left == 0 {
						found <- vals
					}
				}
			}
		}
		close(found)
	}()
	select {
	case v, ok := <-found:
		if !ok {
			t.Fatalf("pyro %v exited: %s", args, stderr.String())
		}
		return &observedProc{v, stderr, cmd}
	case <-time.After(30 * time.Second):
		t.Fatalf("pyro %v did not print %q: %s", args, prefixes, stderr.String())
	}
	return nil
}

// scrapeMetrics reads url's exposition, lints it as promtool does, and returns it parsed.
func scrapeMetrics(t *testing.T, url string) *topSnapshot {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	problems, err := promlint.New(resp.Body).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "pyro_") {
			t.Errorf("lint %s: %s: %s", url, p.Metric, p.Text)
		}
	}
	snap, err := scrape(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// waitMetric scrapes until name's matching series add up to want: a daemon counts a call
// after writing its reply.
func waitMetric(t *testing.T, url string, want float64, name string, match ...string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		snap, err := scrape(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		got := snap.sum(name, match...)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s%v = %v, want %v", name, match, got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestMetricsOfServers calls `pyro echoserver` and `pyro ns`, both with --metrics, from Go
// and from Python Pyro4, and checks their /metrics against the calls made.
func TestMetricsOfServers(t *testing.T) {
	pytest.Require(t)
	ns := startObserved(t, []string{"ns", "-n", "127.0.0.1", "-p", "0", "-x", "--metrics", "127.0.0.1:0"}, "metrics on ", "URI = ")
	nsMetrics, nsURI := ns[0], ns[1]
	echo := startObserved(t, []string{"echoserver", "-H", "127.0.0.1", "--metrics", "127.0.0.1:0"}, "metrics on ", "echo uri: ")
	echoMetrics, echoURI := echo[0], echo[1]

	ctx := context.Background()
	u, err := pyro.ParseURI(echoURI)
	if err != nil {
		t.Fatal(err)
	}
	p, err := pyro.NewProxyURI(u)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for range 3 {
		if err := p.Call(ctx, "echo", nil, "go"); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Call(ctx, "error", nil); err == nil {
		t.Fatal("error() did not raise")
	}
	if err := p.Oneway(ctx, "oneway_echo", "go"); err != nil {
		t.Fatal(err)
	}
	nu, _ := pyro.ParseURI(nsURI)
	nsc, err := naming.NewClientURI(nu)
	if err != nil {
		t.Fatal(err)
	}
	defer nsc.Close()
	if err := nsc.Register(ctx, "go.echo", u, naming.RegisterOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := nsc.Lookup(ctx, "go.echo"); err != nil {
		t.Fatal(err)
	}
	if _, err := nsc.Lookup(ctx, "no.such.name"); err == nil {
		t.Fatal("lookup of an unknown name succeeded")
	}
	out := pytest.Run(t, fmt.Sprintf(`
import Pyro4
with Pyro4.Proxy(%q) as p:
    p.echo("py"); p.echo("py")
    try:
        p.error()
    except ValueError:
        print("ValueError")
    p.oneway_echo("py")
with Pyro4.Proxy(%q) as ns:
    ns.register("py.echo", %q)
    print(ns.lookup("go.echo").object)
`, echoURI, nsURI, echoURI), nil)
	if got := string(out); got != "ValueError\ntest.echoserver\n" {
		t.Fatalf("Python client printed %q", got)
	}

	echoObj := []string{"object", "test.echoserver"}
	waitMetric(t, echoMetrics, 5, "pyro_server_calls_total", append(echoObj, "method", "echo", "outcome", "ok")...)
	waitMetric(t, echoMetrics, 2, "pyro_server_calls_total", append(echoObj, "method", "oneway_echo", "oneway", "true")...)
	waitMetric(t, echoMetrics, 2, "pyro_server_calls_total", append(echoObj, "method", "error", "outcome", "error")...)
	waitMetric(t, echoMetrics, 2, "pyro_server_call_errors_total", append(echoObj, "method", "error", "class", "builtins.ValueError")...)
	waitMetric(t, echoMetrics, 5, "pyro_server_call_duration_seconds", append(echoObj, "method", "echo")...)
	snap := scrapeMetrics(t, echoMetrics)
	if got := snap.sum("pyro_server_calls_total", append(echoObj, "method", "echo", "serializer", "serpent")...); got != 5 {
		t.Errorf("serpent echo calls: %v", got)
	}
	if got := snap.sum("pyro_server_connections_accepted_total"); got < 2 {
		t.Errorf("connections accepted: %v, want at least 2 (one Go, one Python)", got)
	}
	if got := snap.sum("pyro_server_received_bytes_total", append(echoObj, "method", "echo")...); got <= 0 {
		t.Errorf("bytes received by echo: %v", got)
	}

	nsObj := []string{"object", "Pyro.NameServer"}
	waitMetric(t, nsMetrics, 2, "pyro_server_calls_total", append(nsObj, "method", "lookup", "outcome", "ok")...)
	waitMetric(t, nsMetrics, 1, "pyro_server_calls_total", append(nsObj, "method", "lookup", "outcome", "error")...)
	waitMetric(t, nsMetrics, 1, "pyro_server_call_errors_total", append(nsObj, "method", "lookup", "class", "Pyro4.errors.NamingError")...)
	snap = scrapeMetrics(t, nsMetrics)
	if got := snap.sum("pyro_nameserver_entries"); got != 3 {
		t.Errorf("name server entries: %v, want 3 (itself, go.echo, py.echo)", got)
	}
	if got := snap.sum("pyro_nameserver_operations_total", "op", "register"); got != 3 {
		t.Errorf("register operations: %v, want 3", got)
	}
	if got := snap.sum("pyro_nameserver_storage_duration_seconds", "op", "lookup"); got != 3 {
		t.Errorf("lookup latency samples: %v, want 3", got)
	}

	top, errOut, code := runPyro("top", "--once", strings.TrimSuffix(strings.TrimPrefix(echoMetrics, "http://"), "/metrics"))
	if code != 0 || !strings.Contains(top, "test.echoserver") || !strings.Contains(top, "builtins.ValueError") {
		t.Errorf("pyro top --once: exit %d\n%s\n%s", code, top, errOut)
	}
	top, errOut, code = runPyro("top", "--once", nsMetrics)
	if code != 0 || !strings.Contains(top, "name server: 3 entries") || !strings.Contains(top, "lookup") {
		t.Errorf("pyro top --once (ns): exit %d\n%s\n%s", code, top, errOut)
	}
}
