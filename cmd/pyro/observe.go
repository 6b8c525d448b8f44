package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/naming/nameserver"
	"github.com/gopyro/pyro/observe/prom"
	"github.com/gopyro/pyro/observe/tracing"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
)

// observeFlags are the observability flags of the server commands (ns, echoserver, gateway).
type observeFlags struct {
	metrics  string // --metrics ADDR: serve /metrics there
	otlp     string // --otlp ENDPOINT: export spans over OTLP/HTTP
	trace    bool   // --trace-stdout: print spans on stderr
	logLevel string // --log-level
	verbose  int    // -v/--verbose, counted: 1 is info, 2 or more debug
}

// verboseUsage is what -v/--verbose does for a command that serves a daemon.
const verboseUsage = "log at level info (a line per connection event and per failed call); twice (-v -v or -vv): debug"

// register adds the flags to fs, with usage for -v/--verbose.
func (o *observeFlags) register(fs *flag.FlagSet, verboseUsage string) {
	fs.StringVar(&o.metrics, "metrics", "", "serve Prometheus metrics at http://`ADDR`/metrics (host:port; port 0 picks one)")
	fs.StringVar(&o.otlp, "otlp", "", "export traces over OTLP/HTTP to `ENDPOINT` (host:port or URL)")
	fs.BoolVar(&o.trace, "trace-stdout", false, "print trace spans on standard error (JSON)")
	fs.StringVar(&o.logLevel, "log-level", "", "log connection events and failed calls from this level: debug, info, warn, error (wins over -v)")
	fs.Var(&countFlag{&o.verbose, 1}, "verbose", verboseUsage)
	fs.Var(&countFlag{&o.verbose, 1}, "v", "short for --verbose (repeatable)")
	fs.Var(&countFlag{&o.verbose, 2}, "vv", "short for -v -v")
}

// level is the log level the flags ask for: --log-level, else -v's; "" for none (the
// daemon's own logging stays slog.Default's, with no line per connection or failed call).
func (o *observeFlags) level() string {
	switch {
	case o.logLevel != "":
		return o.logLevel
	case o.verbose >= 2:
		return "debug"
	case o.verbose == 1:
		return "info"
	}
	return ""
}

// countFlag is a boolean flag that counts how often it is given (-v -v), adding step each
// time; -flag=false resets the count.
type countFlag struct {
	n    *int
	step int
}

func (c *countFlag) IsBoolFlag() bool { return true }

func (c *countFlag) String() string {
	if c == nil || c.n == nil {
		return "0"
	}
	return strconv.Itoa(*c.n)
}

func (c *countFlag) Set(s string) error {
	on, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	if on {
		*c.n += c.step
	} else {
		*c.n = 0
	}
	return nil
}

// observability is what the flags set up: observers for the daemon (and its proxies), the
// metrics registry, and a shutdown that flushes spans and stops the metrics server.
type observability struct {
	daemon   pyro.DaemonObserver
	proxy    pyro.ProxyObserver
	registry *prometheus.Registry // nil without --metrics
	logger   *slog.Logger         // nil: the library's default
	shutdown func()
}

// start sets up what the flags ask for, printing the metrics address on out.
func (o *observeFlags) start(ctx context.Context, service string, out, stderr io.Writer) (*observability, error) {
	obs := &observability{shutdown: func() {}}
	var stops []func()
	obs.shutdown = func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	var daemons []pyro.DaemonObserver
	var proxies []pyro.ProxyObserver
	if level := o.level(); level != "" {
		var l slog.Level
		if err := l.UnmarshalText([]byte(level)); err != nil {
			return nil, fmt.Errorf("--log-level %q: %w", level, err)
		}
		obs.logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: l}))
		daemons = append(daemons, pyro.SlogObserver(obs.logger))
	}
	if o.metrics != "" {
		obs.registry = prometheus.NewRegistry()
		obs.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		dm, err := prom.NewDaemonMetrics(obs.registry)
		if err != nil {
			return nil, err
		}
		pm, err := prom.NewProxyMetrics(obs.registry)
		if err != nil {
			return nil, err
		}
		daemons, proxies = append(daemons, dm), append(proxies, pm)
		ln, err := net.Listen("tcp", o.metrics)
		if err != nil {
			return nil, fmt.Errorf("--metrics: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(obs.registry, promhttp.HandlerOpts{}))
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(ln)
		stops = append(stops, func() { srv.Close() })
		fmt.Fprintf(out, "metrics on http://%s/metrics\n", ln.Addr())
	}
	if o.otlp != "" || o.trace {
		tp, err := o.tracerProvider(ctx, service, stderr)
		if err != nil {
			obs.shutdown()
			return nil, err
		}
		stops = append(stops, func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			tp.Shutdown(ctx)
		})
		daemons = append(daemons, tracing.NewDaemonObserver(tracing.WithTracerProvider(tp)))
		proxies = append(proxies, tracing.NewProxyObserver(tracing.WithTracerProvider(tp)))
	}
	obs.daemon = pyro.JoinDaemonObservers(daemons...)
	obs.proxy = pyro.JoinProxyObservers(proxies...)
	return obs, nil
}

