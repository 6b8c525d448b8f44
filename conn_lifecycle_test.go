package pyro_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/pyrotest"
)

// annotated reads its callers' annotations and annotates its replies.
type annotated struct {
	saved chan context.Context // Seen's contexts, for a late SetResponseAnnotation
}

// Seen returns the request's custom annotations as text and answers with RESP.
func (a *annotated) Seen(ctx context.Context) (map[string]string, error) {
	ci, ok := pyro.CallInfoFrom(ctx)
	if !ok {
		return nil, errors.New("no CallInfo")
	}
	if err := pyro.SetResponseAnnotation(ctx, "RESP", append([]byte("re:"), ci.Annotations["USER"]...)); err != nil {
		return nil, err
	}
	if a.saved != nil {
		a.saved <- ctx
	}
	return textOf(ci.Annotations), nil
}

// Fail sets an annotation and fails: the reply must not carry it.
func (a *annotated) Fail(ctx context.Context) error {
	if err := pyro.SetResponseAnnotation(ctx, "RESP", []byte("lost")); err != nil {
		return err
	}
	return pyro.NewError("builtins.ValueError", "failed on purpose")
}

// Plain sets no annotation.
func (a *annotated) Plain() string { return "ok" }

// Note is oneway: its annotation has no reply to go to.
func (a *annotated) Note(ctx context.Context) error {
	return pyro.SetResponseAnnotation(ctx, "RESP", []byte("nowhere"))
}

// Refusals says which invalid response annotations SetResponseAnnotation refused.
func (a *annotated) Refusals(ctx context.Context) []string {
	var out []string
	for _, k := range []string{"CORR", "HMAC", "STRM", "BLBI", "abc", "ab\xe9"} {
		if err := pyro.SetResponseAnnotation(ctx, k, nil); errors.Is(err, pyro.ErrInvalidAnnotation) {
			out = append(out, k)
		}
	}
	if err := pyro.SetResponseAnnotation(ctx, "BIGG", make([]byte, pyro.MaxAnnotationsSize)); errors.Is(err, pyro.ErrInvalidAnnotation) {
		out = append(out, "BIGG")
	}
	return out
}

func textOf(a pyro.Annotations) map[string]string {
	m := map[string]string{}
	for k, v := range a {
		m[k] = string(v)
	}
	return m
}

// seenReply is one call of an OnResponseAnnotations hook.
type seenReply struct {
	kind pyro.ResponseKind
	anns map[string]string
}

