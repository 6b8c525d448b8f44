package pyro_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/pyrotest"
)

// calc is a test object covering the shapes of method the daemon supports.
type calc struct {
	mu      sync.Mutex
	scale   float64
	calls   atomic.Int64
	release chan struct{}
}

func (c *calc) Add(a, b int) int { c.calls.Add(1); return a + b }
func (c *calc) Divide(a, b float64) (float64, error) {
	if b == 0 {
		return 0, pyro.NewError("builtins.ZeroDivisionError", "float division by zero")
	}
	return a / b, nil
}
func (c *calc) Fail() error  { return errors.New("plain go error") }
func (c *calc) Boom() string { panic("kaboom") }
func (c *calc) Sum(xs ...float64) (s float64) {
	for _, x := range xs {
		s += x
	}
	return s
}
func (c *calc) Rates(m map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for k, v := range m {
		out[k] = v * 2
	}
	return out
}
func (c *calc) Count(n int) iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := range n {
			if !yield(i) {
				return
			}
		}
	}
}
func (c *calc) Wait(ctx context.Context) string {
	select {
	case <-c.release:
	case <-time.After(5 * time.Second):
	}
	return "released"
}
func (c *calc) Sleep(ms int) string { time.Sleep(time.Duration(ms) * time.Millisecond); return "slept" }
func (c *calc) Scale() float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.scale
}
func (c *calc) SetScale(s float64) {
	c.mu.Lock()
	c.scale = s
	c.mu.Unlock()
}
func (c *calc) Greet(name, greeting string) string {
	if greeting == "" {
		greeting = "hello"
	}
	return greeting + " " + name
}

func newCalcDaemon(t testing.TB) (*pyro.Daemon, *calc, pyro.URI) {
	c := &calc{release: make(chan struct{})}
	var uri pyro.URI
	d := pyrotest.NewDaemon(t, pyro.DaemonConfig{})
	var err error
	uri, err = d.Register(c, pyro.WithID("calc"), pyro.WithParams("Greet", "name", "greeting"))
	if err != nil {
		t.Fatal(err)
	}
	return d, c, uri
}

var serializers = []string{"serpent", "json", "marshal", "msgpack"}

func TestGoToGoCalls(t *testing.T) {
	_, _, uri := newCalcDaemon(t)
	ctx := context.Background()
	for _, ser := range serializers {
		t.Run(ser, func(t *testing.T) {
			p := pyrotest.NewProxy(t, uri, pyro.WithSerializer(ser))
			sum, err := pyro.CallT[int](ctx, p, "add", 2, 3)
			if err != nil || sum != 5 {
				t.Fatalf("add(2,3) = %v, %v", sum, err)
			}
			if sum, err = pyro.CallT[int](ctx, p, "Add", 40, 2); err != nil || sum != 42 {
				t.Fatalf("Add(40,2) = %v, %v", sum, err)
			}
			if s, err := pyro.CallT[float64](ctx, p, "sum", 1.5, 2.5, 3); err != nil || s != 7 {
				t.Fatalf("sum = %v, %v", s, err)
			}
			rates, err := pyro.CallT[map[string]float64](ctx, p, "rates", map[string]float64{"EUR": 1.5})
			if err != nil || rates["EUR"] != 3 {
				t.Fatalf("rates = %v, %v", rates, err)
			}
			if g, err := pyro.CallT[string](ctx, p, "greet", "bob", pyro.Kwargs{"greeting": "hi"}); err != nil || g != "hi bob" {
				t.Fatalf("greet kwargs = %q, %v", g, err)
			}
			if g, err := pyro.CallT[string](ctx, p, "greet", "ann"); err != nil || g != "hello ann" {
				t.Fatalf("greet default = %q, %v", g, err)
			}
		})
	}
}

