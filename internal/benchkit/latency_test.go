package benchkit

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestLatencyBuckets checks that every bucket's bounds hold what latBucket puts in it, and
// that a quantile is within a bucket's width (6.25%) of the true one.
func TestLatencyBuckets(t *testing.T) {
	for _, ns := range []int64{0, 1, 15, 16, 17, 31, 32, 1000, 12345, 1 << 40, 1<<62 + 12345} {
		i := latBucket(ns)
		if lo, hi := latLow(i), latLow(i+1); ns < lo || ns >= hi {
			t.Errorf("latBucket(%d) = %d, holding [%d, %d)", ns, i, lo, hi)
		}
	}
	var l Latency
	var all []time.Duration
	for range 10000 {
		d := time.Duration(rand.Int64N(int64(time.Second)))
		l.Record(d)
		all = append(all, d)
	}
	want := quantileOf(all, 0.99)
	if got := l.Quantile(0.99); got < want*15/16 || got > want*17/16 {
		t.Errorf("p99 = %v, want about %v", got, want)
	}
	var m Latency
	m.Merge(&l)
	if m.Count() != 10000 || m.Quantile(0.5) != l.Quantile(0.5) {
		t.Errorf("merged: %d latencies, p50 %v; want 10000, %v", m.Count(), m.Quantile(0.5), l.Quantile(0.5))
	}
}

func quantileOf(ds []time.Duration, q float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[int(q*float64(len(s)))-1]
}

// TestParseLatencies reads a Python client's buckets.
func TestParseLatencies(t *testing.T) {
	l, err := parseLatencies("100:3,200:1")
	if err != nil || l.Count() != 4 {
		t.Fatalf("parseLatencies = %v, %v", l, err)
	}
	if _, err := parseLatencies("x"); err == nil {
		t.Error("parseLatencies accepted a malformed pair")
	}
	if l, err := parseLatencies("-"); err != nil || l.Count() != 0 {
		t.Errorf(`parseLatencies("-") = %d latencies, %v`, l.Count(), err)
	}
}
