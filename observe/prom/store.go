package prom

import (
	"context"
	"time"

	"github.com/gopyro/pyro/naming"
	"github.com/prometheus/client_golang/prometheus"
)

// Store is the name server's storage (naming/store.Store, whose Entry and Filter are
// naming's): restated here so that this package does not link the SQL store.
type Store interface {
	Register(ctx context.Context, name, uri string, metadata []string, safe bool) error
	Lookup(ctx context.Context, name string) (naming.Entry, error)
	SetMetadata(ctx context.Context, name string, metadata []string) error
	Remove(ctx context.Context, name string) (bool, error)
	RemoveMatching(ctx context.Context, f naming.Filter, keep ...string) (int, error)
	List(ctx context.Context, f naming.Filter) ([]naming.Entry, error)
	Count(ctx context.Context) (int, error)
	Close() error
}

// StoreMetrics wraps a name server's Store (nameserver.Config.Store) with the
// pyro_nameserver_* metrics: operations by kind and outcome, their storage latency, and the
// number of entries (counted when scraped). It is a prometheus.Collector and a Store.
type StoreMetrics struct {
	Store
	collectors
	ops     *prometheus.CounterVec
	latency *prometheus.HistogramVec
}

// InstrumentStore wraps s and registers its metrics with reg (nil: not registered).
func InstrumentStore(reg prometheus.Registerer, s Store) (*StoreMetrics, error) {
	m := &StoreMetrics{Store: s,
		ops: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Subsystem: "nameserver", Name: "operations_total",
			Help: "Name server storage operations, by kind (register, lookup, set_metadata, remove, remove_matching, list) and outcome."},
			[]string{"op", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Subsystem: "nameserver", Name: "storage_duration_seconds",
			Help: "Name server storage latency, by operation.", Buckets: latencyBuckets}, []string{"op"}),
	}
	entries := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: Namespace, Subsystem: "nameserver", Name: "entries",
		Help: "Registrations in the name server (counted at scrape time; -1 if the store failed)."}, m.count)
	m.collectors = collectors{m.ops, m.latency, entries}
	if err := register(reg, m); err != nil {
		return nil, err
	}
	return m, nil
}

// UnwrapStore returns the wrapped store, so that the name server still finds what it can do
// beyond Store (etcd's leases, store.Find); those calls are not counted.
func (m *StoreMetrics) UnwrapStore() any { return m.Store }

func (m *StoreMetrics) count() float64 {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n, err := m.Store.Count(ctx)
	if err != nil {
		return -1
	}
	return float64(n)
}

func (m *StoreMetrics) done(op string, start time.Time, err error) {
	m.latency.WithLabelValues(op).Observe(time.Since(start).Seconds())
	m.ops.WithLabelValues(op, outcome(err)).Inc()
}

// Register implements Store.
func (m *StoreMetrics) Register(ctx context.Context, name, uri string, metadata []string, safe bool) error {
	start := time.Now()
	err := m.Store.Register(ctx, name, uri, metadata, safe)
	m.done("register", start, err)
	return err
}

// Lookup implements Store.
func (m *StoreMetrics) Lookup(ctx context.Context, name string) (naming.Entry, error) {
	start := time.Now()
	e, err := m.Store.Lookup(ctx, name)
	m.done("lookup", start, err)
	return e, err
}

// SetMetadata implements Store.
func (m *StoreMetrics) SetMetadata(ctx context.Context, name string, metadata []string) error {
	start := time.Now()
	err := m.Store.SetMetadata(ctx, name, metadata)
	m.done("set_metadata", start, err)
	return err
}

// Remove implements Store.
func (m *StoreMetrics) Remove(ctx context.Context, name string) (bool, error) {
	start := time.Now()
	ok, err := m.Store.Remove(ctx, name)
	m.done("remove", start, err)
	return ok, err
}

// RemoveMatching implements Store.
func (m *StoreMetrics) RemoveMatching(ctx context.Context, f naming.Filter, keep ...string) (int, error) {
	start := time.Now()
	n, err := m.Store.RemoveMatching(ctx, f, keep...)
	m.done("remove_matching", start, err)
	return n, err
}

// List implements Store.
func (m *StoreMetrics) List(ctx context.Context, f naming.Filter) ([]naming.Entry, error) {
	start := time.Now()
	es, err := m.Store.List(ctx, f)
	m.done("list", start, err)
	return es, err
}
