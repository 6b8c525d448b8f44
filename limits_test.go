package pyro_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"iter"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/internal/wire"
	"github.com/gopyro/pyro/pyrotest"
)

// limited is a test object for the per-connection limits.
type limited struct {
	running, most atomic.Int32
	ran           atomic.Int32
	release       chan struct{}
}

// Wait is oneway: it runs until release is closed, counting how many run at once.
func (l *limited) Wait() {
	n := l.running.Add(1)
	for {
		m := l.most.Load()
		if n <= m || l.most.CompareAndSwap(m, n) {
			break
		}
	}
	<-l.release
	l.running.Add(-1)
	l.ran.Add(1)
}

// Hold takes a payload and returns when release is closed.
func (l *limited) Hold(b []byte) int { <-l.release; return len(b) }

// Size returns the payload's length.
func (l *limited) Size(b []byte) int { return len(b) }

// Count is an item stream of three numbers.
func (l *limited) Count() iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := range 3 {
			if !yield(i) {
				return
			}
		}
	}
}

// Ping answers.
func (l *limited) Ping() string { return "pong" }

func serveLimited(t *testing.T, lim pyro.Limits, log *slog.Logger) (*limited, pyro.URI) {
	t.Helper()
	d := pyrotest.NewDaemon(t, pyro.DaemonConfig{Limits: lim, Logger: log})
	obj := &limited{release: make(chan struct{})}
	uri, err := d.Register(obj, pyro.WithOneway("Wait"))
	if err != nil {
		t.Fatal(err)
	}
	return obj, uri
}

// A connection never runs more than MaxOnewayPerConn oneway calls at once; the ones beyond
// wait unread (the client is held back, nothing is refused) and all of them run.
func TestMaxOnewayPerConn(t *testing.T) {
	obj, uri := serveLimited(t, pyro.Limits{MaxOnewayPerConn: 2}, nil)
	p := pyrotest.NewProxy(t, uri, pyro.WithSingleConnection())
	ctx := context.Background()
	for range 6 {
		if err := p.Call(ctx, "Wait", nil); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for obj.running.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // room for a third to start, were it allowed
	if n := obj.most.Load(); n != 2 {
		t.Errorf("%d oneway calls ran at once, want 2", n)
	}
	close(obj.release)
	for obj.ran.Load() < 6 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := obj.ran.Load(); n != 6 {
		t.Errorf("%d of 6 oneway calls ran", n)
	}
	var out string
	if err := p.Call(ctx, "Ping", &out); err != nil || out != "pong" {
		t.Errorf("call after the oneway calls: %q, %v", out, err)
	}
}

// A connection with MaxStreamsPerConn streams open gets a PyroError for one more, and may
// open another once one is done.
func TestMaxStreamsPerConn(t *testing.T) {
	_, uri := serveLimited(t, pyro.Limits{MaxStreamsPerConn: 2}, nil)
	p := pyrotest.NewProxy(t, uri, pyro.WithSingleConnection())
	ctx := context.Background()
	var stops []func()
	for i := range 3 {
		next, stop := iter.Pull2(p.Stream(ctx, "Count"))
		stops = append(stops, stop)
		_, err, _ := next()
		var re *pyro.RemoteError
		switch {
		case i < 2 && err != nil:
			t.Fatalf("stream %d: %v", i, err)
		case i == 2 && (!errors.As(err, &re) || !strings.Contains(re.Message(), "too many open item streams")):
			t.Fatalf("stream over the limit: %v", err)
		}
	}
	stops[0]() // closes the first stream (close_stream is oneway: give it a moment)
	time.Sleep(100 * time.Millisecond)
	var got []any
	for item, err := range p.Stream(ctx, "Count") {
		if err != nil {
			t.Fatalf("stream after one closed: %v", err)
		}
		got = append(got, item)
	}
	if len(got) != 3 {
		t.Errorf("stream after one closed: %v", got)
	}
	for _, stop := range stops {
		stop()
	}
}

// A batch longer than MaxBatchCalls is refused whole with a ProtocolError; one at the limit
// runs.
func TestMaxBatchCalls(t *testing.T) {
	_, uri := serveLimited(t, pyro.Limits{MaxBatchCalls: 3}, nil)
	p := pyrotest.NewProxy(t, uri)
	ctx := context.Background()
	if res, err := p.Batch().Add("Ping").Add("Ping").Add("Ping").Run(ctx); err != nil || len(res) != 3 {
		t.Fatalf("batch at the limit: %v, %v", res, err)
	}
	_, err := p.Batch().Add("Ping").Add("Ping").Add("Ping").Add("Ping").Run(ctx)
	var re *pyro.RemoteError
	if !errors.As(err, &re) || !strings.HasSuffix(re.Class, "ProtocolError") || !strings.Contains(re.Message(), "limit of 3") {
		t.Fatalf("batch over the limit: %v", err)
	}
}

// logRecords keeps the messages and errors logged at warning level and above.
type logRecords struct {
	mu   sync.Mutex
	msgs []string
}

func (l *logRecords) Enabled(_ context.Context, lv slog.Level) bool { return lv >= slog.LevelWarn }
func (l *logRecords) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool { b.WriteString(" " + a.String()); return true })
	l.mu.Lock()
	l.msgs = append(l.msgs, b.String())
	l.mu.Unlock()
	return nil
}
func (l *logRecords) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logRecords) WithGroup(string) slog.Handler      { return l }
func (l *logRecords) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.msgs, "\n")
}

