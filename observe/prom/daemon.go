package prom

import (
	"context"
	"time"

	"github.com/gopyro/pyro"
	"github.com/prometheus/client_golang/prometheus"
)

// DaemonMetrics is a pyro.DaemonObserver counting a daemon's calls, errors, bytes,
// connections and streams; set it as DaemonConfig.Observer (several daemons may share one).
// It is a prometheus.Collector of the pyro_server_* metrics.
type DaemonMetrics struct {
	collectors
	calls      *callMetrics[serverKey]
	errors     *prometheus.CounterVec
	batch      *prometheus.HistogramVec
	accepted   prometheus.Counter
	refused    prometheus.Counter
	hsFailed   prometheus.Counter
	connsOpen  prometheus.Gauge
	streamOpen prometheus.Gauge
}

type serverKey struct {
	object, method, serializer string
	oneway                     bool
}

// NewDaemonMetrics makes the daemon metrics and registers them with reg (nil: not
// registered).
func NewDaemonMetrics(reg prometheus.Registerer) (*DaemonMetrics, error) {
	m := &DaemonMetrics{
		calls: newCallMetrics("server", [4]string{
			"Requests served, by object, method, serializer, oneway and outcome (ok, error).",
			"Time from a decoded request to its written reply (oneway: to the method's return).",
			"Request payload bytes (after decompression), by object and method.",
			"Reply payload bytes (before compression), by object and method.",
		}, []string{"object", "method", "serializer", "oneway"}, func(k serverKey) []string {
			return []string{k.object, k.method, k.serializer, boolLabel(k.oneway)}
		}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Subsystem: "server", Name: "call_errors_total",
			Help: "Requests that raised, by object, method and Python exception class."},
			[]string{"object", "method", "class"}),
		batch: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Subsystem: "server", Name: "batch_size",
			Help: "Calls per batch request, by object.", Buckets: batchBuckets}, []string{"object"}),
		accepted: prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Subsystem: "server", Name: "connections_accepted_total",
			Help: "Connections accepted (before their handshake)."}),
		refused: prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Subsystem: "server", Name: "connections_refused_total",
			Help: "Handshakes answered with CONNECTFAIL (rejected by the handshake hook, serializer not accepted, unknown object)."}),
		hsFailed: prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Subsystem: "server", Name: "handshake_failures_total",
			Help: "Connections that sent no valid handshake (not Pyro, bad HMAC, timeout, hang-up)."}),
		connsOpen: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Subsystem: "server", Name: "connections_open",
			Help: "Connections past their handshake and not yet closed."}),
		streamOpen: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Subsystem: "server", Name: "streams_open",
			Help: "Item streams open (including those lingering for a disconnected client)."}),
	}
	m.collectors = collectors{m.calls, m.errors, m.batch,
		m.accepted, m.refused, m.hsFailed, m.connsOpen, m.streamOpen}
	if err := register(reg, m); err != nil {
		return nil, err
	}
	return m, nil
}

// ConnEvent implements pyro.DaemonObserver.
func (m *DaemonMetrics) ConnEvent(ev pyro.ConnEvent) {
	switch ev.Kind {
	case pyro.ConnAccepted:
		m.accepted.Inc()
	case pyro.ConnOpened:
		m.connsOpen.Inc()
	case pyro.ConnClosed:
		m.connsOpen.Dec()
	case pyro.ConnRefused:
		m.refused.Inc()
	case pyro.ConnHandshakeFailed:
		m.hsFailed.Inc()
	}
}

// CallStart implements pyro.DaemonObserver; it leaves the context as it is.
func (m *DaemonMetrics) CallStart(ctx context.Context, _ *pyro.CallEvent) context.Context { return ctx }

// CallEnd implements pyro.DaemonObserver.
func (m *DaemonMetrics) CallEnd(_ context.Context, ev *pyro.CallEvent) {
	m.calls.observe(serverKey{ev.Object, ev.Method, ev.Serializer, ev.Oneway}, ev.Err != nil,
		time.Since(ev.Start), ev.BytesIn, ev.BytesOut)
	if ev.Err != nil {
		m.errors.WithLabelValues(validLabel(ev.Object), validLabel(ev.Method), validLabel(pyro.ExceptionClass(ev.Err))).Inc()
	}
	if ev.Batch > 0 {
		m.batch.WithLabelValues(validLabel(ev.Object)).Observe(float64(ev.Batch))
	}
}

// StreamEvent implements pyro.DaemonObserver.
func (m *DaemonMetrics) StreamEvent(delta int) { m.streamOpen.Add(float64(delta)) }
