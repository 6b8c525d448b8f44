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
	calls    *prometheus.CounterVec
	errors   *prometheus.CounterVec
	duration *prometheus.HistogramVec
	bytesOut *prometheus.CounterVec
	bytesIn  *prometheus.CounterVec
	batch    *prometheus.HistogramVec
	poolWait *prometheus.HistogramVec
	dials    *prometheus.CounterVec
	dialTime *prometheus.HistogramVec

	series seriesMap[clientKey, *clientSeries] // a call reads it without locking
}

type clientKey struct {
	target, method string
	oneway         bool
}

type clientSeries struct {
	ok, failed        prometheus.Counter
	duration          prometheus.Observer
	bytesIn, bytesOut prometheus.Counter
}

// NewProxyMetrics makes the proxy metrics and registers them with reg (nil: not
// registered).
func NewProxyMetrics(reg prometheus.Registerer) (*ProxyMetrics, error) {
	m := &ProxyMetrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Subsystem: "client", Name: "calls_total",
			Help: "Calls made, by target URI, method, oneway and outcome (ok, error)."},
			[]string{"target", "method", "oneway", "outcome"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Subsystem: "client", Name: "call_errors_total",
			Help: "Calls that failed, by target, method and Python exception class (remote, or the Pyro4 error class of a local failure)."},
			[]string{"target", "method", "class"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Subsystem: "client", Name: "call_duration_seconds",
			Help: "Call latency seen by the caller (pool wait, dial and handshake included), by target and method.", Buckets: latencyBuckets},
			[]string{"target", "method"}),
		bytesOut: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Subsystem: "client", Name: "sent_bytes_total",
			Help: "Request payload bytes, by target and method."}, []string{"target", "method"}),
		bytesIn: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Subsystem: "client", Name: "received_bytes_total",
			Help: "Reply payload bytes, by target and method."}, []string{"target", "method"}),
		batch: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Subsystem: "client", Name: "batch_size",
			Help: "Calls per batch, by target.", Buckets: batchBuckets}, []string{"target"}),
		poolWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Subsystem: "client", Name: "pool_wait_seconds",
			Help: "Waits for a free connection when all MaxConns were in use, by target.", Buckets: latencyBuckets}, []string{"target"}),
		dials: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Subsystem: "client", Name: "dials_total",
			Help: "Connections opened (dial and handshake), by target and outcome."}, []string{"target", "outcome"}),
		dialTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Subsystem: "client", Name: "dial_duration_seconds",
			Help: "Dial and handshake time, by target.", Buckets: latencyBuckets}, []string{"target"}),
	}
	m.collectors = collectors{m.calls, m.errors, m.duration, m.bytesOut, m.bytesIn, m.batch, m.poolWait, m.dials, m.dialTime}
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
	s := m.seriesFor(clientKey{ev.Target, ev.Method, ev.Oneway})
	if ev.Err != nil {
		s.failed.Inc()
		m.errors.WithLabelValues(ev.Target, ev.Method, pyro.ExceptionClass(ev.Err)).Inc()
	} else {
		s.ok.Inc()
	}
	s.duration.Observe(time.Since(ev.Start).Seconds())
	s.bytesOut.Add(float64(ev.BytesOut))
	s.bytesIn.Add(float64(ev.BytesIn))
	if ev.Batch > 0 {
		m.batch.WithLabelValues(ev.Target).Observe(float64(ev.Batch))
	}
}

// Dialed implements pyro.ProxyObserver.
func (m *ProxyMetrics) Dialed(ev pyro.DialEvent) {
	m.dials.WithLabelValues(ev.Target, outcome(ev.Err)).Inc()
	m.dialTime.WithLabelValues(ev.Target).Observe(ev.Duration.Seconds())
}

// PoolWaited implements pyro.ProxyObserver.
func (m *ProxyMetrics) PoolWaited(target string, waited time.Duration) {
	m.poolWait.WithLabelValues(target).Observe(waited.Seconds())
}

func (m *ProxyMetrics) seriesFor(k clientKey) *clientSeries {
	return m.series.get(k, func() *clientSeries {
		ow := boolLabel(k.oneway)
		return &clientSeries{
			ok:       m.calls.WithLabelValues(k.target, k.method, ow, "ok"),
			failed:   m.calls.WithLabelValues(k.target, k.method, ow, "error"),
			duration: m.duration.WithLabelValues(k.target, k.method),
			bytesOut: m.bytesOut.WithLabelValues(k.target, k.method),
			bytesIn:  m.bytesIn.WithLabelValues(k.target, k.method),
		}
	})
}
