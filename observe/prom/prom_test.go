package prom_test

import (
	"context"
	"errors"
	"iter"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/naming"
	"github.com/gopyro/pyro/naming/nameserver"
	"github.com/gopyro/pyro/naming/store"
	"github.com/gopyro/pyro/observe/prom"
	"github.com/gopyro/pyro/pyrotest"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
)

// Calc is the object under measure.
type Calc struct {
	mu    sync.Mutex
	notes []string
}

func (*Calc) Add(a, b int) int { return a + b }
func (*Calc) Fail() error      { return pyro.NewError("builtins.ValueError", "no") }
func (*Calc) Sleep(ms int)     { time.Sleep(time.Duration(ms) * time.Millisecond) }
func (c *Calc) Note(s string)  { c.mu.Lock(); c.notes = append(c.notes, s); c.mu.Unlock() }
func (*Calc) Count(n int) iter.Seq[int] {
	return func(y func(int) bool) {
		for i := range n {
			if !y(i) {
				return
			}
		}
	}
}
func (c *Calc) noted() int { c.mu.Lock(); defer c.mu.Unlock(); return len(c.notes) }

// metric finds one series in reg's gathered families: a counter's or gauge's value, a
// histogram's sample count; -1 when the series does not exist.
func metric(t *testing.T, reg prometheus.Gatherer, name string, labels ...string) float64 {
	t.Helper()
	if m := series(t, reg, name, labels...); m != nil {
		return value(m)
	}
	return -1
}

// series finds the first series of the family name with these label pairs, or nil.
func series(t *testing.T, reg prometheus.Gatherer, name string, labels ...string) *dto.Metric {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	next:
		for _, m := range f.GetMetric() {
			have := map[string]string{}
			for _, lp := range m.GetLabel() {
				have[lp.GetName()] = lp.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if have[labels[i]] != labels[i+1] {
					continue next
				}
			}
			return m
		}
	}
	return nil
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	}
	return -1
}

