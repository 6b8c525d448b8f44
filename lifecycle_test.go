package pyro_test

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/pyrotest"
)

// ctxBlocker's method waits for its context, then returns the context's error: the kind of
// method that, if cancelled before its connection closed, would reply "context canceled".
type ctxBlocker struct{ started *sync.WaitGroup }

func (b *ctxBlocker) Block(ctx context.Context) error {
	b.started.Done()
	<-ctx.Done()
	return ctx.Err()
}

// TestForcedShutdownClosesBeforeCancelling: Close cuts 16 calls blocked on their contexts,
// round after round; every caller sees a communication error, never a remote exception
// carrying the cancellation, because connections close before call contexts are cancelled.
func TestForcedShutdownClosesBeforeCancelling(t *testing.T) {
	const calls, rounds = 16, 25
	ctx := context.Background()
	for round := range rounds {
		d, err := pyro.NewDaemon(pyro.DaemonConfig{Host: "127.0.0.1"})
		if err != nil {
			t.Fatal(err)
		}
		ln, err := d.Listen()
		if err != nil {
			t.Fatal(err)
		}
		served := make(chan error, 1)
		go func() { served <- d.Serve(ctx, ln) }()
		var started sync.WaitGroup
		started.Add(calls)
		uri, _ := d.Register(&ctxBlocker{started: &started})
		p, _ := pyro.NewProxyURI(uri)
		errs := make(chan error, calls)
		for range calls {
			go func() { errs <- p.Call(ctx, "block", nil) }()
		}
		started.Wait()
		if err := d.Close(); err != nil {
			t.Fatalf("round %d: Close: %v", round, err)
		}
		for range calls {
			err := <-errs
			var re *pyro.RemoteError
			if errors.As(err, &re) || !errors.Is(err, pyro.ErrCommunication) {
				t.Fatalf("round %d: a caller cut by Close got %v (%T), want ErrCommunication", round, err, err)
			}
		}
		if err := <-served; !errors.Is(err, pyro.ErrDaemonClosed) {
			t.Fatalf("round %d: Serve returned %v", round, err)
		}
		p.Close()
	}
}

