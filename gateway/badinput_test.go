package gateway_test

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/gateway"
	"github.com/gopyro/pyro/pyrotest"
)

// TestBadInput sends what a gateway must refuse: each a clear 4xx, and a good call after each
// still answers.
func TestBadInput(t *testing.T) {
	ns := startGoNS(t)
	startGoEcho(t, ns)
	base := startGoGateway(t, ns, gateway.Config{Expose: `test\.`, GatewayKey: "k", MaxBodyBytes: 1024})
	key := map[string]string{"X-Pyro-Gateway-Key": "k"}
	jsonKey := map[string]string{"X-Pyro-Gateway-Key": "k", "Content-Type": "application/json"}
	cases := []struct {
		name, method, path string
		header             map[string]string
		body               string
		status             int
		says               string
	}{
		{"malformed JSON", "POST", "pyro/test.echoserver/echo", jsonKey, `{"message": [1, 2`, 400, "malformed JSON"},
		{"JSON neither array nor object", "POST", "pyro/test.echoserver/echo", jsonKey, `"just a string"`, 400, "must be an array"},
		{"unknown name", "GET", "pyro/test.nobody/echo", key, "", 404, `"unknown name: test.nobody"`},
		{"name outside --expose", "GET", "pyro/Pyro.NameServer/list", key, "", 403, "access to the requested object has been denied"},
		{"listing outside --expose", "GET", "api/names?prefix=Pyro", key, "", 200, `"entries": []`},
		{"huge body", "POST", "pyro/test.echoserver/echo", jsonKey, `["` + strings.Repeat("x", 100_000) + `"]`, 413, "limited to 1024 bytes"},
		{"wrong gateway key", "GET", "pyro/test.echoserver/echo?message=1", map[string]string{"X-Pyro-Gateway-Key": "nope"}, "", 403, "incorrect gateway api key"},
		{"no gateway key", "GET", "pyro/test.echoserver/echo?message=1", nil, "", 403, "incorrect gateway api key"},
		{"no gateway key for the listing", "GET", "api/names", nil, "", 403, "incorrect gateway api key"},
		{"bad listing regex", "GET", "api/names?regex=(", key, "", 400, "regex"},
		{"malformed correlation id", "GET", "pyro/test.echoserver/echo?message=1", map[string]string{"X-Pyro-Gateway-Key": "k", "X-Pyro-Correlation-Id": "xyz"}, "", 400, "badly formed hexadecimal UUID string"},
		{"a generator", "GET", "pyro/test.echoserver/generator", key, "", 500, "item stream"},
		{"no method", "GET", "pyro/test.echoserver/", key, "", 404, "Not Found"},
		{"method not allowed", "DELETE", "pyro/test.echoserver/echo", key, "", 405, "Method Not Allowed"},
	}
	for _, c := range cases {
		a := do(t, c.method, base+c.path, c.header, c.body)
		if a.status != c.status || !strings.Contains(a.body, c.says) {
			t.Errorf("%s: got %d %q, want %d saying %q", c.name, a.status, a.body, c.status, c.says)
		}
		if a.status >= 400 && a.status < 500 && strings.Contains(a.body, ".go:") {
			t.Errorf("%s: the answer shows Go internals: %s", c.name, a.body)
		}
		if ok := do(t, "GET", base+"pyro/test.echoserver/echo?message=still+here", key, ""); ok.status != 200 || ok.body != `"still here"` {
			t.Fatalf("after %s: the gateway answered %d %s", c.name, ok.status, ok.body)
		}
	}
}