// eventually polls f until it holds: the daemon's side of a call ends after its reply.
func eventually(t *testing.T, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestDaemonAndProxyMetrics(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	dm, err := prom.NewDaemonMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	pm, err := prom.NewProxyMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	calc := &Calc{}
	d := pyrotest.NewDaemon(t, pyro.DaemonConfig{Observer: dm})
	uri, err := d.Register(calc, pyro.WithID("calc"), pyro.WithOneway("Note"))
	if err != nil {
		t.Fatal(err)
	}
	p := pyrotest.NewProxy(t, uri, pyro.WithObserver(pm), pyro.WithMaxConns(1))
	ctx := context.Background()
	for i := range 3 {
		if err := p.Call(ctx, "add", nil, i, 1); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		if err := p.Call(ctx, "fail", nil); err == nil {
			t.Fatal("fail did not fail")
		}
	}
	if err := p.Call(ctx, "note", nil, "x"); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Batch().Add("add", 1, 2).Add("add", 3, 4).Add("fail").Run(ctx); err == nil {
		t.Fatal("batch did not fail")
	}
	n := 0
	for _, err := range p.Stream(ctx, "count", 4) {
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			eventually(t, "stream open", func() bool { return metric(t, reg, "pyro_server_streams_open") == 1 })
		}
		n++
	}
	// Two slow calls on a proxy of one connection: the second waits for the pool.
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() { p.Call(ctx, "sleep", nil, 50) })
	}
	wg.Wait()
	// A refused handshake (unknown object) and a failed one (not Pyro).
	bad := pyrotest.NewProxy(t, pyro.URI{Protocol: "PYRO", Object: "nosuch", Host: uri.Host, Port: uri.Port}, pyro.WithObserver(pm))
	if err := bad.Call(ctx, "x", nil); !errors.Is(err, pyro.ErrConnectFailed) {
		t.Fatalf("call to unknown object: %v", err)
	}
	nc, err := net.Dial("tcp", uri.Location())
	if err != nil {
		t.Fatal(err)
	}
	nc.Write([]byte("GET / HTTP/1.0\r\n\r\n"))
	nc.Close()
	eventually(t, "oneway note", func() bool { return calc.noted() == 1 })

	sc := []string{"object", "calc", "serializer", "serpent"}
	want := []struct {
		name   string
		labels []string
		value  float64
	}{
		{"pyro_server_calls_total", append(sc, "method", "add", "oneway", "false", "outcome", "ok"), 3},
		{"pyro_server_calls_total", append(sc, "method", "fail", "oneway", "false", "outcome", "error"), 2},
		{"pyro_server_calls_total", append(sc, "method", "note", "oneway", "true", "outcome", "ok"), 1},
		{"pyro_server_calls_total", append(sc, "method", "<batch>", "outcome", "error"), 1},
		{"pyro_server_calls_total", append(sc, "method", "count", "outcome", "ok"), 1},
		{"pyro_server_calls_total", []string{"object", "Pyro.Daemon", "method", "get_next_stream_item", "outcome", "error"}, 1}, // StopIteration
		{"pyro_server_call_errors_total", []string{"object", "calc", "method", "fail", "class", "builtins.ValueError"}, 2},
		{"pyro_server_call_errors_total", []string{"object", "calc", "method", "<batch>", "class", "builtins.ValueError"}, 1},
		{"pyro_server_call_duration_seconds", []string{"object", "calc", "method", "add"}, 3},
		{"pyro_server_batch_size", []string{"object", "calc"}, 1},
		{"pyro_server_streams_open", nil, 0},
		{"pyro_server_connections_refused_total", nil, 1},
		{"pyro_server_handshake_failures_total", nil, 1},
		{"pyro_client_calls_total", []string{"target", uri.String(), "method", "add", "outcome", "ok"}, 3},
		{"pyro_client_calls_total", []string{"target", uri.String(), "method", "note", "oneway", "true", "outcome", "ok"}, 1},
		{"pyro_client_call_errors_total", []string{"target", uri.String(), "method", "fail", "class", "builtins.ValueError"}, 2},
		{"pyro_client_batch_size", []string{"target", uri.String()}, 1},
		{"pyro_client_pool_wait_seconds", []string{"target", uri.String()}, 1},
		{"pyro_client_dials_total", []string{"target", uri.String(), "outcome", "ok"}, 1},
		{"pyro_client_dials_total", []string{"target", "PYRO:nosuch@" + uri.Location(), "outcome", "error"}, 1},
	}
	eventually(t, "server counters", func() bool {
		return metric(t, reg, "pyro_server_handshake_failures_total") == 1 && metric(t, reg, "pyro_server_calls_total", append(sc, "method", "sleep", "outcome", "ok")...) == 2
	})
	for _, w := range want {
		if got := metric(t, reg, w.name, w.labels...); got != w.value {
			t.Errorf("%s%v = %v, want %v", w.name, w.labels, got, w.value)
		}
	}
	in := metric(t, reg, "pyro_server_received_bytes_total", "object", "calc", "method", "add")
	out := metric(t, reg, "pyro_client_sent_bytes_total", "method", "add")
	if in <= 0 || in != out {
		t.Errorf("bytes of add: daemon received %v, proxy sent %v", in, out)
	}
	if got := metric(t, reg, "pyro_server_connections_accepted_total"); got < 3 {
		t.Errorf("connections accepted: %v, want at least 3", got)
	}
	if got := metric(t, reg, "pyro_server_connections_open"); got != 1 {
		t.Errorf("connections open: %v, want 1", got)
	}
	p.Close()
	eventually(t, "connection closed", func() bool { return metric(t, reg, "pyro_server_connections_open") == 0 })

	for _, c := range []prometheus.Collector{dm, pm} {
		problems, err := testutil.CollectAndLint(c)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Errorf("lint: %s: %s", p.Metric, p.Text)
		}
	}
}