// TestProxyCloseWakesSlotWaiters: a caller waiting for a free connection slot is released by
// Close with ErrProxyClosed instead of waiting for its context.
func TestProxyCloseWakesSlotWaiters(t *testing.T) {
	g := &gate{started: make(chan struct{}, 2), release: make(chan struct{})}
	d := pyrotest.NewDaemon(t, pyro.DaemonConfig{})
	uri, _ := d.Register(g)
	p, _ := pyro.NewProxyURI(uri, pyro.WithMaxConns(1))
	first := make(chan error, 1)
	go func() { first <- p.Call(context.Background(), "wait", nil) }()
	<-g.started
	waiting := make(chan error, 1)
	go func() { waiting <- p.Call(context.Background(), "wait", nil) }()
	time.Sleep(50 * time.Millisecond) // let it queue for the slot
	p.Close()
	select {
	case err := <-waiting:
		if !errors.Is(err, pyro.ErrProxyClosed) {
			t.Fatalf("waiting caller: %v, want ErrProxyClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not wake the caller waiting for a connection")
	}
	close(g.release)
	if err := <-first; err != nil {
		t.Fatalf("the call in flight during Close: %v", err)
	}
}

// gate's Wait blocks until release is closed.
type gate struct{ started, release chan struct{} }

func (g *gate) Wait() {
	g.started <- struct{}{}
	<-g.release
}

// TestZeroConfigIsDefaultConfig: NewDaemon(DaemonConfig{}) accepts every serializer, answers
// the handshake and serves on localhost; a zero ProxyConfig speaks serpent.
func TestZeroConfigIsDefaultConfig(t *testing.T) {
	d, err := pyro.NewDaemon(pyro.DaemonConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Location(); got != "localhost:0" {
		t.Errorf("location before listening: %q", got)
	}
	ln, err := d.Listen()
	if err != nil {
		t.Fatal(err)
	}
	go d.Serve(context.Background(), ln)
	defer d.Close()
	uri, _ := d.Register(&Greeter{})
	if uri.Host != "localhost" || uri.Port != ln.Addr().(*net.TCPAddr).Port {
		t.Errorf("uri %s does not match the listener %s", uri, ln.Addr())
	}
	for _, ser := range serializers {
		p := pyrotest.NewProxy(t, uri, pyro.WithSerializer(ser))
		if s, err := pyro.CallT[string](context.Background(), p, "hello", ser); err != nil || s != "hello "+ser {
			t.Errorf("%s: %q %v", ser, s, err)
		}
	}
	if got := pyrotest.NewProxy(t, uri).Config(); got.Serializer != "serpent" || got.MaxConns != pyro.DefaultMaxConns || got.NSPort != 9090 {
		t.Errorf("zero proxy config: %+v", got)
	}
}

// TestServeTakesURIsFromTheListener: with no Host configured, URIs carry the address of the
// caller's listener; NATHost/NATPort replace it.
func TestServeTakesURIsFromTheListener(t *testing.T) {
	for _, tc := range []struct {
		cfg      pyro.DaemonConfig
		wantHost string
		natPort  int
	}{
		{pyro.DaemonConfig{}, "127.0.0.1", 0},
		{pyro.DaemonConfig{Host: "my.host"}, "my.host", 0},
		{pyro.DaemonConfig{NATHost: "public.example", NATPort: 4444}, "public.example", 4444},
	} {
		d, _ := pyro.NewDaemon(tc.cfg)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Attach(ln); err != nil {
			t.Fatal(err)
		}
		go d.Serve(context.Background(), ln)
		u := d.URIFor("x")
		wantPort := ln.Addr().(*net.TCPAddr).Port
		if tc.natPort != 0 {
			wantPort = tc.natPort
		}
		if u.Host != tc.wantHost || u.Port != wantPort {
			t.Errorf("%+v: uri %s, want host %s port %d", tc.cfg, u, tc.wantHost, wantPort)
		}
		d.Close()
	}
}

// TestServeConnOverAUnixSocketpair: ServeConn serves a connection the daemon did not accept.
func TestServeConnOverAUnixSocketpair(t *testing.T) {
	d, _ := pyro.NewDaemon(pyro.DaemonConfig{})
	uri, _ := d.Register(&Greeter{}, pyro.WithID("greeter"))
	server, client := net.Pipe()
	done := make(chan error, 1)
	go func() { done <- d.ServeConn(context.Background(), server) }()
	p, _ := pyro.NewProxyURI(uri, pyro.WithMaxConns(1), pyro.WithDialer(func(context.Context, string, string) (net.Conn, error) {
		return client, nil
	}))
	if s, err := pyro.CallT[string](context.Background(), p, "hello", "pipe"); err != nil || s != "hello pipe" {
		t.Fatalf("%q %v", s, err)
	}
	p.Close() // closes the client end: ServeConn returns nil
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("ServeConn after the client hung up: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ServeConn did not return after the client hung up")
	}
	d.Close()
	if err := d.ServeConn(context.Background(), server); !errors.Is(err, pyro.ErrDaemonClosed) {
		t.Fatalf("ServeConn after Close: %v", err)
	}
}

// TestEnvironmentOnlyWhenAsked: a malformed PYRO_* variable does not affect proxies and
// daemons made without the environment, and ConfigFromEnv names it.
func TestEnvironmentOnlyWhenAsked(t *testing.T) {
	t.Setenv("PYRO_COMMTIMEOUT", "soon")
	t.Setenv("PYRO_SERIALIZER", "json")
	uri := pyrotest.Serve(t, &Greeter{})
	p := pyrotest.NewProxy(t, uri)
	if s, err := pyro.CallT[string](context.Background(), p, "hello", "env"); err != nil || s != "hello env" {
		t.Fatalf("%q %v", s, err)
	}
	if p.Config().Serializer != "serpent" {
		t.Errorf("proxy read PYRO_SERIALIZER without being asked: %s", p.Config().Serializer)
	}
	if _, err := pyro.ProxyConfigFromEnv(); err == nil || !strings.Contains(err.Error(), "PYRO_COMMTIMEOUT") {
		t.Errorf("ProxyConfigFromEnv with a malformed PYRO_COMMTIMEOUT: %v", err)
	}
	t.Setenv("PYRO_COMMTIMEOUT", "2.5")
	t.Setenv("PYRO_ITER_STREAM_LINGER", "0")
	pc, err := pyro.ProxyConfigFromEnv()
	if err != nil || pc.Serializer != "json" || pc.CommTimeout != 2500*time.Millisecond {
		t.Errorf("ProxyConfigFromEnv: %+v %v", pc, err)
	}
	dc, err := pyro.DaemonConfigFromEnv()
	if err != nil || dc.CommTimeout != 2500*time.Millisecond || dc.StreamLinger >= 0 {
		t.Errorf("DaemonConfigFromEnv: linger %v timeout %v %v (PYRO_ITER_STREAM_LINGER=0 must mean none)", dc.StreamLinger, dc.CommTimeout, err)
	}
}

// secretive has a method outside the interface it is registered as.
type secretive struct{ Greeter }

func (secretive) Shutdown() string { return "should not be reachable" }

// TestRegisterAsPublishesOnlyTheInterface: methods outside I are neither listed nor callable.
func TestRegisterAsPublishesOnlyTheInterface(t *testing.T) {
	d := pyrotest.NewDaemon(t, pyro.DaemonConfig{})
	uri, err := pyro.RegisterAs[GreeterAPI](d, secretive{})
	if err != nil {
		t.Fatal(err)
	}
	p := pyrotest.NewProxy(t, uri)
	methods, _, _, err := p.Metadata(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(methods, ",") != "countdown,divide,hello" {
		t.Errorf("published methods: %v", methods)
	}
	if err := p.Call(context.Background(), "shutdown", nil); !errors.Is(err, pyro.ErrNoSuchMethod) {
		t.Errorf("calling a method outside the interface: %v", err)
	}
	// The daemon refuses it too, for a client that skips the metadata check (a batch does).
	_, err = p.Batch().Add("Shutdown").Run(context.Background())
	var re *pyro.RemoteError
	if !errors.As(err, &re) || re.Class != "builtins.AttributeError" {
		t.Errorf("a batch calling a method outside the interface: %v", err)
	}
	if _, err := d.Register(Greeter{}, pyro.WithInterface[interface{ Missing() }]()); err == nil {
		t.Error("registering a type that lacks the interface's methods succeeded")
	}
}

// neverYields streams from a channel that never delivers.
type neverYields struct{}

func (neverYields) Items() <-chan int { return make(chan int) }

// TestCloseWithAPullerBlockedInAStream: Close returns although a client is waiting for an item
// that never comes, and the waiting client sees its connection closed.
func TestCloseWithAPullerBlockedInAStream(t *testing.T) {
	d, _ := pyro.NewDaemon(pyro.DaemonConfig{Host: "127.0.0.1"})
	ln, _ := d.Listen()
	go d.Serve(context.Background(), ln)
	uri, _ := d.Register(neverYields{})
	p := pyrotest.NewProxy(t, uri)
	pulled := make(chan error, 1)
	go func() {
		for _, err := range p.Stream(context.Background(), "items") {
			pulled <- err
			return
		}
		pulled <- nil
	}()
	time.Sleep(200 * time.Millisecond) // the client is now waiting for the first item
	closed := make(chan error, 1)
	go func() { closed <- d.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return while a client waited on a stream")
	}
	if err := <-pulled; !errors.Is(err, pyro.ErrCommunication) {
		t.Fatalf("the waiting client got %v", err)
	}
}

// slowWork takes a while, then records that it finished.
type slowWork struct{ finished chan struct{} }

func (s *slowWork) Work() string {
	time.Sleep(300 * time.Millisecond)
	close(s.finished)
	return "done"
}

// TestServeWaitsForTheShutdownItsContextStarts: when Serve's context ends, Serve returns only
// after the calls in flight have finished and been answered.
func TestServeWaitsForTheShutdownItsContextStarts(t *testing.T) {
	d, _ := pyro.NewDaemon(pyro.DaemonConfig{Host: "127.0.0.1"})
	ln, _ := d.Listen()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- d.Serve(ctx, ln) }()
	w := &slowWork{finished: make(chan struct{})}
	uri, _ := d.Register(w)
	p := pyrotest.NewProxy(t, uri)
	answer := make(chan string, 1)
	go func() { s, _ := pyro.CallT[string](context.Background(), p, "work"); answer <- s }()
	time.Sleep(100 * time.Millisecond)
	cancel()
	if err := <-served; !errors.Is(err, context.Canceled) {
		t.Fatalf("Serve: %v", err)
	}
	select {
	case <-w.finished:
	default:
		t.Fatal("Serve returned while a call was still running")
	}
	if s := <-answer; s != "done" {
		t.Fatalf("the call in flight got %q", s)
	}
}

// TestDaemonOwnsListenersFromListen: a listener from Listen closes with the daemon even if it
// was never served, and Listen after Close refuses.
func TestDaemonOwnsListenersFromListen(t *testing.T) {
	d, _ := pyro.NewDaemon(pyro.DaemonConfig{Host: "127.0.0.1"})
	ln, err := d.Listen()
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		c.Close()
		t.Fatal("the listener from Listen still accepts after Close")
	}
	if _, err := d.Listen(); !errors.Is(err, pyro.ErrDaemonClosed) {
		t.Fatalf("Listen after Close: %v", err)
	}
}

