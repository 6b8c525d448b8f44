// Package observe_test measures what observability costs a call: a Go proxy calling a Go
// daemon over loopback (echo of a short string, serpent), with nothing observed, with
// observers that do nothing (the seam's own cost: events and clock readings), with
// Prometheus metrics on both ends and on the daemon only, with tracing installed but no
// provider recording, and with every call traced (sampled at 100%, spans batched to an
// exporter that drops them).
//
//	go test -run '^$' -bench . -benchtime 2s -count 5 ./observe/
package observe_test

import (
	"context"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/internal/benchkit"
	"github.com/gopyro/pyro/observe/prom"
	"github.com/gopyro/pyro/observe/tracing"
	"github.com/prometheus/client_golang/prometheus"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

type echo struct{}

func (echo) Echo(s string) string { return s }

// discard is a span exporter that drops what it is given, so the benchmark measures making
// and batching spans, not an exporter's I/O.
type discard struct{}

func (discard) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discard) Shutdown(context.Context) error                             { return nil }

type setup struct {
	name   string
	daemon func(b *testing.B) pyro.DaemonObserver
	proxy  func(b *testing.B) pyro.ProxyObserver
}

func daemonMetrics(b *testing.B) pyro.DaemonObserver {
	m, err := prom.NewDaemonMetrics(prometheus.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	return m
}

func setups() []setup {
	none := func(*testing.B) pyro.DaemonObserver { return nil }
	noneP := func(*testing.B) pyro.ProxyObserver { return nil }
	traced := func(b *testing.B) *sdktrace.TracerProvider {
		tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(discard{}), sdktrace.WithSampler(sdktrace.AlwaysSample()))
		b.Cleanup(func() { tp.Shutdown(context.Background()) })
		return tp
	}
	var tp *sdktrace.TracerProvider
	return []setup{
		{"off", none, noneP},
		{"empty", func(*testing.B) pyro.DaemonObserver { return emptyD{} }, func(*testing.B) pyro.ProxyObserver { return emptyP{} }},
		{"metrics-daemon", daemonMetrics, noneP},
		{"metrics", daemonMetrics, func(b *testing.B) pyro.ProxyObserver {
			m, err := prom.NewProxyMetrics(prometheus.NewRegistry())
			if err != nil {
				b.Fatal(err)
			}
			return m
		}},
		{"tracing-noop", func(*testing.B) pyro.DaemonObserver {
			return tracing.NewDaemonObserver(tracing.WithTracerProvider(noop.NewTracerProvider()))
		}, func(*testing.B) pyro.ProxyObserver {
			return tracing.NewProxyObserver(tracing.WithTracerProvider(noop.NewTracerProvider()))
		}},
		{"tracing-100%", func(b *testing.B) pyro.DaemonObserver {
			tp = traced(b)
			return tracing.NewDaemonObserver(tracing.WithTracerProvider(tp))
		}, func(b *testing.B) pyro.ProxyObserver {
			return tracing.NewProxyObserver(tracing.WithTracerProvider(tp))
		}},
	}
}

func BenchmarkObservedCall(b *testing.B) {
	for _, s := range setups() {
		for _, callers := range []int{1, 16} {
			b.Run(s.name+"/callers="+itoa(callers), func(b *testing.B) {
				d, err := pyro.NewDaemon(pyro.DaemonConfig{Host: "127.0.0.1", Observer: s.daemon(b)})
				if err != nil {
					b.Fatal(err)
				}
				ln, err := d.Listen()
				if err != nil {
					b.Fatal(err)
				}
				uri, _ := d.Register(echo{}, pyro.WithID("echo"))
				go d.Serve(context.Background(), ln)
				b.Cleanup(func() { d.Close() })
				p, err := pyro.NewProxyURI(uri, pyro.WithObserver(s.proxy(b)))
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { p.Close() })
				run(b, p, callers)
			})
		}
	}
}