// TestAnnotationsGoToGo sends annotations from a Go proxy (per proxy and per call, over the
// CONNECT and the calls) and reads the daemon's (handshake hook, method, daemon-wide) back.
func TestAnnotationsGoToGo(t *testing.T) {
	ctx := context.Background()
	var (
		mu        sync.Mutex
		conns     []*pyro.ConnInfo
		dialedArr []net.Addr
		replies   []seenReply
	)
	d := pyrotest.NewDaemon(t, pyro.DaemonConfig{
		Handshake: func(ctx context.Context, data any) (any, error) {
			ci, _ := pyro.ConnInfoFrom(ctx)
			mu.Lock()
			conns = append(conns, ci)
			mu.Unlock()
			if err := pyro.SetResponseAnnotation(ctx, "HSOK", []byte("welcome")); err != nil {
				return nil, err
			}
			return "hello", nil
		},
		ResponseAnnotations: func(ctx context.Context) pyro.Annotations {
			if _, ok := pyro.ConnInfoFrom(ctx); !ok {
				return pyro.Annotations{"DAEM": []byte("no ConnInfo")}
			}
			return pyro.Annotations{"DAEM": []byte("d")}
		},
	})
	obj := &annotated{saved: make(chan context.Context, 1)}
	uri, err := d.Register(obj, pyro.WithOneway("Note"))
	if err != nil {
		t.Fatal(err)
	}
	dialer := func(ctx context.Context, network, addr string) (net.Conn, error) {
		nc, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err == nil {
			mu.Lock()
			dialedArr = append(dialedArr, nc.LocalAddr())
			mu.Unlock()
		}
		return nc, err
	}
	p := pyrotest.NewProxy(t, uri, pyro.WithDialer(dialer), pyro.WithSingleConnection(),
		pyro.WithAnnotationFunc(func(ctx context.Context) pyro.Annotations {
			return pyro.Annotations{"USER": []byte("alice"), "BOTH": []byte("proxy")}
		}),
		pyro.WithResponseAnnotationFunc(func(ctx context.Context, kind pyro.ResponseKind, a pyro.Annotations) {
			mu.Lock()
			replies = append(replies, seenReply{kind, textOf(a)})
			mu.Unlock()
		}))

	var got pyro.Annotations
	// Nested WithAnnotations merge, the innermost winning; a nil set adds nothing.
	cctx := pyro.WithAnnotations(pyro.WithAnnotations(pyro.WithAnnotations(ctx, nil), pyro.Annotations{"CALL": []byte("0")}),
		pyro.Annotations{"BOTH": []byte("call"), "CALL": []byte("1")})
	cctx = pyro.CaptureResponseAnnotations(cctx, &got)
	seen, err := pyro.CallT[map[string]string](cctx, p, "seen")
	if err != nil {
		t.Fatal(err)
	}
	wantSeen := map[string]string{"USER": "alice", "BOTH": "call", "CALL": "1"}
	if !maps.Equal(seen, wantSeen) {
		t.Errorf("the method saw %v, want %v (the call's annotations over the proxy's)", seen, wantSeen)
	}
	// As in Pyro4, what the handshake hook set goes out again with the first result.
	if want := map[string]string{"HSOK": "welcome", "RESP": "re:alice", "DAEM": "d"}; !maps.Equal(textOf(got), want) {
		t.Errorf("captured %v, want %v", textOf(got), want)
	}
	if err := pyro.SetResponseAnnotation(<-obj.saved, "LATE", nil); !errors.Is(err, pyro.ErrNoReply) {
		t.Errorf("SetResponseAnnotation after the reply: %v, want ErrNoReply", err)
	}

	mu.Lock()
	if len(conns) != 1 || len(dialedArr) != 1 {
		t.Fatalf("%d handshakes, %d dials, want 1 of each", len(conns), len(dialedArr))
	}
	ci := conns[0]
	if ci.RemoteAddr.String() != dialedArr[0].String() || ci.LocalAddr.String() != d.Addr().String() {
		t.Errorf("ConnInfo addresses %v → %v, want %v → %v", ci.RemoteAddr, ci.LocalAddr, dialedArr[0], d.Addr())
	}
	if ci.Handshake != "hello" || !maps.Equal(textOf(ci.Annotations), wantSeen) {
		t.Errorf("ConnInfo handshake %v, annotations %v; want hello and the first call's %v", ci.Handshake, textOf(ci.Annotations), wantSeen)
	}
	mu.Unlock()

	// A failing call's reply carries the daemon's annotations only, as Pyro4's does; what the
	// call set goes with the next reply.
	var re *pyro.RemoteError
	if err := p.Call(cctx, "fail", nil); !errors.As(err, &re) || re.Class != "builtins.ValueError" {
		t.Fatalf("fail: %v", err)
	}
	if want := map[string]string{"DAEM": "d"}; !maps.Equal(textOf(got), want) {
		t.Errorf("a failed call captured %v, want %v", textOf(got), want)
	}
	// A oneway call has no reply: the capture is emptied, and setting is harmless.
	if err := p.Call(cctx, "note", nil); err != nil {
		t.Fatal(err)
	}
	if got != nil {
		t.Errorf("a oneway call captured %v, want nil", got)
	}
	refused, err := pyro.CallT[[]string](ctx, p, "refusals")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"CORR", "HMAC", "STRM", "BLBI", "abc", "ab\xe9", "BIGG"}; !slices.Equal(refused, want) {
		t.Errorf("SetResponseAnnotation refused %q, want %q", refused, want)
	}

	mu.Lock()
	defer mu.Unlock()
	want := []seenReply{
		{pyro.ResponseConnect, map[string]string{"HSOK": "welcome", "DAEM": "d"}},
		{pyro.ResponseResult, map[string]string{"HSOK": "welcome", "RESP": "re:alice", "DAEM": "d"}},
		{pyro.ResponseResult, map[string]string{"DAEM": "d"}},
		{pyro.ResponseResult, map[string]string{"RESP": "lost", "DAEM": "d"}},
	}
	if len(replies) != len(want) {
		t.Fatalf("the response hook saw %v, want %v", replies, want)
	}
	for i := range want {
		if replies[i].kind != want[i].kind || !maps.Equal(replies[i].anns, want[i].anns) {
			t.Errorf("reply %d: %v, want %v", i, replies[i], want[i])
		}
	}
}