func TestNameServerStoreMetrics(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	sm, err := prom.InstrumentStore(reg, store.NewMemory())
	if err != nil {
		t.Fatal(err)
	}
	ns := pyrotest.NewNameServer(t, nameserver.Config{Store: sm, NoBroadcast: true, Daemon: pyro.DaemonConfig{Host: "127.0.0.1"}})
	c := pyrotest.NewNameServerClient(t, ns.URI())
	ctx := context.Background()
	u, _ := pyro.ParseURI("PYRO:x@localhost:1")
	for _, name := range []string{"a", "b"} {
		if err := c.Register(ctx, name, u, naming.RegisterOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	c.Lookup(ctx, "a")
	if _, err := c.Lookup(ctx, "nope"); err == nil {
		t.Fatal("lookup of nope found something")
	}
	if got := metric(t, reg, "pyro_nameserver_entries"); got != 3 { // a, b and the name server itself
		t.Errorf("entries = %v, want 3", got)
	}
	for _, w := range []struct {
		op, outcome string
		n           float64
	}{{"register", "ok", 3}, {"lookup", "ok", 1}, {"lookup", "error", 1}} {
		if got := metric(t, reg, "pyro_nameserver_operations_total", "op", w.op, "outcome", w.outcome); got != w.n {
			t.Errorf("operations{op=%s,outcome=%s} = %v, want %v", w.op, w.outcome, got, w.n)
		}
	}
	if got := metric(t, reg, "pyro_nameserver_storage_duration_seconds", "op", "register"); got != 3 {
		t.Errorf("storage latency samples of register = %v, want 3", got)
	}
	problems, err := testutil.CollectAndLint(sm)
	if err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
	if !strings.HasPrefix(ns.URI().String(), "PYRO:Pyro.NameServer@") {
		t.Errorf("name server URI %s", ns.URI())
	}
}

// TestConcurrentCallsCountedExactly: calls from many goroutines, spread over the CPUs'
// stripes, while scrapes run, add up to exactly the calls made on both ends.
func TestConcurrentCallsCountedExactly(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	dm, err := prom.NewDaemonMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	pm, err := prom.NewProxyMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	d := pyrotest.NewDaemon(t, pyro.DaemonConfig{Observer: dm})
	uri, err := d.Register(&Calc{}, pyro.WithID("calc"))
	if err != nil {
		t.Fatal(err)
	}
	p := pyrotest.NewProxy(t, uri, pyro.WithObserver(pm), pyro.WithMaxConns(8))
	const callers, calls = 8, 300
	ctx := context.Background()
	done := make(chan struct{})
	scraped := make(chan int)
	go func() { // scrapes while the calls run: sums taken mid-way must not disturb the counts
		n := 0
		defer func() { scraped <- n }()
		for {
			select {
			case <-done:
				return
			default:
			}
			if _, err := reg.Gather(); err != nil {
				t.Error(err)
				return
			}
			n++
		}
	}()
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			for i := range calls {
				if err := p.Call(ctx, "add", nil, i, 1); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(done)
	if n := <-scraped; n == 0 {
		t.Error("no scrape ran during the calls")
	}
	const total = callers * calls
	eventually(t, "the daemon's side of the last calls", func() bool {
		return metric(t, reg, "pyro_server_calls_total", "object", "calc", "method", "add", "outcome", "ok") == total
	})
	for _, name := range []string{"pyro_server_call_duration_seconds", "pyro_client_call_duration_seconds"} {
		h := histogram(t, reg, name, "method", "add")
		if h.GetSampleCount() != total || h.GetSampleSum() <= 0 {
			t.Errorf("%s: %d samples summing to %vs, want %d and more than 0", name, h.GetSampleCount(), h.GetSampleSum(), total)
		}
		var prev uint64
		for _, b := range h.GetBucket() {
			if b.GetCumulativeCount() < prev || b.GetCumulativeCount() > total {
				t.Errorf("%s: bucket le=%v holds %d (previous %d, total %d)", name, b.GetUpperBound(), b.GetCumulativeCount(), prev, total)
			}
			prev = b.GetCumulativeCount()
		}
	}
	if got := metric(t, reg, "pyro_client_calls_total", "method", "add", "outcome", "ok"); got != total {
		t.Errorf("client calls: %v, want %d", got, total)
	}
	if got := metric(t, reg, "pyro_client_calls_total", "method", "add", "outcome", "error"); got != 0 {
		t.Errorf("client failed calls: %v, want 0", got)
	}
	in := metric(t, reg, "pyro_server_received_bytes_total", "object", "calc", "method", "add")
	out := metric(t, reg, "pyro_client_sent_bytes_total", "method", "add")
	if in <= 0 || in != out {
		t.Errorf("bytes of add: daemon received %v, proxy sent %v", in, out)
	}
}

// histogram finds one histogram series in reg's gathered families.
func histogram(t *testing.T, reg prometheus.Gatherer, name string, labels ...string) *dto.Histogram {
	t.Helper()
	m := series(t, reg, name, labels...)
	if m == nil || m.Histogram == nil {
		t.Fatalf("no histogram %s%v", name, labels)
	}
	return m.Histogram
}
