package currency_test

import (
	"bytes"
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/examples/currency"
	"github.com/gopyro/pyro/examples/currency/internal/nstest"
	"github.com/gopyro/pyro/internal/pytest"
)

// loopback is the configuration of every daemon and proxy in these tests: nothing leaves
// 127.0.0.1.
func loopback() pyro.ProxyConfig { return pyro.ProxyConfig{NSHost: "127.0.0.1"} }

func loopbackDaemon() pyro.DaemonConfig { return pyro.DaemonConfig{Host: "127.0.0.1"} }

// startGoNS runs our name server for the test; startPythonNS runs Pyro4's.
func startGoNS(t testing.TB) pyro.URI { return nstest.StartGoNS(t) }

func startPythonNS(t testing.TB) pyro.URI { return nstest.StartPythonNS(t) }

// pyWorker is a worker.py process.
type pyWorker struct {
	cmd *exec.Cmd
	uri string
}

// startPythonWorker runs worker.py registered under name with the name server at ns.
func startPythonWorker(t testing.TB, ns pyro.URI, name string) *pyWorker {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := pytest.Command(ctx, "worker.py", "--host", "127.0.0.1",
		"--ns-host", ns.Host, "--ns-port", strconv.Itoa(ns.Port), "--name", name)
	line := startAndRead(t, cmd, cancel, "worker ready: ")
	f := strings.Fields(line)
	if len(f) != 2 || f[0] != name {
		t.Fatalf("worker.py announced %q", line)
	}
	return &pyWorker{cmd: cmd, uri: f[1]}
}

// runPythonMaster runs master.py against the name server and returns its output.
func runPythonMaster(t testing.TB, ns pyro.URI, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := pytest.Command(ctx, append([]string{"master.py", "--ns-host", ns.Host, "--ns-port", strconv.Itoa(ns.Port)}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("master.py: %v\n%s", err, stderr.String())
	}
	return string(out)
}

var startAndRead = nstest.StartAndRead

type syncBuffer = nstest.SyncBuffer

// startGoWorker starts an in-process worker, stopped when the test ends.
func startGoWorker(t testing.TB, ns pyro.URI, name string, src currency.Source, opts ...currency.WorkerOption) *currency.WorkerServer {
	t.Helper()
	w, err := currency.StartWorker(context.Background(), loopbackDaemon(), ns, name, src, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// expected is what any worker answers for pair: its rate from the shipped table, or the text
// of the ValueError it raises.
func expected(t testing.TB, pair string) (rate float64, errText string) {
	t.Helper()
	base, quote, err := currency.ParsePair(pair)
	if err == nil {
		rate, err = currency.ECB().Rate(context.Background(), base, quote)
	}
	if err != nil {
		return 0, err.Error()
	}
	return rate, ""
}

// checkResults asserts one result per pair, in order, each the right rate or the right
// remote ValueError.
func checkResults(t testing.TB, run currency.Run, pairs []string) {
	t.Helper()
	if len(run.Results) != len(pairs) {
		t.Fatalf("%s: %d results for %d pairs", run.Mode, len(run.Results), len(pairs))
	}
	for i, r := range run.Results {
		if r.Pair != pairs[i] {
			t.Errorf("%s: result %d is for %q, want %q", run.Mode, i, r.Pair, pairs[i])
		}
		rate, errText := expected(t, pairs[i])
		if errText != "" {
			var re *pyro.RemoteError
			if !asRemote(r.Err, &re) || re.Class != "builtins.ValueError" || re.Message() != errText {
				t.Errorf("%s: %q: got error %v, want builtins.ValueError(%q)", run.Mode, pairs[i], r.Err, errText)
			}
			continue
		}
		if r.Err != nil || r.Rate != rate {
			t.Errorf("%s: %q: got %v, %v; want %v", run.Mode, pairs[i], r.Rate, r.Err, rate)
		}
	}
}