// TestJSONBody passes typed arguments in a POST body, positional and by keyword.
func TestJSONBody(t *testing.T) {
	ns := startGoNS(t)
	startGoEcho(t, ns)
	base := startGoGateway(t, ns, gateway.Config{Expose: `test\.`})
	h := map[string]string{"Content-Type": "application/json"}
	for body, want := range map[string]string{
		`[{"a": [1, 2.5, null, true], "é": "ü"}]`:   `{"a": [1, 2.5, null, true], "é": "ü"}`,
		`{"message": [1, 12345678901234567890123]}`: `[1, 12345678901234567890123]`,
	} {
		a := do(t, "POST", base+"pyro/test.echoserver/echo", h, body)
		if a.status != 200 || a.body != want {
			t.Errorf("POST %s: got %d %s, want 200 %s", body, a.status, a.body, want)
		}
	}
	// A form body, as Pyro4's gateway reads it.
	a := do(t, "POST", base+"pyro/test.echoserver/echo", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, "message=from+a+form")
	if a.status != 200 || a.body != `"from a form"` {
		t.Errorf("form POST: got %d %s", a.status, a.body)
	}
}

// blocker's Block waits for its context to end, which the daemon does when its client hangs up.
type blocker struct {
	once               sync.Once
	started, cancelled chan struct{}
}

// Block returns when the call is abandoned (or after a minute).
func (b *blocker) Block(ctx context.Context) string {
	b.started <- struct{}{}
	select {
	case <-ctx.Done():
		b.once.Do(func() { close(b.cancelled) })
		return "cancelled"
	case <-time.After(time.Minute):
		return "nobody cancelled"
	}
}

// TestLimitsAndCancellation: calls beyond MaxInFlight get 503, and when the HTTP client of a
// call goes away, the gateway abandons the call (the daemon's method sees its context end) and
// frees its place.
func TestLimitsAndCancellation(t *testing.T) {
	ns := startGoNS(t)
	d := pyrotest.NewDaemon(t, pyro.DaemonConfig{})
	b := &blocker{started: make(chan struct{}, 1), cancelled: make(chan struct{})}
	uri, err := d.Register(b, pyro.WithID("test.blocker"))
	if err != nil {
		t.Fatal(err)
	}
	register(t, ns, "test.blocker", uri, nil)
	startGoEcho(t, ns)
	base := startGoGateway(t, ns, gateway.Config{Expose: `test\.`, MaxInFlight: 1})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	answered := make(chan error, 1)
	go func() { // the blocking call, retried until it has the place (the probes below may take it)
		for {
			req, _ := http.NewRequestWithContext(ctx, "GET", base+"pyro/test.blocker/block", nil)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				answered <- err
				return
			}
			res.Body.Close()
			if res.StatusCode != http.StatusServiceUnavailable {
				answered <- nil
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	select {
	case <-b.started:
	case <-time.After(30 * time.Second):
		t.Fatal("the blocking call never reached the daemon")
	}
	a := get(t, base+"pyro/test.echoserver/echo?message=1")
	if a.status != http.StatusServiceUnavailable || a.header.Get("Retry-After") == "" || !strings.Contains(a.body, "too many calls in flight") {
		t.Errorf("a call beyond MaxInFlight: %d %v %s, want 503 with Retry-After", a.status, a.header, a.body)
	}
	cancel()
	if err := <-answered; err == nil {
		t.Fatal("the blocking call was answered before its client went away")
	}
	select {
	case <-b.cancelled:
	case <-time.After(30 * time.Second):
		t.Fatal("the daemon's method never saw its call abandoned")
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		a := get(t, base+"pyro/test.echoserver/echo?message=1")
		if a.status == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the place of an abandoned call was not freed: %d %s", a.status, a.body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestNoNameServer: with no name server where it is said to be, a call is a 500 NamingError
// as in Pyro5's gateway, quickly, and the gateway keeps answering.
func TestNoNameServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close() // nothing listens there now
	base := startGoGateway(t, nsAddr{"127.0.0.1", port}, gateway.Config{Expose: `test\.`})
	for range 3 {
		a := get(t, base+"pyro/test.echoserver/echo?message=1")
		want := `{"__class__": "Pyro5.errors.NamingError", "__exception__": true, "args": ["failed to locate the nameserver"], "attributes": {}}`
		if a.status != 500 || a.body != want {
			t.Fatalf("without a name server: %d %s", a.status, a.body)
		}
	}
	if a := get(t, base+"api/names"); a.status != 500 || !strings.Contains(a.body, "NamingError") {
		t.Errorf("listing without a name server: %d %s", a.status, a.body)
	}
}
