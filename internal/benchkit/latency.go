package benchkit

import (
	"math/bits"
	"time"
)

// latSub is the number of buckets per power of two: a latency is known within 1/16 (6.25%).
const latSub = 16

// latBuckets covers every non-negative int64 nanosecond count.
const latBuckets = (64 - 3) * latSub

// Latency is a histogram of call latencies, cheap enough to record every call (one index
// computation and one increment); it has no lock, so each caller keeps its own and they are
// merged afterwards. Python clients fill the same buckets (latBucket in the client script).
type Latency struct {
	counts [latBuckets]uint64
	n      uint64
}

// latBucket is the bucket of a latency of ns nanoseconds: exact below 16 ns, then 16
// buckets per power of two.
func latBucket(ns int64) int {
	if ns < latSub {
		return int(max(ns, 0))
	}
	e := bits.Len64(uint64(ns)) - 1 // ≥ 4
	return (e-3)*latSub + int(uint64(ns)>>(e-4)&(latSub-1))
}

// latLow is the smallest latency in bucket i.
func latLow(i int) int64 {
	if i < latSub {
		return int64(i)
	}
	e, sub := i/latSub+3, i%latSub
	return int64(latSub+sub) << (e - 4)
}

// Record adds one latency.
func (l *Latency) Record(d time.Duration) {
	l.counts[latBucket(int64(d))]++
	l.n++
}

// addBucket adds n latencies to bucket i (as reported by a Python client); out-of-range
// buckets are ignored.
func (l *Latency) addBucket(i int, n uint64) {
	if i >= 0 && i < latBuckets {
		l.counts[i] += n
		l.n += n
	}
}

// Merge adds o's latencies to l's.
func (l *Latency) Merge(o *Latency) {
	if o == nil {
		return
	}
	for i, c := range o.counts {
		l.counts[i] += c
	}
	l.n += o.n
}

// Count is the number of latencies recorded.
func (l *Latency) Count() uint64 {
	if l == nil {
		return 0
	}
	return l.n
}

// Quantile returns the latency below which a fraction q of the calls took (the middle of its
// bucket), or 0 when nothing was recorded.
func (l *Latency) Quantile(q float64) time.Duration {
	if l.Count() == 0 {
		return 0
	}
	rank := uint64(q*float64(l.n) + 0.5)
	rank = min(max(rank, 1), l.n)
	var seen uint64
	for i, c := range l.counts {
		seen += c
		if seen >= rank {
			lo, hi := latLow(i), latLow(i+1)
			return time.Duration(lo + (hi-lo)/2)
		}
	}
	return 0
}

// mergeLatency returns a new histogram holding a's and b's, or nil when both are nil.
func mergeLatency(a, b *Latency) *Latency {
	if a == nil && b == nil {
		return nil
	}
	m := new(Latency)
	m.Merge(a)
	m.Merge(b)
	return m
}