// run makes b.N calls over callers goroutines and reports calls/s and CPU per call (both
// ends: the daemon runs in this process), which a loaded machine disturbs less than time.
func run(b *testing.B, p *pyro.Proxy, callers int) {
	ctx := context.Background()
	caller := benchkit.ProxyCaller(p)
	cs := make([]benchkit.Caller, callers)
	for i := range cs {
		cs[i] = caller
	}
	if _, err := benchkit.RunCallers(ctx, cs, int64(20*callers), 0); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0, _ := benchkit.CPUTime()
	start := time.Now()
	if _, err := benchkit.RunCallers(ctx, cs, int64(b.N), 0); err != nil {
		b.Fatal(err)
	}
	el := time.Since(start)
	cpu1, _ := benchkit.CPUTime()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/el.Seconds(), "calls/s")
	b.ReportMetric(float64((cpu1-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/call")
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// BenchmarkObserverCost times what an observed call adds on both ends, without the call:
// the daemon's and the proxy's CallStart and CallEnd with their clock readings (four per
// call). Compare with a call's CPU time. The parallel rows run it on every CPU at once, as
// a busy daemon's connections do, into the same series.
func BenchmarkObserverCost(b *testing.B) {
	for _, s := range setups() {
		for _, parallel := range []bool{false, true} {
			name := s.name
			if parallel {
				name += "/parallel"
			}
			b.Run(name, func(b *testing.B) {
				dobs, pobs := s.daemon(b), s.proxy(b)
				if dobs == nil {
					b.Skip("nothing to time")
				}
				if pobs == nil {
					pobs = emptyP{}
				}
				b.ReportAllocs()
				if parallel {
					b.RunParallel(func(pb *testing.PB) {
						var dev pyro.CallEvent
						var pev pyro.ProxyCallEvent
						for pb.Next() {
							observeOne(dobs, pobs, &dev, &pev)
						}
					})
					return
				}
				var dev pyro.CallEvent
				var pev pyro.ProxyCallEvent
				for b.Loop() {
					observeOne(dobs, pobs, &dev, &pev)
				}
			})
		}
	}
}

var benchConn = &pyro.ConnInfo{Protocol: pyro.Pyro4}

// observeOne is what both ends' observers see of one call (in events the caller reuses,
// as the daemon and the proxy do).
func observeOne(dobs pyro.DaemonObserver, pobs pyro.ProxyObserver, dev *pyro.CallEvent, pev *pyro.ProxyCallEvent) {
	ctx := context.Background()
	*pev = pyro.ProxyCallEvent{Target: "PYRO:echo@127.0.0.1:9999", Method: "echo", Start: time.Now()}
	pctx := pobs.CallStart(ctx, pev)
	*dev = pyro.CallEvent{Conn: benchConn, Object: "echo", Method: "echo", Serializer: "serpent", BytesIn: 85, Start: time.Now()}
	dctx := dobs.CallStart(ctx, dev)
	dev.BytesOut = 79
	dobs.CallEnd(dctx, dev)
	pev.Object, pev.Serializer, pev.BytesOut, pev.BytesIn = "echo", "serpent", 85, 79
	pobs.CallEnd(pctx, pev)
}

type emptyD struct{}

func (emptyD) ConnEvent(pyro.ConnEvent)                                         {}
func (emptyD) CallStart(ctx context.Context, _ *pyro.CallEvent) context.Context { return ctx }
func (emptyD) CallEnd(context.Context, *pyro.CallEvent)                         {}
func (emptyD) StreamEvent(int)                                                  {}

type emptyP struct{}

func (emptyP) CallStart(ctx context.Context, _ *pyro.ProxyCallEvent) context.Context { return ctx }
func (emptyP) CallEnd(context.Context, *pyro.ProxyCallEvent)                         {}
func (emptyP) Dialed(pyro.DialEvent)                                                 {}
func (emptyP) PoolWaited(string, time.Duration)                                      {}