// TestInvalidAnnotationsAreRefusedBeforeSending: reserved, malformed and oversized keys fail
// the call with ErrInvalidAnnotation (not a communication error), and the proxy stays usable.
func TestInvalidAnnotationsAreRefusedBeforeSending(t *testing.T) {
	ctx := context.Background()
	uri := pyrotest.Serve(t, &annotated{})
	p := pyrotest.NewProxy(t, uri)
	for _, a := range []pyro.Annotations{
		{"CORR": make([]byte, 16)}, {"HMAC": nil}, {"STRM": []byte("x")}, {"BLBI": nil},
		{"abc": nil}, {"abcde": nil}, {"ab\xe9": nil}, {"BIGG": make([]byte, pyro.MaxAnnotationsSize)},
	} {
		err := p.Call(pyro.WithAnnotations(ctx, a), "seen", nil)
		if !errors.Is(err, pyro.ErrInvalidAnnotation) || errors.Is(err, pyro.ErrCommunication) {
			t.Errorf("annotations %q: %v, want ErrInvalidAnnotation", slices.Collect(maps.Keys(a)), err)
		}
		if a.Check() == nil {
			t.Errorf("Check(%q) passed", slices.Collect(maps.Keys(a)))
		}
	}
	if _, err := pyro.CallT[map[string]string](ctx, p, "seen"); err != nil {
		t.Fatalf("the proxy after refused annotations: %v", err)
	}
	if err := (pyro.Annotations{"GOOD": make([]byte, pyro.MaxAnnotationsSize-6)}).Check(); err != nil {
		t.Errorf("annotations of exactly MaxAnnotationsSize: %v", err)
	}
	// A bad annotation function fails the connection's handshake the same way.
	bad := pyrotest.NewProxy(t, uri, pyro.WithAnnotationFunc(func(context.Context) pyro.Annotations {
		return pyro.Annotations{"CORR": nil}
	}))
	if err := bad.Bind(ctx); !errors.Is(err, pyro.ErrInvalidAnnotation) {
		t.Errorf("Bind with a reserved key from the annotation function: %v", err)
	}
	if err := pyro.SetResponseAnnotation(ctx, "GOOD", nil); !errors.Is(err, pyro.ErrNoReply) {
		t.Errorf("SetResponseAnnotation outside a call: %v, want ErrNoReply", err)
	}
}