func TestRemoteErrors(t *testing.T) {
	_, _, uri := newCalcDaemon(t)
	ctx := context.Background()
	p := pyrotest.NewProxy(t, uri)
	_, err := pyro.CallT[float64](ctx, p, "divide", 1, 0)
	var re *pyro.RemoteError
	if !errors.As(err, &re) || re.Class != "builtins.ZeroDivisionError" || re.Message() != "float division by zero" {
		t.Fatalf("divide by zero: %#v", err)
	}
	if len(re.Traceback) == 0 {
		t.Error("remote error has no traceback")
	}
	if err := p.Call(ctx, "fail", nil); !errors.As(err, &re) || re.Class != "builtins.Exception" || re.Message() != "plain go error" {
		t.Fatalf("fail: %v", err)
	}
	// A panic becomes a remote exception and the daemon keeps serving.
	if err := p.Call(ctx, "boom", nil); !errors.As(err, &re) || re.Class != "builtins.RuntimeError" || !strings.Contains(re.Message(), "kaboom") {
		t.Fatalf("boom: %v", err)
	}
	if sum, err := pyro.CallT[int](ctx, p, "add", 1, 1); err != nil || sum != 2 {
		t.Fatalf("after panic: %v %v", sum, err)
	}
	// Wrong argument count and types are TypeErrors naming the method.
	if err := p.Call(ctx, "add", nil, 1); !errors.As(err, &re) || re.Class != "builtins.TypeError" || re.Message() != "calc.add() takes 3 positional arguments but 2 were given" {
		t.Fatalf("add(1): %v", err)
	}
	if err := p.Call(ctx, "add", nil, "x", 1); !errors.As(err, &re) || re.Class != "builtins.TypeError" || !strings.Contains(re.Message(), "args[0]") {
		t.Fatalf("add('x',1): %v", err)
	}
	// Unknown methods are refused client-side from the metadata, as Pyro4 does.
	if err := p.Call(ctx, "nope", nil); !errors.Is(err, pyro.ErrNoSuchMethod) {
		t.Fatalf("nope: %v", err)
	}
}

func TestAttributesOnewayBatchStream(t *testing.T) {
	_, c, uri := newCalcDaemon(t)
	ctx := context.Background()
	p := pyrotest.NewProxy(t, uri)

	if err := p.SetAttr(ctx, "scale", 2.5); err != nil {
		t.Fatal(err)
	}
	var scale float64
	if err := p.GetAttr(ctx, "scale", &scale); err != nil || scale != 2.5 {
		t.Fatalf("scale = %v, %v", scale, err)
	}
	_, _, attrs, _ := p.Metadata(ctx)
	if fmt.Sprint(attrs) != "[scale]" {
		t.Errorf("attrs = %v", attrs)
	}

	start := time.Now()
	if err := p.Oneway(ctx, "sleep", 300); err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > 200*time.Millisecond {
		t.Errorf("oneway call waited for the method")
	}

	before := c.calls.Load()
	results, err := p.Batch().Add("add", 1, 2).Add("add", 3, 4).Add("divide", 1, 0).Add("add", 5, 6).Run(ctx)
	var be *pyro.BatchError
	if !errors.As(err, &be) || be.Index != 2 || len(results) != 2 {
		t.Fatalf("batch: %v %v", results, err)
	}
	if c.calls.Load()-before != 2 {
		t.Errorf("batch ran %d adds, want 2 (it must stop at the failure)", c.calls.Load()-before)
	}

	var got []int
	for item, err := range p.Stream(ctx, "count", 5) {
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := pyroToInt(item, &n); err != nil {
			t.Fatal(err)
		}
		got = append(got, n)
	}
	if fmt.Sprint(got) != "[0 1 2 3 4]" {
		t.Errorf("stream = %v", got)
	}
	// Breaking off early closes the remote stream; the proxy stays usable.
	for range p.Stream(ctx, "count", 1000) {
		break
	}
	if sum, err := pyro.CallT[int](ctx, p, "add", 1, 1); err != nil || sum != 2 {
		t.Fatalf("after stream: %v %v", sum, err)
	}
}

func pyroToInt(v any, n *int) error {
	x, ok := v.(int64)
	if !ok {
		return fmt.Errorf("stream item %T", v)
	}
	*n = int(x)
	return nil
}

type counter struct{ n int }

func (c *counter) Incr() int { c.n++; return c.n }

func TestInstanceModes(t *testing.T) {
	ctx := context.Background()
	uris := map[pyro.InstanceMode]pyro.URI{}
	d := pyrotest.NewDaemon(t, pyro.DaemonConfig{})
	for _, m := range []pyro.InstanceMode{pyro.Single, pyro.Session, pyro.PerCall} {
		u, err := d.RegisterFactory(m, func() *counter { return &counter{} }, pyro.WithID("counter."+m.String()))
		if err != nil {
			t.Fatal(err)
		}
		uris[m] = u
	}
	want := map[pyro.InstanceMode][]int{
		pyro.Single:  {1, 2, 3, 4}, // one shared instance
		pyro.Session: {1, 2, 1, 2}, // one per connection
		pyro.PerCall: {1, 1, 1, 1}, // a new one every call
	}
	for mode, u := range uris {
		var got []int
		for range 2 {
			p := pyrotest.NewProxy(t, u)
			for range 2 {
				n, err := pyro.CallT[int](ctx, p, "incr")
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, n)
			}
			p.Close()
		}
		if fmt.Sprint(got) != fmt.Sprint(want[mode]) {
			t.Errorf("%v: got %v, want %v", mode, got, want[mode])
		}
	}
}

