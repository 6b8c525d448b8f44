package prom

import (
	"context"
	"testing"
	"time"
	"unsafe"

	"github.com/gopyro/pyro"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestStripeLayout(t *testing.T) {
	if numBuckets != len(latencyBuckets)+1 {
		t.Errorf("numBuckets = %d, want len(latencyBuckets)+1 = %d", numBuckets, len(latencyBuckets)+1)
	}
	if size := unsafe.Sizeof(stripe{}); size%64 != 0 {
		t.Errorf("a stripe is %d bytes, not a whole number of 64-byte cache lines", size)
	}
}

func TestBucketOf(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want int
	}{{0, 0}, {25 * time.Microsecond, 0}, {25*time.Microsecond + 1, 1}, {100 * time.Microsecond, 1},
		{time.Duration(latencyBuckets[len(latencyBuckets)-1] * 1e9), len(latencyBuckets) - 1},
		{time.Hour, len(latencyBuckets)}} {
		if got := bucketOf(c.d); got != c.want {
			t.Errorf("bucketOf(%v) = %d, want %d", c.d, got, c.want)
		}
	}
}

// TestStripesAddUp: calls counted on many stripes come out whole in one scrape.
func TestStripesAddUp(t *testing.T) {
	m := newCallMetrics("server", [4]string{"a", "b", "c", "d"}, []string{"object", "method", "oneway"},
		func(k [3]string) []string { return k[:] })
	m.stripes.n = 4
	for i := range 100 {
		next := m.stripes.get() // renumber this P's stripe, so that calls spread over the four
		next.stripe = i % 4
		m.stripes.put(next)
		m.observe([3]string{"o", "m", "false"}, i%10 == 0, time.Duration(i)*time.Microsecond, 3, 5)
	}
	s := m.series.all()[[3]string{"o", "m", "false"}]
	used := 0
	for i := range s.stripes {
		if s.stripes[i].ok.Load()+s.stripes[i].failed.Load() > 0 {
			used++
		}
	}
	tot := s.total()
	if tot.ok.Load() != 90 || tot.failed.Load() != 10 || tot.received.Load() != 300 || tot.sent.Load() != 500 {
		t.Errorf("totals ok %d failed %d received %d sent %d, want 90 10 300 500", tot.ok.Load(), tot.failed.Load(), tot.received.Load(), tot.sent.Load())
	}
	if want := uint64(99 * 100 / 2 * 1000); tot.nanos.Load() != want {
		t.Errorf("latency sum %d ns, want %d", tot.nanos.Load(), want)
	}
	if used < 2 {
		t.Errorf("calls used %d stripe(s); the test meant to spread them", used)
	}
}

// TestInvalidUTF8Labels: names that are not UTF-8 (a proxy's URI, a remote exception's
// class) are counted under a mended label, not a panic at the call or at the scrape.
func TestInvalidUTF8Labels(t *testing.T) {
	m, err := NewProxyMetrics(nil)
	if err != nil {
		t.Fatal(err)
	}
	ev := &pyro.ProxyCallEvent{Target: "PYRO:obj\xff@host:1", Method: "m\xfe", Start: time.Now(),
		Err: &pyro.RemoteError{Class: "bad\xffclass"}, Batch: 2}
	m.CallEnd(context.Background(), ev)
	m.Dialed(pyro.DialEvent{Target: ev.Target})
	m.PoolWaited(ev.Target, time.Millisecond)
	reg := prometheus.NewRegistry()
	if err := reg.Register(m); err != nil {
		t.Fatal(err)
	}
	if n, err := testutil.GatherAndCount(reg); err != nil || n == 0 {
		t.Fatalf("gathered %d series: %v", n, err)
	}
}