// TestServeConnSaysWhyItEnded: ServeConn returns ctx's error when its context closed the
// connection, and a protocol error when the client sent garbage.
func TestServeConnSaysWhyItEnded(t *testing.T) {
	d, _ := pyro.NewDaemon(pyro.DaemonConfig{})
	defer d.Close()
	uri, _ := d.Register(&Greeter{}, pyro.WithID("g"))
	server, client := net.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.ServeConn(ctx, server) }()
	p, _ := pyro.NewProxyURI(uri, pyro.WithMaxConns(1), pyro.WithDialer(func(context.Context, string, string) (net.Conn, error) { return client, nil }))
	defer p.Close()
	if _, err := pyro.CallT[string](context.Background(), p, "hello", "x"); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("ServeConn after its ctx was cancelled: %v", err)
	}

	server, client = net.Pipe()
	go func() { done <- d.ServeConn(context.Background(), server) }()
	client.Write([]byte("GET / HTTP/1.0\r\n\r\n-- not a Pyro frame, but long enough for a header --"))
	io.Copy(io.Discard, client) // the daemon may answer CONNECTFAIL before it hangs up
	if err := <-done; !errors.Is(err, pyro.ErrCommunication) {
		t.Fatalf("ServeConn after garbage: %v", err)
	}
}