// tracerProvider exports to OTLP/HTTP or to stderr, sampling every call.
func (o *observeFlags) tracerProvider(ctx context.Context, service string, stderr io.Writer) (*sdktrace.TracerProvider, error) {
	var exp sdktrace.SpanExporter
	var err error
	switch {
	case o.otlp != "" && o.trace:
		return nil, errors.New("--otlp and --trace-stdout: choose one")
	case o.otlp != "":
		var opts []otlptracehttp.Option
		opts, err = otlpOptions(o.otlp)
		if err == nil {
			exp, err = otlptracehttp.New(ctx, opts...)
		}
	default:
		exp, err = stdouttrace.New(stdouttrace.WithWriter(stderr))
	}
	if err != nil {
		return nil, fmt.Errorf("trace exporter: %w", err)
	}
	res := resource.NewSchemaless(semconv.ServiceName(service))
	return sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res)), nil
}

// otlpOptions points the OTLP/HTTP exporter at --otlp's endpoint: host:port is plain HTTP
// to /v1/traces; a URL is taken as it is (as OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is), with
// /v1/traces added when it has no path: the exporter itself would post to "/", which a
// collector answers with 404.
func otlpOptions(endpoint string) ([]otlptracehttp.Option, error) {
	if !strings.Contains(endpoint, "://") {
		return []otlptracehttp.Option{otlptracehttp.WithEndpoint(endpoint), otlptracehttp.WithInsecure()}, nil
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil, fmt.Errorf("--otlp: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("--otlp %q: the scheme must be http or https", endpoint)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("--otlp %q: no host", endpoint)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/v1/traces"
	}
	return []otlptracehttp.Option{otlptracehttp.WithEndpointURL(u.String())}, nil
}

// configure gives a daemon's and a proxy's configuration the observers and the logger.
func (obs *observability) configure(d *pyro.DaemonConfig, p *pyro.ProxyConfig) {
	d.Observer = obs.daemon
	if obs.logger != nil {
		d.Logger = obs.logger
	}
	p.Observer = obs.proxy
}

// configureNS sets up a name server's daemon, and its storage's metrics with --metrics.
func (obs *observability) configureNS(c *nameserver.Config) error {
	var p pyro.ProxyConfig
	obs.configure(&c.Daemon, &p)
	if obs.logger != nil {
		c.Logger = obs.logger
	}
	if obs.registry == nil {
		return nil
	}
	st := c.Store // opened already (etcd with TLS or auth)
	if st == nil {
		var err error
		if st, err = nameserver.OpenStorage(c.Storage); err != nil {
			return err
		}
	}
	sm, err := prom.InstrumentStore(obs.registry, st)
	if err != nil {
		st.Close()
		return err
	}
	c.Store = sm
	return nil
}

// instrumentHTTP counts an HTTP server's requests by status code and method, and times them,
// when --metrics is on (the gateway's own side; its calls are the proxies' metrics).
func (obs *observability) instrumentHTTP(h http.Handler) (http.Handler, error) {
	if obs.registry == nil {
		return h, nil
	}
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: prom.Namespace, Subsystem: "gateway",
		Name: "requests_total", Help: "HTTP requests answered, by status code and HTTP method."}, []string{"code", "method"})
	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: prom.Namespace, Subsystem: "gateway",
		Name: "request_duration_seconds", Help: "HTTP request latency, by HTTP method.", Buckets: prometheus.DefBuckets}, []string{"method"})
	for _, c := range []prometheus.Collector{requests, duration} {
		if err := obs.registry.Register(c); err != nil {
			return nil, err
		}
	}
	return promhttp.InstrumentHandlerCounter(requests, promhttp.InstrumentHandlerDuration(duration, h)), nil
}
