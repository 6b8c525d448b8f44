package currency_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/examples/currency"
	"github.com/gopyro/pyro/internal/pytest"
)

// pythonMasterOutput is what master.py prints for pairs, given any worker's answers (the
// timing line aside).
func pythonMasterOutput(t *testing.T, pairs []string) string {
	var b strings.Builder
	for _, p := range pairs {
		rate, errText := expected(t, p)
		if errText != "" {
			fmt.Fprintf(&b, "%s error: ValueError: %s\n", p, errText)
			continue
		}
		fmt.Fprintf(&b, "%s %s\n", strings.ToUpper(p), currency.FormatRate(rate))
	}
	return b.String()
}

func splitTiming(t *testing.T, out string, pairs []string) string {
	t.Helper()
	body, timing, ok := strings.Cut(out, "sequential: ")
	want := fmt.Sprintf("%d pairs in ", len(pairs))
	if !ok || !strings.HasPrefix(timing, want) || !strings.HasSuffix(timing, fmt.Sprintf(" seconds, %d failed\n", len(badPairs))) {
		t.Errorf("master.py timing line %q", timing)
	}
	return body
}

// TestPythonMasterGoWorker: master.py, written with Python's Pyro4, finds the Go worker as
// PYRONAME:MyWorker and gets the same answers and exceptions a Python worker gives.
func TestPythonMasterGoWorker(t *testing.T) {
	t.Run("pyro4-ns", func(t *testing.T) { testPythonMasterGoWorker(t, startPythonNS(t)) })
	t.Run("go-ns", func(t *testing.T) { testPythonMasterGoWorker(t, startGoNS(t)) })
}

func testPythonMasterGoWorker(t *testing.T, ns pyro.URI) {
	startGoWorker(t, ns, "", nil)
	pairs := mixedPairs()
	out := runPythonMaster(t, ns, pairs...)
	if got, want := splitTiming(t, out, pairs), pythonMasterOutput(t, pairs); got != want {
		t.Errorf("master.py printed:\n%s\nwant:\n%s", got, want)
	}
}

// TestPythonMasterPythonWorker is the reference pair: Python on both sides, so that the
// expectations above are known to be Python's own.
func TestPythonMasterPythonWorker(t *testing.T) {
	ns := startPythonNS(t)
	startPythonWorker(t, ns, "MyWorker")
	pairs := mixedPairs()
	out := runPythonMaster(t, ns, pairs...)
	if got, want := splitTiming(t, out, pairs), pythonMasterOutput(t, pairs); got != want {
		t.Errorf("master.py against worker.py printed:\n%s\nwant:\n%s", got, want)
	}
}

// TestGoMasterPythonWorker: the Go master asks worker.py, by name and fanned out, and sees
// Python's ValueError for bad pairs.
func TestGoMasterPythonWorker(t *testing.T) {
	t.Run("pyro4-ns", func(t *testing.T) { testGoMasterPythonWorker(t, startPythonNS(t)) })
	t.Run("go-ns", func(t *testing.T) { testGoMasterPythonWorker(t, startGoNS(t)) })
}

func testGoMasterPythonWorker(t *testing.T, ns pyro.URI) {
	startPythonWorker(t, ns, "MyWorker")
	pairs := mixedPairs()
	rep, err := currency.RunMaster(context.Background(), loopback(), ns, "MyWorker", pairs, currency.MasterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkResults(t, rep.Sequential, pairs)
	checkResults(t, rep.FanOut, pairs)
}

// TestGoAndPythonWorkersTogether: a Go and a Python worker registered side by side; the Go
// master finds both by metadata and spreads the pairs over them.
func TestGoAndPythonWorkersTogether(t *testing.T) {
	ns := startPythonNS(t)
	startGoWorker(t, ns, "MyWorker", nil)
	startPythonWorker(t, ns, "MyWorker.2")
	pairs := mixedPairs()
	rep, err := currency.RunMaster(context.Background(), loopback(), ns, "", pairs, currency.MasterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Workers) != 2 {
		t.Fatalf("found %v", rep.Workers)
	}
	checkResults(t, rep.Sequential, pairs)
	checkResults(t, rep.FanOut, pairs)
	by := map[string]int{}
	for _, r := range rep.Sequential.Results {
		by[r.Worker]++
	}
	if by["MyWorker"] == 0 || by["MyWorker.2"] == 0 {
		t.Errorf("sequential pass used %v", by)
	}
}

// TestPythonWorkerKilledMidRun kills one of three worker.py processes (SIGKILL) as soon as the
// Go master's fan-out has its first answer; every pair is still answered exactly once.
func TestPythonWorkerKilledMidRun(t *testing.T) {
	ns := startPythonNS(t)
	var victim *pyWorker
	for _, name := range []string{"MyWorker", "MyWorker.2", "MyWorker.3"} {
		w := startPythonWorker(t, ns, name)
		if name == "MyWorker.2" {
			victim = w
		}
	}
	eps, err := currency.FindWorkers(context.Background(), loopback(), ns, "")
	if err != nil {
		t.Fatal(err)
	}
	var pairs []string
	for range 20 {
		pairs = append(pairs, currency.DefaultPairs()...)
	}
	seen := map[string]int{}
	m, err := currency.NewMaster(loopback(), eps, currency.MasterOptions{
		Concurrency: 4,
		OnResult: func(_ string, r currency.Result) {
			if len(seen) == 0 {
				victim.cmd.Process.Kill() // a signal: does not block the master
			}
			seen[r.Pair]++
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	run := m.FanOut(context.Background(), pairs)
	checkResults(t, run, pairs)
	for _, p := range currency.DefaultPairs() {
		if seen[p] != 20 {
			t.Errorf("%s reported %d times, want 20", p, seen[p])
		}
	}
	by := map[string]int{}
	for _, r := range run.Results {
		by[r.Worker]++
	}
	if run.Retries == 0 || by["MyWorker.2"] > len(pairs)/3 {
		t.Errorf("worker.py killed: %d retries, answered by %v", run.Retries, by)
	}
	t.Logf("%v, %d retries, answered by %v", run.Elapsed, run.Retries, by)
	// The dead worker's name is still registered; a new master skips it as well.
	again, err := currency.RunMaster(context.Background(), loopback(), ns, "", currency.DefaultPairs(), currency.MasterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkResults(t, again.Sequential, currency.DefaultPairs())
	checkResults(t, again.FanOut, currency.DefaultPairs())
}

// TestPythonSeesGoWorkerMetadata: Pyro4's own proxy sees get_rate in the Go worker's metadata,
// and PYROMETA:currency.worker resolves to it.
func TestPythonSeesGoWorkerMetadata(t *testing.T) {
	ns := startPythonNS(t)
	startGoWorker(t, ns, "MyWorker", nil)
	script := fmt.Sprintf(`
import Pyro4
ns = Pyro4.Proxy("PYRO:Pyro.NameServer@127.0.0.1:%d")
uri, meta = ns.lookup("MyWorker", return_metadata=True)
print(sorted(meta))
with Pyro4.Proxy("PYROMETA:currency.worker@127.0.0.1:%d") as w:
    w._pyroBind()
    print(sorted(w._pyroMethods), w._pyroConnection is not None)
    print(w.get_rate("usdchf"))
`, ns.Port, ns.Port)
	out := string(pytest.Run(t, script, nil))
	want := "['currency.worker']\n['get_rate'] True\n('USDCHF', 0.899953)\n"
	if out != want {
		t.Errorf("Python saw:\n%s\nwant:\n%s", out, want)
	}
}