// TestWildcardListenerAdvertisesDefaultHost: a listener on all interfaces gives URIs the
// default host, not "::" where nobody can connect.
func TestWildcardListenerAdvertisesDefaultHost(t *testing.T) {
	d, _ := pyro.NewDaemon(pyro.DaemonConfig{})
	defer d.Close()
	ln, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	d.Attach(ln)
	if u := d.URIFor("x"); u.Host != pyro.DefaultHost {
		t.Fatalf("uri %s", u)
	}
}

type child struct{}

func (*child) Name() string { return "child" }

type parent struct{ c *child }

func (p *parent) Child() *child { return p.c }

// TestAutoproxyFromAJSONOnlyDaemon: a proxy the daemon hands out does not pin a serializer
// (Pyro4 sends None), so the received proxy talks as the proxy that received it: json here.
func TestAutoproxyFromAJSONOnlyDaemon(t *testing.T) {
	d := pyrotest.NewDaemon(t, pyro.DaemonConfig{SerializersAccepted: []string{"json"}})
	c := &child{}
	d.Register(c)
	uri, _ := d.Register(&parent{c: c})
	p := pyrotest.NewProxy(t, uri, pyro.WithSerializer("json"))
	var cp *pyro.Proxy
	if err := p.Call(context.Background(), "child", &cp); err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	if s, err := pyro.CallT[string](context.Background(), cp, "name"); err != nil || s != "child" {
		t.Fatalf("calling the autoproxy: %q %v", s, err)
	}
}

// hangupWatcher reports when its call's context ends.
type hangupWatcher struct{ ended chan error }

func (h *hangupWatcher) Wait(ctx context.Context) error {
	select {
	case <-ctx.Done():
		h.ended <- context.Cause(ctx)
	case <-time.After(10 * time.Second):
		h.ended <- nil
	}
	return nil
}

// TestCallContextEndsWhenTheClientHangsUp: a client that gives up on a call closes its
// connection; the method's context is cancelled at once, with ErrConnectionClosed as cause,
// and the daemon goes on serving.
func TestCallContextEndsWhenTheClientHangsUp(t *testing.T) {
	h := &hangupWatcher{ended: make(chan error, 1)}
	uri := pyrotest.Serve(t, h)
	p := pyrotest.NewProxy(t, uri)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := p.Call(ctx, "wait", nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("the caller: %v", err)
	}
	select {
	case cause := <-h.ended:
		if !errors.Is(cause, pyro.ErrConnectionClosed) {
			t.Fatalf("the method's context ended with %v", cause)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the method's context was not cancelled after the client hung up")
	}
	// Calls that finish normally end their watch and leave the one connection usable.
	one := pyrotest.NewProxy(t, uri, pyro.WithMaxConns(1))
	for i := range 20 {
		if s, err := pyro.CallT[string](context.Background(), one, "quick", "x"); err != nil || s != "x" {
			t.Fatalf("call %d: %q %v", i, s, err)
		}
	}
}

func (h *hangupWatcher) Quick(ctx context.Context, s string) string { return s }
