package nameserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/internal/benchkit"
	"github.com/gopyro/pyro/internal/pytest"
	"github.com/gopyro/pyro/naming"
	"github.com/gopyro/pyro/naming/nameserver"
)

// Name server throughput, ours against Python's pyro4-ns, in one run so that the figures share
// the machine's load:
//
//	go test -run '^$' -bench 'NS' -benchmem -count 3 ./naming/nameserver/
//
// BenchmarkNSLookup and BenchmarkNSRegister call through our Go client (naming.Client, one
// shared by the N callers, as a program would); BenchmarkNSPythonClient runs
// testdata/ns_bench.py, a Pyro4 program with one thread and proxy per caller. allocs/op counts
// both ends for our name server (it runs in the test process) and the client alone for
// pyro4-ns. The sql stores commit, and sync, every registration, as Pyro4's does.

// nsCallers are the concurrent callers of each figure.
var nsCallers = []int{1, 8}

// benchNames is the size of the name set the benchmarks look up and register: registrations
// replace an existing name, so the store stays the same size however long the run.
const benchNames = 100

const benchTarget = "PYRO:bench.object@127.0.0.1:9999"

var benchMeta = []string{"class:bench.Thing", "floor:3"}

// nsKind is one of the name servers compared; start returns its URI and stops it with b.
type nsKind struct {
	name  string
	start func(b *testing.B) pyro.URI
}

var nsKinds = []nsKind{
	{"go-memory", func(b *testing.B) pyro.URI {
		return startNS(b, nameserver.Config{Storage: "memory", NoBroadcast: true}).URI()
	}},
	{"go-sql", func(b *testing.B) pyro.URI {
		return startNS(b, nameserver.Config{Storage: "sql:" + filepath.Join(b.TempDir(), "ns.sqlite"), NoBroadcast: true}).URI()
	}},
	{"pyro4-ns-memory", func(b *testing.B) pyro.URI {
		return parseURI(b, pytest.StartNameServer(b))
	}},
	{"pyro4-ns-sql", func(b *testing.B) pyro.URI {
		return parseURI(b, pytest.StartNameServer(b, "-s", "sql:"+filepath.Join(b.TempDir(), "ns.sqlite")))
	}},
}

func parseURI(b *testing.B, s string) pyro.URI {
	b.Helper()
	u, err := pyro.ParseURI(s)
	if err != nil {
		b.Fatal(err)
	}
	return u
}

func benchNameList(prefix string) []string {
	names := make([]string, benchNames)
	for i := range names {
		names[i] = fmt.Sprintf("%s.%03d", prefix, i)
	}
	return names
}

// runNS starts each kind of name server once and times the callers op makes, with a single Go
// client shared by the 1 or 8 callers, reporting unit ("lookups/s", ...) besides ns/op.
func runNS(b *testing.B, unit string, setup func(b *testing.B, c *naming.Client) func(ctx context.Context, k int64) error) {
	for _, kind := range nsKinds {
		b.Run(kind.name, func(b *testing.B) {
			c := client(b, kind.start(b))
			op := setup(b, c)
			for _, n := range nsCallers {
				b.Run(strconv.Itoa(n), func(b *testing.B) {
					var seq atomic.Int64
					callers := make([]benchkit.Caller, n)
					for i := range callers {
						callers[i] = func(ctx context.Context) error { return op(ctx, seq.Add(1)-1) }
					}
					ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
					defer cancel()
					// Open the client's pooled connections outside the timing.
					if _, err := benchkit.RunCallers(ctx, callers, int64(4*n), 0); err != nil {
						b.Fatal(err)
					}
					b.ReportAllocs()
					b.ResetTimer()
					s, err := benchkit.RunCallers(ctx, callers, int64(b.N), 0)
					b.StopTimer()
					if err != nil {
						b.Fatal(err)
					}
					b.ReportMetric(s.Rate(), unit)
				})
			}
		})
	}
}