func TestDeadlineAndConcurrency(t *testing.T) {
	_, c, uri := newCalcDaemon(t)
	p := pyrotest.NewProxy(t, uri)
	if err := p.Bind(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	// While one call hangs, others on the same proxy go through on other connections.
	errc := make(chan error, 1)
	go func() { errc <- p.Call(ctx, "wait", nil) }()
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				if n, err := pyro.CallT[int](context.Background(), p, "add", i, 1); err != nil || n != i+1 {
					t.Errorf("add: %v %v", n, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := <-errc; !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, pyro.ErrCommunication) {
		t.Fatalf("wait past deadline: %v", err)
	}
	close(c.release)
	if n, err := pyro.CallT[int](context.Background(), p, "add", 1, 1); err != nil || n != 2 {
		t.Fatalf("after timeout: %v %v", n, err)
	}
}

func TestGracefulShutdown(t *testing.T) {
	d, err := pyro.NewDaemon(pyro.DaemonConfig{Host: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := d.Listen()
	if err != nil {
		t.Fatal(err)
	}
	uri, _ := d.Register(&calc{}, pyro.WithID("calc"))
	served := make(chan error, 1)
	go func() { served <- d.Serve(context.Background(), ln) }()
	p := pyrotest.NewProxy(t, uri)
	res := make(chan string, 1)
	go func() {
		s, err := pyro.CallT[string](context.Background(), p, "sleep", 300)
		if err != nil {
			s = err.Error()
		}
		res <- s
	}()
	time.Sleep(100 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := d.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if got := <-res; got != "slept" {
		t.Fatalf("in-flight call during shutdown: %q", got)
	}
	if err := <-served; !errors.Is(err, pyro.ErrDaemonClosed) {
		t.Fatalf("Serve: %v", err)
	}
	if err := p.Call(context.Background(), "add", nil, 1, 2); !errors.Is(err, pyro.ErrCommunication) {
		t.Fatalf("call after shutdown: %v", err)
	}
}

type blocker struct{ started chan struct{} }

func (b *blocker) Block(ctx context.Context) error {
	close(b.started)
	<-ctx.Done()
	return ctx.Err()
}

// TestCloseCancelsCallsInFlight: Close does not wait for a method blocked on its context; the
// method's context is cancelled.
func TestCloseCancelsCallsInFlight(t *testing.T) {
	d, err := pyro.NewDaemon(pyro.DaemonConfig{Host: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := d.Listen()
	if err != nil {
		t.Fatal(err)
	}
	b := &blocker{started: make(chan struct{})}
	uri, _ := d.Register(b)
	go d.Serve(context.Background(), ln)
	p := pyrotest.NewProxy(t, uri)
	errc := make(chan error, 1)
	go func() { errc <- p.Call(context.Background(), "block", nil) }()
	<-b.started
	start := time.Now()
	d.Close()
	if time.Since(start) > time.Second {
		t.Errorf("Close took %v", time.Since(start))
	}
	if err := <-errc; !errors.Is(err, pyro.ErrCommunication) {
		t.Errorf("caller of a call cut by Close: %v", err)
	}
}

type gauge struct{ active, peak atomic.Int64 }

func (g *gauge) Hold(ms int) {
	n := g.active.Add(1)
	for {
		p := g.peak.Load()
		if n <= p || g.peak.CompareAndSwap(p, n) {
			break
		}
	}
	time.Sleep(time.Duration(ms) * time.Millisecond)
	g.active.Add(-1)
}

// TestMaxConns: a proxy limited to 2 connections runs at most 2 calls at once; the other
// callers wait their turn (or give up when their context ends).
func TestMaxConns(t *testing.T) {
	g := &gauge{}
	var uri pyro.URI
	d := pyrotest.NewDaemon(t, pyro.DaemonConfig{})
	uri, _ = d.Register(g)
	p := pyrotest.NewProxy(t, uri, pyro.WithMaxConns(2))
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.Call(context.Background(), "hold", nil, 30); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if peak := g.peak.Load(); peak != 2 {
		t.Errorf("peak concurrent calls %d, want 2", peak)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	hold := make(chan error, 2)
	for range 2 {
		go func() { hold <- p.Call(context.Background(), "hold", nil, 300) }()
	}
	time.Sleep(50 * time.Millisecond)
	if err := p.Call(ctx, "hold", nil, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("third caller with a short deadline: %v", err)
	}
	for range 2 {
		if err := <-hold; err != nil {
			t.Error(err)
		}
	}
}