// TestHandshakeRejection: the reason reaches the client without a class prefix, and a
// rejected connection is not reported to OnDisconnect (it never was a session).
func TestHandshakeRejection(t *testing.T) {
	var disconnects atomic.Int32
	d := pyrotest.NewDaemon(t, pyro.DaemonConfig{
		Handshake: func(ctx context.Context, data any) (any, error) {
			switch data {
			case "pancakes":
				return []string{"how", "are", "you"}, nil
			case "waffles":
				return nil, pyro.NewError("builtins.ValueError", "wrong secret code, connection refused")
			case "panic":
				panic("handshake hook bug")
			}
			return nil, errors.New("no secret given")
		},
		OnDisconnect: func(context.Context) { disconnects.Add(1) },
	})
	uri := d.URIFor(pyro.DaemonObjectID)
	for secret, reason := range map[string]string{
		"waffles": ": wrong secret code, connection refused",
		"":        ": no secret given",
		"panic":   ": handshake failed: internal server error",
	} {
		var cfg pyro.ProxyConfig
		if secret != "" {
			cfg.HandshakeData = secret
		}
		p := pyrotest.NewProxy(t, uri, pyro.WithConfig(cfg))
		err := p.Bind(context.Background())
		if !errors.Is(err, pyro.ErrConnectFailed) || !strings.HasSuffix(err.Error(), "rejected"+reason) {
			t.Errorf("secret %q: %v, want a rejection ending %q", secret, err, "rejected"+reason)
		}
	}
	p := pyrotest.NewProxy(t, uri, pyro.WithConfig(pyro.ProxyConfig{HandshakeData: "pancakes"}))
	if err := p.Call(context.Background(), "ping", nil); err != nil {
		t.Fatal(err)
	}
	p.Close()
	waitFor(t, "one disconnect", func() bool { return disconnects.Load() == 1 })
	time.Sleep(50 * time.Millisecond)
	if n := disconnects.Load(); n != 1 {
		t.Errorf("%d disconnects, want 1: rejected connections are not sessions", n)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestOnDisconnectOncePerConnection: every connection that passed its handshake is reported
// exactly once, with the ConnInfo its handshake saw, whether the client hangs up or the
// daemon shuts down.
func TestOnDisconnectOncePerConnection(t *testing.T) {
	var (
		mu         sync.Mutex
		handshakes = map[*pyro.ConnInfo]bool{}
		gone       = map[*pyro.ConnInfo]int{}
	)
	d := pyrotest.NewDaemon(t, pyro.DaemonConfig{
		Handshake: func(ctx context.Context, data any) (any, error) {
			ci, _ := pyro.ConnInfoFrom(ctx)
			mu.Lock()
			handshakes[ci] = true
			mu.Unlock()
			return "hello", nil
		},
		OnDisconnect: func(ctx context.Context) {
			ci, ok := pyro.ConnInfoFrom(ctx)
			if !ok {
				t.Error("OnDisconnect without ConnInfo")
			}
			mu.Lock()
			gone[ci]++
			mu.Unlock()
		},
	})
	uri, err := d.Register(&annotated{})
	if err != nil {
		t.Fatal(err)
	}
	count := func() (hs, total int) {
		mu.Lock()
		defer mu.Unlock()
		for _, n := range gone {
			total += n
		}
		return len(handshakes), total
	}
	// Five proxies hang up one after the other.
	for range 5 {
		p := pyrotest.NewProxy(t, uri, pyro.WithSingleConnection())
		if _, err := pyro.CallT[map[string]string](context.Background(), p, "seen"); err != nil {
			t.Fatal(err)
		}
		p.Close()
	}
	waitFor(t, "five disconnects", func() bool { _, n := count(); return n == 5 })
	// A pool of connections: each is reported, when the daemon shuts down.
	p := pyrotest.NewProxy(t, uri)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.Call(context.Background(), "seen", nil); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if err := d.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	hs, n := count()
	if hs < 6 || n != hs {
		t.Fatalf("%d handshakes and %d disconnects after shutdown; want them equal (and ≥ 6)", hs, n)
	}
	mu.Lock()
	defer mu.Unlock()
	for ci, times := range gone {
		if times != 1 || !handshakes[ci] {
			t.Errorf("connection from %v: %d disconnects, handshake seen %v", ci.RemoteAddr, times, handshakes[ci])
		}
	}
}

// session is a Session-mode object that knows its user from the annotations of the call
// that made it, and reports when its connection ends.
type session struct {
	user  string
	calls int
}

func (s *session) Whoami() string { s.calls++; return fmt.Sprintf("%s#%d", s.user, s.calls) }

func userOf(ctx context.Context) string {
	ci, ok := pyro.CallInfoFrom(ctx)
	if !ok {
		return "?"
	}
	if _, ok := pyro.ConnInfoFrom(ctx); !ok {
		return "no ConnInfo"
	}
	return string(ci.Annotations["USER"])
}

// TestFactoryContext: a factory taking a context sees the call that asked for the instance,
// and its context lives as long as the instance is served (connection, call, daemon).
func TestFactoryContext(t *testing.T) {
	ctx := context.Background()
	ended := make(chan string, 10)
	d := pyrotest.NewDaemon(t, pyro.DaemonConfig{})
	factory := func(mode string) func(context.Context) *session {
		return func(ctx context.Context) *session {
			s := &session{user: userOf(ctx)}
			context.AfterFunc(ctx, func() { ended <- mode + " " + s.user })
			return s
		}
	}
	sessURI, err := d.RegisterFactory(pyro.Session, factory("session"))
	if err != nil {
		t.Fatal(err)
	}
	perCallURI, err := d.RegisterFactory(pyro.PerCall, factory("percall"))
	if err != nil {
		t.Fatal(err)
	}
	singleURI, err := d.RegisterFactory(pyro.Single, factory("single"))
	if err != nil {
		t.Fatal(err)
	}
	as := func(user string) pyro.ProxyOption {
		return pyro.WithAnnotationFunc(func(context.Context) pyro.Annotations { return pyro.Annotations{"USER": []byte(user)} })
	}
	call := func(p *pyro.Proxy, want string) {
		t.Helper()
		if got, err := pyro.CallT[string](ctx, p, "whoami"); err != nil || got != want {
			t.Errorf("whoami: %q, %v; want %q", got, err, want)
		}
	}
	noneEnded := func(when string) {
		t.Helper()
		select {
		case e := <-ended:
			t.Errorf("%s: %q ended too early", when, e)
		case <-time.After(30 * time.Millisecond):
		}
	}
	alice := pyrotest.NewProxy(t, sessURI, as("alice"), pyro.WithSingleConnection())
	bob := pyrotest.NewProxy(t, sessURI, as("bob"), pyro.WithSingleConnection())
	call(alice, "alice#1")
	call(bob, "bob#1")
	call(alice, "alice#2")
	noneEnded("sessions in use")
	alice.Close()
	if e := <-ended; e != "session alice" {
		t.Errorf("after alice's proxy closed: %q ended", e)
	}
	call(bob, "bob#2")

	pc := pyrotest.NewProxy(t, perCallURI, as("carol"))
	call(pc, "carol#1")
	if e := <-ended; e != "percall carol" {
		t.Errorf("after a percall call: %q ended", e)
	}
	call(pc, "carol#1")
	<-ended

	first := pyrotest.NewProxy(t, singleURI, as("dave"))
	call(first, "dave#1")
	first.Close()
	second := pyrotest.NewProxy(t, singleURI, as("erin"))
	call(second, "dave#2") // made once, for the first caller
	noneEnded("the single instance after its first connection closed")
}

func TestRegisterFactorySignatures(t *testing.T) {
	d, err := pyro.NewDaemon(pyro.DaemonConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, f := range []any{
		func(int) *session { return nil },
		func(context.Context, int) *session { return nil },
		func(...context.Context) *session { return nil },
		func() (*session, error) { return nil, nil },
		func(context.Context) {},
		&session{},
	} {
		if _, err := d.RegisterFactory(pyro.Session, f); err == nil || !strings.Contains(err.Error(), "func(context.Context) T") {
			t.Errorf("RegisterFactory(%T): %v, want a refusal naming both forms", f, err)
		}
	}
	for _, f := range []any{func() *session { return nil }, func(context.Context) *session { return nil }} {
		if _, err := d.RegisterFactory(pyro.Session, f); err != nil {
			t.Errorf("RegisterFactory(%T): %v", f, err)
		}
	}
}

// TestFactoryPanicFailsTheCall: a panicking factory fails the call with a RuntimeError and
// the daemon, and the connection, carry on; a Single factory is asked again next time.
func TestFactoryPanicFailsTheCall(t *testing.T) {
	ctx := context.Background()
	var tries atomic.Int32
	d := pyrotest.NewDaemon(t, pyro.DaemonConfig{})
	uri, err := d.RegisterFactory(pyro.Single, func() *session {
		if tries.Add(1) == 1 {
			panic("first time unlucky")
		}
		return &session{user: "ok"}
	})
	if err != nil {
		t.Fatal(err)
	}
	p := pyrotest.NewProxy(t, uri, pyro.WithSingleConnection())
	var re *pyro.RemoteError
	if err := p.Call(ctx, "whoami", nil); !errors.As(err, &re) || re.Class != "builtins.RuntimeError" || strings.Contains(fmt.Sprint(re.Traceback), "unlucky") {
		t.Fatalf("call whose factory panicked: %v (traceback %q)", err, re.Traceback)
	}
	if got, err := pyro.CallT[string](ctx, p, "whoami"); err != nil || got != "ok#1" {
		t.Fatalf("next call: %q, %v", got, err)
	}
}

// holder is a Session-mode object whose calls take a while, so concurrent callers overlap.
type holder struct{ id int64 }

func (h *holder) Hold() int64 { time.Sleep(20 * time.Millisecond); return h.id }

// TestSessionsAndThePool documents how Session objects meet a Go proxy's pool: one session
// per connection, so concurrent callers on a default proxy meet several instances, and on a
// WithSingleConnection proxy exactly one, as a Pyro4 proxy would.
func TestSessionsAndThePool(t *testing.T) {
	var made atomic.Int64
	d := pyrotest.NewDaemon(t, pyro.DaemonConfig{})
	uri, err := d.RegisterFactory(pyro.Session, func() *holder { return &holder{id: made.Add(1)} })
	if err != nil {
		t.Fatal(err)
	}
	instances := func(p *pyro.Proxy) map[int64]bool {
		var mu sync.Mutex
		seen := map[int64]bool{}
		var wg sync.WaitGroup
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				id, err := pyro.CallT[int64](context.Background(), p, "hold")
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				seen[id] = true
				mu.Unlock()
			}()
		}
		wg.Wait()
		return seen
	}
	if seen := instances(pyrotest.NewProxy(t, uri, pyro.WithSingleConnection())); len(seen) != 1 || made.Load() != 1 {
		t.Errorf("WithSingleConnection: 20 callers met %d instances (%d made), want 1", len(seen), made.Load())
	}
	if seen := instances(pyrotest.NewProxy(t, uri)); len(seen) < 2 {
		t.Errorf("a pooled proxy: 20 overlapping callers met %d instance(s), want several (one per connection)", len(seen))
	}
}
