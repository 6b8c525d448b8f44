package pyro_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/gopyro/pyro/internal/benchkit"
	"github.com/gopyro/pyro/internal/pytest"
)

// The loopback throughput benchmarks. Run them together so that the ratios compare figures
// taken under the same machine load:
//
//	go test -run '^$' -bench 'RawTCP|GoProxyGoDaemon|NetRPC|Pyro4Python' -benchmem -count 3 .
//
// "N callers" is N goroutines sharing one proxy (one net/rpc client), each making calls back
// to back; the raw TCP ping-pong uses N connections carrying frames the size of the Pyro call's.
// allocs/op counts both ends, as the daemon runs in the test process.

var benchCallers = []int{1, 16}

// benchSizes are the frame sizes of a serpent echo("hello") call, measured on the wire.
func benchSizes(b *testing.B, g *benchkit.GoDaemon) benchkit.Sizes {
	b.Helper()
	sizes, err := benchkit.MeasureSizes(context.Background(), g.URI.String(), "serpent")
	if err != nil {
		b.Fatal(err)
	}
	return sizes
}

func benchGoDaemon(b *testing.B) *benchkit.GoDaemon {
	b.Helper()
	g, err := benchkit.StartGoDaemon()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { g.Close() })
	return g
}

// runCallers times b.N calls spread over the callers and reports calls/s besides ns/op, and
// the process's CPU time per call (both ends), which a loaded machine disturbs far less.
func runCallers(b *testing.B, callers []benchkit.Caller) {
	b.Helper()
	ctx := context.Background()
	// Warm connections and pools outside the timing.
	if _, err := benchkit.RunCallers(ctx, callers, int64(10*len(callers)), 0); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0, ok0 := benchkit.CPUTime()
	s, err := benchkit.RunCallers(ctx, callers, int64(b.N), 0)
	cpu1, ok1 := benchkit.CPUTime()
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(s.Rate(), "calls/s")
	if ok0 && ok1 {
		b.ReportMetric(float64(cpu1-cpu0)/1e3/float64(b.N), "cpu-µs/op")
	}
}

func BenchmarkRawTCPPingPong(b *testing.B) {
	sizes := benchSizes(b, benchGoDaemon(b))
	srv, err := benchkit.StartRawServer(sizes)
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	b.Logf("frames: request %d bytes, response %d bytes", sizes.Request, sizes.Response)
	for _, n := range benchCallers {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			callers := make([]benchkit.Caller, n)
			for i := range callers {
				call, closeConn, err := benchkit.DialRaw(context.Background(), srv.Addr(), sizes)
				if err != nil {
					b.Fatal(err)
				}
				defer closeConn()
				callers[i] = call
			}
			runCallers(b, callers)
		})
	}
}

func BenchmarkGoProxyGoDaemon(b *testing.B) {
	g := benchGoDaemon(b)
	for _, n := range benchCallers {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			p, err := benchkit.NewProxy(context.Background(), g.URI.String(), "serpent")
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			callers := make([]benchkit.Caller, n)
			for i := range callers {
				callers[i] = benchkit.ProxyCaller(p) // all share the one proxy
			}
			runCallers(b, callers)
		})
	}
}

// BenchmarkGoProxyGoDaemonSerializers is the one-caller figure for each codec.
func BenchmarkGoProxyGoDaemonSerializers(b *testing.B) {
	g := benchGoDaemon(b)
	for _, ser := range []string{"serpent", "json", "marshal", "msgpack"} {
		b.Run(ser, func(b *testing.B) {
			p, err := benchkit.NewProxy(context.Background(), g.URI.String(), ser)
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			runCallers(b, []benchkit.Caller{benchkit.ProxyCaller(p)})
		})
	}
}

func BenchmarkNetRPC(b *testing.B) {
	srv, err := benchkit.StartNetRPC()
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	for _, n := range benchCallers {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			c, err := benchkit.DialNetRPC(context.Background(), srv.Addr())
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			callers := make([]benchkit.Caller, n)
			for i := range callers {
				callers[i] = benchkit.NetRPCCaller(c) // net/rpc multiplexes one client
			}
			runCallers(b, callers)
		})
	}
}

// BenchmarkPyro4Python runs a Python Pyro4 client process (one thread and proxy per caller)
// against our Go daemon and against Python's own daemon. allocs/op is the Go daemon's alone
// (and nothing for the Python daemon).
func BenchmarkPyro4Python(b *testing.B) {
	pytest.Require(b)
	ctx := context.Background()
	g := benchGoDaemon(b)
	py, err := benchkit.StartPythonDaemon(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer py.Close()
	for _, daemon := range []struct{ name, uri string }{{"go-daemon", g.URI.String()}, {"py-daemon", py.URI}} {
		for _, n := range benchCallers {
			b.Run(daemon.name+"/"+strconv.Itoa(n), func(b *testing.B) {
				c, err := benchkit.StartPythonClient(ctx, daemon.uri, "serpent", n)
				if err != nil {
					b.Fatal(err)
				}
				defer c.Close()
				if _, err := c.Run(ctx, int64(20*n), 0); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.ResetTimer()
				s, err := c.Run(ctx, int64(b.N), 0)
				b.StopTimer()
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(s.Rate(), "calls/s")
			})
		}
	}
}
