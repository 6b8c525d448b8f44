package benchkit

import (
	"context"
	"fmt"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/observe/prom"
	"github.com/gopyro/pyro/observe/tracing"
	"github.com/prometheus/client_golang/prometheus"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Rows of the observability cost (Options.Observe): the Go row's echo with both ends
// observed, compared with the unobserved Go row in the same round.
const (
	RowGoMetrics       = "Go → Go, Prometheus metrics"
	RowGoMetricsDaemon = "Go → Go, metrics on the daemon only"
	RowGoTraced        = "Go → Go, traced (100% sampled)"
)

// discardSpans is a span exporter that drops what it is given: the rows measure making and
// batching spans, not an exporter's I/O.
type discardSpans struct{}

func (discardSpans) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discardSpans) Shutdown(context.Context) error                             { return nil }

// observed is one observability setup: the observers of its daemon and of its proxies.
type observed struct {
	name   string
	daemon pyro.DaemonObserver
	proxy  pyro.ProxyObserver
	close  func() error
}

func observedSetups() ([]observed, error) {
	reg := prometheus.NewRegistry()
	dm, err := prom.NewDaemonMetrics(reg)
	if err != nil {
		return nil, err
	}
	pm, err := prom.NewProxyMetrics(reg)
	if err != nil {
		return nil, err
	}
	dmOnly, err := prom.NewDaemonMetrics(prometheus.NewRegistry())
	if err != nil {
		return nil, err
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(discardSpans{}), sdktrace.WithSampler(sdktrace.AlwaysSample()))
	return []observed{
		{name: RowGoMetrics, daemon: dm, proxy: pm, close: func() error { return nil }},
		{name: RowGoMetricsDaemon, daemon: dmOnly, close: func() error { return nil }},
		{name: RowGoTraced,
			daemon: tracing.NewDaemonObserver(tracing.WithTracerProvider(tp)),
			proxy:  tracing.NewProxyObserver(tracing.WithTracerProvider(tp)),
			close: func() error {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				return tp.Shutdown(ctx)
			}},
	}, nil
}

// addObservedTargets adds, for each caller count, the echo rows with metrics and with
// tracing, each against a daemon of its own observed the same way as its proxy.
func addObservedTargets(ctx context.Context, targets *[]*target, opts Options, progress func(string, ...any)) (cleanup []func() error, err error) {
	setups, err := observedSetups()
	if err != nil {
		return nil, err
	}
	for _, s := range setups {
		cleanup = append(cleanup, s.close)
		progress("starting a Go daemon for %s", s.name)
		g, err := StartGoDaemonWith(pyro.DaemonConfig{Host: "127.0.0.1", Observer: s.daemon})
		if err != nil {
			return cleanup, fmt.Errorf("%s: %w", s.name, err)
		}
		cleanup = append(cleanup, g.Close)
		for _, n := range opts.Callers {
			p, err := pyro.NewProxy(g.URI.String(), pyro.WithSerializer(opts.Serializer), pyro.WithObserver(s.proxy))
			if err == nil {
				err = p.Bind(ctx)
			}
			if err != nil {
				return cleanup, fmt.Errorf("%s: %w", s.name, err)
			}
			callers := make([]Caller, n)
			for i := range callers {
				callers[i] = ProxyCaller(p) // one shared proxy, as the Go row
			}
			*targets = append(*targets, &target{name: s.name, base: RowGoGo, callers: n, goAllocs: true, cpuAll: true,
				closers: []func() error{p.Close},
				run: func(ctx context.Context, calls int64, d time.Duration) (Sample, error) {
					return RunCallers(ctx, callers, calls, d)
				}})
		}
	}
	return cleanup, nil
}
