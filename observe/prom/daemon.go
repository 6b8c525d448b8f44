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
	calls      *prometheus.CounterVec
	errors     *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	bytesIn    *prometheus.CounterVec
	bytesOut   *prometheus.CounterVec
	batch      *prometheus.HistogramVec
	accepted   prometheus.Counter
	refused    prometheus.Counter
	hsFailed   prometheus.Counter
	connsOpen  prometheus.Gauge
	streamOpen prometheus.Gauge

	series seriesMap[serverKey, *serverSeries] // a call reads it without locking
}

type serverKey struct {
	object, method, serializer string
	oneway                     bool
}

type serverSeries struct {
	ok, failed        prometheus.Counter
	duration          prometheus.Observer
	bytesIn, bytesOut prometheus.Counter
}

// NewDaemonMetrics makes the daemon metrics and registers them with reg (nil: not
// registered).
func NewDaemonMetrics(reg prometheus.Registerer) (*DaemonMetrics, error) {
	m := &DaemonMetrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Subsystem: "server", Name: "calls_total",
			Help: "Requests served, by object, method, serializer, oneway and outcome (ok, error)."},
			[]string{"object", "method", "serializer", "oneway", "outcome"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Subsystem: "server", Name: "call_errors_total",
			Help: "Requests that raised, by object, method and Python exception class."},
			[]string{"object", "method", "class"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Subsystem: "server", Name: "call_duration_seconds",
			Help: "Time from a decoded request to its written reply (oneway: to the method's return).", Buckets: latencyBuckets},
			[]string{"object", "method"}),
		bytesIn: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Subsystem: "server", Name: "received_bytes_total",
			Help: "Request payload bytes (after decompression), by object and method."}, []string{"object", "method"}),
		bytesOut: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Subsystem: "server", Name: "sent_bytes_total",
			Help: "Reply payload bytes (before compression), by object and method."}, []string{"object", "method"}),
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
	m.collectors = collectors{m.calls, m.errors, m.duration, m.bytesIn, m.bytesOut, m.batch,
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
	s := m.seriesFor(serverKey{ev.Object, ev.Method, ev.Serializer, ev.Oneway})
	if ev.Err != nil {
		s.failed.Inc()
		m.errors.WithLabelValues(ev.Object, ev.Method, pyro.ExceptionClass(ev.Err)).Inc()
	} else {
		s.ok.Inc()
	}
	s.duration.Observe(time.Since(ev.Start).Seconds())
	s.bytesIn.Add(float64(ev.BytesIn))
	s.bytesOut.Add(float64(ev.BytesOut))
	if ev.Batch > 0 {
		m.batch.WithLabelValues(ev.Object).Observe(float64(ev.Batch))
	}
}

// StreamEvent implements pyro.DaemonObserver.
func (m *DaemonMetrics) StreamEvent(delta int) { m.streamOpen.Add(float64(delta)) }

func (m *DaemonMetrics) seriesFor(k serverKey) *serverSeries {
	return m.series.get(k, func() *serverSeries {
		ow := boolLabel(k.oneway)
		return &serverSeries{
			ok:       m.calls.WithLabelValues(k.object, k.method, k.serializer, ow, "ok"),
			failed:   m.calls.WithLabelValues(k.object, k.method, k.serializer, ow, "error"),
			duration: m.duration.WithLabelValues(k.object, k.method),
			bytesIn:  m.bytesIn.WithLabelValues(k.object, k.method),
			bytesOut: m.bytesOut.WithLabelValues(k.object, k.method),
		}
	})
}