// The memory budget: a message larger than the whole budget, and one that does not fit in
// what other messages hold within MemoryBudgetWait, close their own connection with a
// logged reason; small calls on other connections are served meanwhile, and the large one
// goes through once the budget is free.
func TestMemoryBudget(t *testing.T) {
	logs := &logRecords{}
	obj, uri := serveLimited(t, pyro.Limits{MemoryBudget: 1 << 20, MemoryBudgetWait: 100 * time.Millisecond}, slog.New(logs))
	ctx := context.Background()
	big := make([]byte, 600<<10)

	holder := pyrotest.NewProxy(t, uri, pyro.WithSerializer("marshal"))
	held := make(chan error, 1)
	go func() { held <- holder.Call(ctx, "Hold", nil, big) }()
	time.Sleep(200 * time.Millisecond) // Hold is running, its 600 KiB taken from the budget

	p := pyrotest.NewProxy(t, uri, pyro.WithSerializer("marshal"))
	var n int
	if err := p.Call(ctx, "Size", &n, big); !errors.Is(err, pyro.ErrCommunication) {
		t.Errorf("a call that does not fit in what is left: %v", err)
	}
	if err := p.Call(ctx, "Size", &n, make([]byte, 2<<20)); !errors.Is(err, pyro.ErrCommunication) {
		t.Errorf("a call larger than the budget: %v", err)
	}
	var out string
	if err := p.Call(ctx, "Ping", &out); err != nil || out != "pong" {
		t.Errorf("a small call while the budget is used up: %q, %v", out, err)
	}
	close(obj.release)
	if err := <-held; err != nil {
		t.Fatalf("the call holding the budget: %v", err)
	}
	if err := p.Call(ctx, "Size", &n, big); err != nil || n != len(big) {
		t.Errorf("the large call once the budget is free: %d, %v", n, err)
	}
	got := logs.String()
	if !strings.Contains(got, "refused a message") || !strings.Contains(got, "memory budget exhausted") || !strings.Contains(got, "larger than the whole memory budget") {
		t.Errorf("logged:\n%s", got)
	}
}

// A proxy reads a reply as it arrives too: a daemon whose reply header claims 2 GiB and
// sends 1 MiB makes the call fail without the proxy allocating the claim.
func TestProxyReadsClaimsAsTheyArrive(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		connect, err := wire.Read(nc, nil)
		if err != nil {
			return
		}
		wire.Write(nc, &wire.Message{Type: wire.ConnectOK, Seq: connect.Seq, SerializerID: connect.SerializerID, Data: []byte("N.")}, nil)
		var h [wire.HeaderSize]byte
		io.ReadFull(nc, h[:]) // the call's header: the lie follows
		req := h[:]
		claim := bytes.Clone(req[:wire.HeaderSize])
		binary.BigEndian.PutUint16(claim[6:], wire.Result)
		binary.BigEndian.PutUint32(claim[12:], 0x7fffffff)
		binary.BigEndian.PutUint16(claim[18:], 0)
		var sum uint32
		for _, off := range []int{6, 8, 10, 16, 18} {
			sum += uint32(binary.BigEndian.Uint16(claim[off:]))
		}
		sum += wire.ProtocolVersion + 0x7fffffff + wire.ChecksumMagic
		binary.BigEndian.PutUint16(claim[22:], uint16(sum))
		nc.Write(claim)
		nc.Write(make([]byte, 1<<20))
	}()
	p := pyrotest.NewProxy(t, pyro.URI{Protocol: "PYRO", Object: "x", Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port},
		pyro.WithSerializer("marshal"), pyro.WithProtocol(pyro.Pyro4))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	err = p.Call(context.Background(), "m", nil)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, pyro.ErrCommunication) {
		t.Errorf("call: %v", err)
	}
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 32<<20 {
		t.Errorf("the proxy allocated %d MiB for a reply that sent 1 MiB", grown>>20)
	}
}

// PYRO_MEMORY_BUDGET sets the budget, in bytes or with a suffix; a malformed one is an error
// naming it.
func TestMemoryBudgetFromEnv(t *testing.T) {
	for v, want := range map[string]int64{"1048576": 1 << 20, "256M": 256 << 20, "2GiB": 2 << 30, "64 kb": 64 << 10, "-1": -1} {
		t.Setenv("PYRO_MEMORY_BUDGET", v)
		cfg, err := pyro.DaemonConfigFromEnv()
		if err != nil || cfg.MemoryBudget != want {
			t.Errorf("PYRO_MEMORY_BUDGET=%q: %d, %v (want %d)", v, cfg.MemoryBudget, err, want)
		}
	}
	for _, v := range []string{"lots", "12X", "-2", "-1M", "99999999999G"} {
		t.Setenv("PYRO_MEMORY_BUDGET", v)
		if _, err := pyro.DaemonConfigFromEnv(); err == nil || !strings.Contains(err.Error(), "PYRO_MEMORY_BUDGET") {
			t.Errorf("PYRO_MEMORY_BUDGET=%q: %v", v, err)
		}
	}
}

// PYRO_THREADPOOL_SIZE, which bounds the connections of Pyro's thread-pool server, sets
// MaxConnections.
func TestMaxConnectionsFromEnv(t *testing.T) {
	t.Setenv("PYRO_THREADPOOL_SIZE", "80")
	if cfg, err := pyro.DaemonConfigFromEnv(); err != nil || cfg.MaxConnections != 80 {
		t.Errorf("PYRO_THREADPOOL_SIZE=80: %d, %v", cfg.MaxConnections, err)
	}
	t.Setenv("PYRO_THREADPOOL_SIZE", "many")
	if _, err := pyro.DaemonConfigFromEnv(); err == nil || !strings.Contains(err.Error(), "PYRO_THREADPOOL_SIZE") {
		t.Errorf("PYRO_THREADPOOL_SIZE=many: %v", err)
	}
}