// registerAll registers names on the target with the benchmark metadata.
func registerAll(b *testing.B, c *naming.Client, names []string, target pyro.URI) {
	b.Helper()
	for _, name := range names {
		if err := c.Register(context.Background(), name, target, naming.RegisterOptions{Metadata: benchMeta}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNSLookup is lookup(name) of one of 100 registered names.
func BenchmarkNSLookup(b *testing.B) {
	target := parseURI(b, benchTarget)
	names := benchNameList("bench.lookup")
	runNS(b, "lookups/s", func(b *testing.B, c *naming.Client) func(context.Context, int64) error {
		registerAll(b, c, names, target)
		return func(ctx context.Context, k int64) error {
			u, err := c.Lookup(ctx, names[k%benchNames])
			if err == nil && u != target {
				err = fmt.Errorf("lookup returned %v, want %v", u, target)
			}
			return err
		}
	})
}

// BenchmarkNSRegister is register(name, uri, metadata=two tags), replacing one of 100 names.
func BenchmarkNSRegister(b *testing.B) {
	target := parseURI(b, benchTarget)
	names := benchNameList("bench.register")
	opts := naming.RegisterOptions{Metadata: benchMeta}
	runNS(b, "registrations/s", func(b *testing.B, c *naming.Client) func(context.Context, int64) error {
		b.Cleanup(func() {
			// The registrations must have happened, not just returned nil.
			u, meta, err := c.LookupWithMetadata(context.Background(), names[0])
			if err != nil || u != target || len(meta) != len(benchMeta) {
				b.Errorf("after the run, %s = %v %v %v", names[0], u, meta, err)
			}
		})
		return func(ctx context.Context, k int64) error {
			return c.Register(ctx, names[k%benchNames], target, opts)
		}
	})
}

// pyBenchResult is testdata/ns_bench.py's output.
type pyBenchResult struct {
	Callers           int     `json:"callers"`
	Lookups           int64   `json:"lookups"`
	LookupSeconds     float64 `json:"lookup_seconds"`
	Registrations     int64   `json:"registrations"`
	RegisterSeconds   float64 `json:"register_seconds"`
	LookupsPerS       float64 `json:"lookups_per_s"`
	RegistrationsPerS float64 `json:"registrations_per_s"`
}

// runPyBench runs testdata/ns_bench.py: callers Pyro4 threads look up for d, then register for d.
func runPyBench(tb testing.TB, uri pyro.URI, callers int, d time.Duration) pyBenchResult {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := pytest.Command(ctx, "testdata/ns_bench.py", uri.String(), strconv.Itoa(callers), strconv.FormatFloat(d.Seconds(), 'f', -1, 64))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		tb.Fatalf("ns_bench.py: %v\n%s", err, stderr.String())
	}
	var r pyBenchResult
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		tb.Fatalf("ns_bench.py output %q: %v", stdout.String(), err)
	}
	if r.Callers != callers || r.Lookups <= 0 || r.Registrations <= 0 || r.LookupSeconds <= 0 || r.RegisterSeconds <= 0 {
		tb.Fatalf("ns_bench.py made no calls: %+v", r)
	}
	return r
}

// pyBenchPhase is how long ns_bench.py times each of lookup and register.
const pyBenchPhase = time.Second

// BenchmarkNSPythonClient is a Python Pyro4 program (testdata/ns_bench.py, one thread and
// proxy per caller) looking up and registering against each name server. One op is one run of
// the script (1 s of lookups, then 1 s of registrations), so the default -benchtime makes one
// run; the rates are summed over the runs made.
func BenchmarkNSPythonClient(b *testing.B) {
	pytest.Require(b)
	for _, kind := range nsKinds {
		b.Run(kind.name, func(b *testing.B) {
			uri := kind.start(b)
			for _, n := range nsCallers {
				b.Run(strconv.Itoa(n), func(b *testing.B) {
					var total pyBenchResult
					for range b.N {
						r := runPyBench(b, uri, n, pyBenchPhase)
						total.Lookups += r.Lookups
						total.LookupSeconds += r.LookupSeconds
						total.Registrations += r.Registrations
						total.RegisterSeconds += r.RegisterSeconds
					}
					b.ReportMetric(float64(total.Lookups)/total.LookupSeconds, "lookups/s")
					b.ReportMetric(float64(total.Registrations)/total.RegisterSeconds, "registrations/s")
				})
			}
		})
	}
}

// TestNSBenchScript checks testdata/ns_bench.py briefly, so the benchmark's Python half is
// known to work without running the benchmarks.
func TestNSBenchScript(t *testing.T) {
	pytest.Require(t)
	s := startNS(t, nameserver.Config{NoBroadcast: true})
	r := runPyBench(t, s.URI(), 2, 100*time.Millisecond)
	c := client(t, s.URI())
	u, meta, err := c.LookupWithMetadata(context.Background(), "pybench.register.000")
	if err != nil || u.String() != "PYRO:pybench.object@127.0.0.1:9999" || len(meta) != 2 {
		t.Fatalf("ns_bench.py's registration: %v %v %v", u, meta, err)
	}
	// The name server, the 100 lookup names and at least one registered name.
	if n, err := c.Count(context.Background()); err != nil || n <= 1+benchNames || n > 1+2*benchNames {
		t.Fatalf("count = %d, %v", n, err)
	}
	t.Logf("%+v", r)
}
