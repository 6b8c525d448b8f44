package currency_test

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/examples/currency"
)

// badPairs are pairs every worker must refuse with builtins.ValueError, and carry on.
var badPairs = []string{"XXXYYY", "", "EUR", "EURUSDX", "EUR/US", "EURXXX", "it's!"}

// mixedPairs interleaves good and bad pairs.
func mixedPairs() []string {
	var ps []string
	good := currency.DefaultPairs()
	for i, p := range good {
		ps = append(ps, p)
		if i < len(badPairs) {
			ps = append(ps, badPairs[i])
		}
	}
	return append(ps, "eurusd") // any case
}

// TestGoMasterGoWorker is the three-terminal walkthrough in one test, with our name server and
// with Pyro4's: a Go worker registered as MyWorker, a Go master looking it up by name, both
// passes, the table.
func TestGoMasterGoWorker(t *testing.T) {
	t.Run("go-ns", func(t *testing.T) { testGoMasterGoWorker(t, startGoNS(t)) })
	t.Run("pyro4-ns", func(t *testing.T) { testGoMasterGoWorker(t, startPythonNS(t)) })
}

func testGoMasterGoWorker(t *testing.T, ns pyro.URI) {
	var log syncBuffer
	startGoWorker(t, ns, "", nil, currency.WithLog(&log))
	pairs := mixedPairs()
	rep, err := currency.RunMaster(context.Background(), loopback(), ns, currency.DefaultName, pairs, currency.MasterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkResults(t, rep.Sequential, pairs)
	checkResults(t, rep.FanOut, pairs)
	if rep.Sequential.Goroutines != 1 || rep.FanOut.Goroutines != 8 {
		t.Errorf("goroutines: sequential %d, fan-out %d; want 1 and 8", rep.Sequential.Goroutines, rep.FanOut.Goroutines)
	}
	for _, r := range append(rep.Sequential.Results, rep.FanOut.Results...) {
		if r.Worker != "MyWorker" || r.Tries != 1 {
			t.Errorf("%q answered by %q after %d tries", r.Pair, r.Worker, r.Tries)
		}
	}
	if n := strings.Count(log.String(), "\n"); n != 2*len(pairs) {
		t.Errorf("worker logged %d requests, want %d:\n%s", n, 2*len(pairs), log.String())
	}
	if !strings.Contains(log.String(), `get_rate('XXXYYY') failed: builtins.ValueError: unknown currency pair: 'XXXYYY'`) {
		t.Errorf("worker log lacks the refused pair:\n%s", log.String())
	}

	var out bytes.Buffer
	if err := rep.WriteTable(&out); err != nil {
		t.Fatal(err)
	}
	table := out.String()
	// Compare lines with their spacing squeezed: column widths depend on the longest pair.
	var lines []string
	for line := range strings.Lines(table) {
		lines = append(lines, strings.Join(strings.Fields(line), " "))
	}
	for _, want := range []string{
		"PAIR RATE SEQUENTIAL FAN-OUT",
		"EURUSD 1.0705 MyWorker MyWorker",
		"USDJPY 160.617 MyWorker MyWorker",
		"XXXYYY error MyWorker MyWorker ValueError: unknown currency pair: 'XXXYYY' (no reference rate for XXX)",
		"'' error MyWorker MyWorker ValueError: unknown currency pair: '' (want six letters such as EURUSD)",
		`it's! error MyWorker MyWorker ValueError: unknown currency pair: "it's!" (want six letters such as EURUSD)`,
		"eurusd 1.0705 MyWorker MyWorker",
		"",
		"workers: MyWorker",
	} {
		if !slices.Contains(lines, want) {
			t.Errorf("table lacks the line %q:\n%s", want, table)
		}
	}
	if len(lines) != len(pairs)+5 {
		t.Errorf("table has %d lines, want %d", len(lines), len(pairs)+5)
	}
	seq := regexp.MustCompile(`(?m)^sequential: 20 pairs in [0-9.]+m?s \(1 call at a time\), 7 failed$`)
	fan := regexp.MustCompile(`(?m)^fan-out:    20 pairs in [0-9.]+[mµ]?s \(8 goroutines\), 7 failed, [0-9.]+x (faster|slower)$`)
	if !seq.MatchString(table) || !fan.MatchString(table) {
		t.Errorf("table lacks the timing lines:\n%s", table)
	}
	t.Logf("\n%s", table)
}

// TestFanOutIsFaster checks that the fan-out pass overlaps calls: with a 20 ms source and
// 3 workers, 24 pairs take at least 480 ms one by one and about 20 ms fanned out.
func TestFanOutIsFaster(t *testing.T) {
	ns := startGoNS(t)
	src := currency.WithLatency(currency.ECB(), 20*time.Millisecond)
	for _, name := range []string{"MyWorker", "MyWorker.2", "MyWorker.3"} {
		startGoWorker(t, ns, name, src)
	}
	pairs := slices.Concat(currency.DefaultPairs(), currency.DefaultPairs())
	rep, err := currency.RunMaster(context.Background(), loopback(), ns, "", pairs, currency.MasterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkResults(t, rep.Sequential, pairs)
	checkResults(t, rep.FanOut, pairs)
	if len(rep.Workers) != 3 {
		t.Errorf("found workers %v", rep.Workers)
	}
	if rep.Sequential.Elapsed < 480*time.Millisecond {
		t.Errorf("sequential pass took %v, less than 24 × 20 ms", rep.Sequential.Elapsed)
	}
	// Ideally 24x; 3x leaves room for a loaded machine.
	if rep.FanOut.Elapsed*3 > rep.Sequential.Elapsed {
		t.Errorf("fan-out %v is not 3x faster than sequential %v", rep.FanOut.Elapsed, rep.Sequential.Elapsed)
	}
	used := map[string]int{}
	for _, r := range rep.Sequential.Results {
		used[r.Worker]++
	}
	if used["MyWorker"] != 8 || used["MyWorker.2"] != 8 || used["MyWorker.3"] != 8 {
		t.Errorf("sequential pass did not take the workers in turn: %v", used)
	}
}

// TestWorkerKilledMidRun kills one of three workers while the master is busy, in each pass,
// and checks that every pair is still answered exactly once, with the right rate.
func TestWorkerKilledMidRun(t *testing.T) {
	for _, mode := range []string{"sequential", "fan-out"} {
		t.Run(mode, func(t *testing.T) {
			ns := startGoNS(t)
			src := currency.WithLatency(currency.ECB(), 10*time.Millisecond)
			workers := map[string]*currency.WorkerServer{}
			for _, name := range []string{"MyWorker", "MyWorker.2", "MyWorker.3"} {
				workers[name] = startGoWorker(t, ns, name, src)
			}
			eps, err := currency.FindWorkers(context.Background(), loopback(), ns, "")
			if err != nil {
				t.Fatal(err)
			}
			var pairs []string
			for range 5 {
				pairs = append(pairs, currency.DefaultPairs()...)
			}
			kill := make(chan struct{})
			seen := map[string]int{}
			n := 0
			m, err := currency.NewMaster(loopback(), eps, currency.MasterOptions{
				Concurrency: 2,
				OnResult: func(_ string, r currency.Result) {
					seen[r.Pair]++
					if n++; n == 10 {
						close(kill) // not killed here: OnResult must not block the master
					}
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			killed := make(chan time.Time)
			go func() {
				<-kill
				workers["MyWorker.2"].Close()
				killed <- time.Now()
			}()
			var run currency.Run
			if mode == "sequential" {
				run = m.Sequential(context.Background(), pairs)
			} else {
				run = m.FanOut(context.Background(), pairs)
			}
			<-killed
			checkResults(t, run, pairs)
			for _, p := range currency.DefaultPairs() {
				if seen[p] != 5 {
					t.Errorf("%s reported %d times, want 5", p, seen[p])
				}
			}
			if n != len(pairs) {
				t.Errorf("%d results reported for %d pairs", n, len(pairs))
			}
			if run.Retries == 0 {
				t.Error("no pair was retried on another worker")
			}
			by := map[string]int{}
			retried := 0
			for _, r := range run.Results {
				by[r.Worker]++
				if r.Tries > 1 {
					retried++
					if r.Worker == "MyWorker.2" {
						t.Errorf("%q retried on the dead worker", r.Pair)
					}
				}
			}
			if by["MyWorker.2"] == 0 || by["MyWorker.2"] >= len(pairs)/3 {
				t.Errorf("the killed worker answered %d of %d pairs", by["MyWorker.2"], len(pairs))
			}
			if retried == 0 || retried > run.Retries {
				t.Errorf("%d results retried, %d retries counted", retried, run.Retries)
			}
			left := m.Workers()
			if len(left) != 2 || slices.ContainsFunc(left, func(e currency.Endpoint) bool { return e.Name == "MyWorker.2" }) {
				t.Errorf("workers left: %v", left)
			}
			t.Logf("%s: %v, %d retries, answered by %v", mode, run.Elapsed, run.Retries, by)
		})
	}
}

// TestAllWorkersGone: when no worker is left, every unanswered pair says so, once.
func TestAllWorkersGone(t *testing.T) {
	ns := startGoNS(t)
	w := startGoWorker(t, ns, "MyWorker", nil)
	eps, err := currency.FindWorkers(context.Background(), loopback(), ns, currency.Tag)
	if err != nil {
		t.Fatal(err)
	}
	m, err := currency.NewMaster(loopback(), eps, currency.MasterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	pairs := currency.DefaultPairs()
	checkResults(t, m.FanOut(context.Background(), pairs), pairs)
	w.Close()
	for _, run := range []currency.Run{m.FanOut(context.Background(), pairs), m.Sequential(context.Background(), pairs)} {
		if len(run.Results) != len(pairs) {
			t.Fatalf("%s: %d results", run.Mode, len(run.Results))
		}
		for _, r := range run.Results {
			if !errors.Is(r.Err, currency.ErrNoWorkers) {
				t.Errorf("%s: %q: %v, want ErrNoWorkers", run.Mode, r.Pair, r.Err)
			}
		}
	}
	if _, err := currency.NewMaster(loopback(), nil, currency.MasterOptions{}); !errors.Is(err, currency.ErrNoWorkers) {
		t.Errorf("NewMaster without workers: %v", err)
	}
}

// TestNoWorkerRegistered: a master finding nobody says what to do.
func TestNoWorkerRegistered(t *testing.T) {
	ns := startGoNS(t)
	_, err := currency.RunMaster(context.Background(), loopback(), ns, "", currency.DefaultPairs(), currency.MasterOptions{})
	if !errors.Is(err, pyro.ErrNaming) || !strings.Contains(err.Error(), "start one") {
		t.Errorf("RunMaster with no workers: %v", err)
	}
	rep, err := currency.RunMaster(context.Background(), loopback(), ns, "NoSuchWorker", []string{"EURUSD"}, currency.MasterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r := rep.Sequential.Results[0]; !errors.Is(r.Err, currency.ErrNoWorkers) || !errors.Is(r.Err, pyro.ErrNaming) {
		t.Errorf("unknown worker name: %v", r.Err)
	}
}

// TestSlowWorkerCountsAsGone: a worker slower than CallTimeout is dropped for the run and
// its pair asked of another.
func TestSlowWorkerCountsAsGone(t *testing.T) {
	ns := startGoNS(t)
	startGoWorker(t, ns, "MyWorker", currency.WithLatency(currency.ECB(), 2*time.Second))
	startGoWorker(t, ns, "MyWorker.2", nil)
	eps, err := currency.FindWorkers(context.Background(), loopback(), ns, "")
	if err != nil {
		t.Fatal(err)
	}
	m, err := currency.NewMaster(loopback(), eps, currency.MasterOptions{CallTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	pairs := []string{"EURUSD", "USDJPY", "XXXYYY"}
	run := m.Sequential(context.Background(), pairs)
	checkResults(t, run, pairs)
	if r := run.Results[0]; r.Worker != "MyWorker.2" || r.Tries != 2 {
		t.Errorf("first pair answered by %s after %d tries", r.Worker, r.Tries)
	}
}

// TestCancelledMaster: cancelling the context ends the run with the context's error on every
// unanswered pair, without asking other workers.
func TestCancelledMaster(t *testing.T) {
	ns := startGoNS(t)
	startGoWorker(t, ns, "MyWorker", currency.WithLatency(currency.ECB(), 2*time.Second))
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	rep, err := currency.RunMaster(ctx, loopback(), ns, "", currency.DefaultPairs(), currency.MasterOptions{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("RunMaster: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d)
	}
	if rep == nil {
		t.Fatal("no report")
	}
	for _, r := range append(rep.Sequential.Results, rep.FanOut.Results...) {
		if r.Err == nil || errors.Is(r.Err, currency.ErrNoWorkers) {
			t.Errorf("%q: %v, want the context's error", r.Pair, r.Err)
		}
	}
}

// TestHTTPSourceWorker serves rates from a web service (httptest): good pairs, a pair the
// service does not know (ValueError), a failing service (RuntimeError), and the worker
// carrying on after each.
func TestHTTPSourceWorker(t *testing.T) {
	srv, calls := rateServer(t)
	ns := startGoNS(t)
	startGoWorker(t, ns, "MyWorker", &currency.HTTPSource{URL: srv.URL + "/rate?pair={pair}"})
	pairs := []string{"EURUSD", "EURXXX", "USDJPY", "EURERR", "XXX", "GBPUSD"}
	rep, err := currency.RunMaster(context.Background(), loopback(), ns, "MyWorker", pairs, currency.MasterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, run := range []currency.Run{rep.Sequential, rep.FanOut} {
		want := map[string]string{
			"EURUSD": "1.0705",
			"EURXXX": "builtins.ValueError: unknown currency pair: 'EURXXX' (the rate service does not know it)",
			"USDJPY": "160.617",
			"EURERR": "builtins.RuntimeError: rate source failed: currency: rate service " + srv.URL + "/rate?pair=EURERR answered 500 Internal Server Error",
			"XXX":    "builtins.ValueError: unknown currency pair: 'XXX' (want six letters such as EURUSD)",
			"GBPUSD": "1.2648",
		}
		for _, r := range run.Results {
			got := currency.FormatRate(r.Rate)
			if r.Err != nil {
				got = r.Err.Error()
			}
			if got != want[r.Pair] {
				t.Errorf("%s: %s: got %s\nwant %s", run.Mode, r.Pair, got, want[r.Pair])
			}
		}
	}
	if got := calls.Load(); got != 10 {
		t.Errorf("rate service asked %d times, want 10 (5 well-formed pairs, twice)", got)
	}
}

// TestStopUnregisters: Stop removes the worker's name; Close (a crash) leaves it.
func TestStopUnregisters(t *testing.T) {
	ns := startGoNS(t)
	a := startGoWorker(t, ns, "MyWorker", nil)
	b := startGoWorker(t, ns, "MyWorker.2", nil)
	if err := a.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	b.Close()
	eps, err := currency.FindWorkers(context.Background(), loopback(), ns, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(eps) != 1 || eps[0].Name != "MyWorker.2" || eps[0].URI != b.URI().String() {
		t.Errorf("registered after Stop and Close: %v", eps)
	}
}

// TestWorkerNames: workers sort by name the way a person counts them.
func TestWorkerNames(t *testing.T) {
	ns := startGoNS(t)
	for _, n := range []string{"MyWorker.10", "Other", "MyWorker", "MyWorker.2"} {
		startGoWorker(t, ns, n, nil)
	}
	eps, err := currency.FindWorkers(context.Background(), loopback(), ns, "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range eps {
		got = append(got, e.Name)
	}
	if want := []string{"MyWorker", "MyWorker.2", "MyWorker.10", "Other"}; !slices.Equal(got, want) {
		t.Errorf("workers %v, want %v", got, want)
	}
}
