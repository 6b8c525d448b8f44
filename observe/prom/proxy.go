package prom

import (
	"context"
	"time"

	"github.com/gopyro/pyro"
	"github.com/prometheus/client_golang/prometheus"
)

// ProxyMetrics is a pyro.ProxyObserver counting a proxy's calls, errors, bytes, dials and
// pool waits per target (the proxy's URI as given); set it with pyro.WithObserver (many
// proxies may share one). It is a prometheus.Collector of the pyro_client_* metrics.
type ProxyMetrics struct {
	collectors
	calls    *callMetrics[clientKey]
	errors   *prometheus.CounterVec
	batch    *prometheus.HistogramVec
	poolWait *prometheus.HistogramVec
	dials    *prometheus.CounterVec
	dialTime *prometheus.HistogramVec
}

type clientKey struct {
	target, method string
	oneway         bool
}

// NewProxyMetrics makes the proxy metrics and registers them with reg (nil: not
// registered).
func NewProxyMetrics(reg prometheus.Registerer) (*ProxyMetrics, error) {
	m := &ProxyMetrics{
		calls: newCallMetrics("client", [4]string{
			"Calls made, by target URI, method, oneway and outcome (ok, error).",
			"Call latency seen by the caller (pool wait, dial and handshake included), by target and method.",
			"Reply payload bytes, by target and method.",
			"Request payload bytes, by target and method.",
		}, []string{"target", "method", "oneway"}, func(k clientKey) []string {
			return []string{k.target, k.method, boolLabel(k.oneway)}
		}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Subsystem: "client", Name: "call_errors_total",
			Help: "Calls that failed, by target, method and Python exception class (remote, or the Pyro4 error class of a local failure)."},
			[]string{"target", "method", "class"}),
		batch: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Subsystem: "client", Name: "batch_size",
			Help: "Calls per batch, by target.", Buckets: batchBuckets}, []string{"target"}),
		poolWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Subsystem: "client", Name: "pool_wait_seconds",
			Help: "Waits for a free connection when all MaxConns were in use, by target.", Buckets: latencyBuckets}, []string{"target"}),
		dials: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Subsystem: "client", Name: "dials_total",
			Help: "Connections opened (dial and handshake), by target and outcome."}, []string{"target", "outcome"}),
		dialTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Subsystem: "client", Name: "dial_duration_seconds",
			Help: "Dial and handshake time, by target.", Buckets: latencyBuckets}, []string{"target"}),
	}
	m.collectors = collectors{m.calls, m.errors, m.batch, m.poolWait, m.dials, m.dialTime}
	if err := register(reg, m); err != nil {
		return nil, err
	}
	return m, nil
}

// CallStart implements pyro.ProxyObserver; it leaves the context as it is.
func (m *ProxyMetrics) CallStart(ctx context.Context, _ *pyro.ProxyCallEvent) context.Context {
	return ctx
}

// CallEnd implements pyro.ProxyObserver.
func (m *ProxyMetrics) CallEnd(_ context.Context, ev *pyro.ProxyCallEvent) {
	m.calls.observe(clientKey{ev.Target, ev.Method, ev.Oneway}, ev.Err != nil,
		time.Since(ev.Start), ev.BytesIn, ev.BytesOut)
	if ev.Err != nil {
		m.errors.WithLabelValues(validLabel(ev.Target), validLabel(ev.Method), validLabel(pyro.ExceptionClass(ev.Err))).Inc()
	}
	if ev.Batch > 0 {
		m.batch.WithLabelValues(validLabel(ev.Target)).Observe(float64(ev.Batch))
	}
}

// Dialed implements pyro.ProxyObserver.
func (m *ProxyMetrics) Dialed(ev pyro.DialEvent) {
	m.dials.WithLabelValues(validLabel(ev.Target), outcome(ev.Err)).Inc()
	m.dialTime.WithLabelValues(validLabel(ev.Target)).Observe(ev.Duration.Seconds())
}

// PoolWaited implements pyro.ProxyObserver.
func (m *ProxyMetrics) PoolWaited(target string, waited time.Duration) {
	m.poolWait.WithLabelValues(validLabel(target)).Observe(waited.Seconds())
}
