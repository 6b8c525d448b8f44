package prom

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// callMetrics are the per-call series of a daemon or of proxies: calls by outcome, and by
// the first two labels (object or target, and method) a latency histogram and bytes
// received and sent. A call adds to counters of its own CPU's stripe, which scrapes add up:
// prometheus.Counter and Histogram keep one set of atomics per series, which every call
// from every CPU writes, and on a busy server that cache line bouncing between CPUs cost
// more than the rest of the metrics together.
type callMetrics[K comparable] struct {
	calls, duration, received, sent *prometheus.Desc
	labels                          func(K) []string // the calls' label values but outcome
	series                          seriesMap[K, *callStats]
	stripes                         stripePicker[K]
}

// newCallMetrics describes the four metrics: names end in calls_total,
// call_duration_seconds, received_bytes_total and sent_bytes_total (help[0..3]); labels
// name the calls' labels but outcome, the first two also labelling the other three.
func newCallMetrics[K comparable](subsystem string, help [4]string, labels []string, values func(K) []string) *callMetrics[K] {
	name := func(n string) string { return prometheus.BuildFQName(Namespace, subsystem, n) }
	outcome := append(append([]string(nil), labels...), "outcome")
	return &callMetrics[K]{
		calls:    prometheus.NewDesc(name("calls_total"), help[0], outcome, nil),
		duration: prometheus.NewDesc(name("call_duration_seconds"), help[1], labels[:2], nil),
		received: prometheus.NewDesc(name("received_bytes_total"), help[2], labels[:2], nil),
		sent:     prometheus.NewDesc(name("sent_bytes_total"), help[3], labels[:2], nil),
		labels:   values,
		stripes:  stripePicker[K]{n: min(max(runtime.GOMAXPROCS(0), 1), maxStripes)},
	}
}

// observe counts one call of series k.
func (m *callMetrics[K]) observe(k K, failed bool, took time.Duration, received, sent int) {
	t := m.stripes.get()
	if t.series == nil || t.key != k { // most calls repeat the last series on their CPU
		t.key, t.series = k, m.series.get(k, func() *callStats { return newCallStats(m.labels(k), m.stripes.n) })
	}
	st := &t.series.stripes[t.stripe]
	st.buckets[bucketOf(took)].Add(1)
	st.nanos.Add(uint64(max(took, 0)))
	st.received.Add(uint64(received))
	st.sent.Add(uint64(sent))
	if failed { // last: a scrape that counts the call sees its latency and bytes
		st.failed.Add(1)
	} else {
		st.ok.Add(1)
	}
	m.stripes.put(t)
}

// Describe implements prometheus.Collector.
func (m *callMetrics[K]) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.calls
	ch <- m.duration
	ch <- m.received
	ch <- m.sent
}

// Collect implements prometheus.Collector: the calls of each series, and the histogram
// and bytes of each pair of first labels (summed over the series sharing them).
func (m *callMetrics[K]) Collect(ch chan<- prometheus.Metric) {
	type pair struct{ a, b string }
	groups := map[pair]*stripe{}
	var order []pair
	for _, s := range m.series.all() {
		t := s.total()
		ch <- prometheus.MustNewConstMetric(m.calls, prometheus.CounterValue, float64(t.ok.Load()), append(s.labels, "ok")...)
		ch <- prometheus.MustNewConstMetric(m.calls, prometheus.CounterValue, float64(t.failed.Load()), append(s.labels, "error")...)
		p := pair{s.labels[0], s.labels[1]}
		g, ok := groups[p]
		if !ok {
			g = new(stripe)
			groups[p] = g
			order = append(order, p)
		}
		g.addFrom(t)
	}
	for _, p := range order {
		g := groups[p]
		buckets := make(map[float64]uint64, len(latencyBuckets))
		var count uint64 // from the buckets, not the calls: a call may land between the two reads
		for i := range g.buckets {
			count += g.buckets[i].Load()
			if i < len(latencyBuckets) {
				buckets[latencyBuckets[i]] = count
			}
		}
		ch <- prometheus.MustNewConstHistogram(m.duration, count, time.Duration(g.nanos.Load()).Seconds(), buckets, p.a, p.b)
		ch <- prometheus.MustNewConstMetric(m.received, prometheus.CounterValue, float64(g.received.Load()), p.a, p.b)
		ch <- prometheus.MustNewConstMetric(m.sent, prometheus.CounterValue, float64(g.sent.Load()), p.a, p.b)
	}
}

// callStats is one series: its label values (but outcome) and its stripes.
type callStats struct {
	labels  []string
	stripes []stripe
}

func newCallStats(labels []string, stripes int) *callStats {
	for i, l := range labels {
		labels[i] = validLabel(l)
	}
	return &callStats{labels: labels[:len(labels):len(labels)], stripes: make([]stripe, stripes)}
}

// total adds the stripes up.
func (s *callStats) total() *stripe {
	var t stripe
	for i := range s.stripes {
		t.addFrom(&s.stripes[i])
	}
	return &t
}

// stripe is one CPU's share of a series, a whole number of cache lines long (64 bytes),
// so that two stripes never share one.
type stripe struct {
	ok, failed, nanos, received, sent atomic.Uint64
	buckets                           [numBuckets]atomic.Uint64 // by latencyBounds; the last one is +Inf
	_                                 [stripePad]byte
}

const (
	numBuckets = 12 // len(latencyBuckets) + 1 (a test checks)
	stripePad  = 64 - (5+numBuckets)*8%64
)

func (t *stripe) addFrom(s *stripe) {
	t.ok.Add(s.ok.Load())
	t.failed.Add(s.failed.Load())
	t.nanos.Add(s.nanos.Load())
	t.received.Add(s.received.Load())
	t.sent.Add(s.sent.Load())
	for i := range t.buckets {
		t.buckets[i].Add(s.buckets[i].Load())
	}
}

// latencyBounds are latencyBuckets as durations, for counting without floating point.
var latencyBounds = func() []time.Duration {
	b := make([]time.Duration, len(latencyBuckets))
	for i, le := range latencyBuckets {
		b[i] = time.Duration(le*1e9 + 0.5)
	}
	return b
}()

// bucketOf returns the index of the histogram bucket of d (the last for +Inf).
func bucketOf(d time.Duration) int {
	for i, le := range latencyBounds {
		if d <= le {
			return i
		}
	}
	return len(latencyBounds)
}

// stripePicker hands out stripe tokens with CPU affinity: its sync.Pool keeps one token
// per P, so the goroutines running on one P are given the same one back; tokens made anew
// (the first time on a P, or after garbage collections emptied the pool) go round the
// stripes. A token also remembers the last series used through it: a call holds its token
// alone, between get and put.
type stripePicker[K comparable] struct {
	n    int
	next atomic.Uint32
	pool sync.Pool
}

type stripeToken[K comparable] struct {
	stripe int
	key    K
	series *callStats
}

// maxStripes bounds a series' memory on large machines (a stripe is 192 bytes).
const maxStripes = 32

func (p *stripePicker[K]) get() *stripeToken[K] {
	if t, ok := p.pool.Get().(*stripeToken[K]); ok {
		return t
	}
	return &stripeToken[K]{stripe: int(p.next.Add(1)-1) % p.n}
}

func (p *stripePicker[K]) put(t *stripeToken[K]) { p.pool.Put(t) }
