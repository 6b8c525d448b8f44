// Package pyrotest provides daemons, proxies and name servers for tests, in the manner of
// net/http/httptest: each is started on loopback and cleaned up when the test ends.
//
//	uri := pyrotest.Serve(t, &Greeter{}, pyro.WithID("greeter"))
//	p := pyrotest.NewProxy(t, uri)
//	got, err := pyro.CallT[string](ctx, p, "hello", "world")
package pyrotest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gopyro/pyro"
)

// ShutdownTimeout is how long a test daemon's cleanup waits for calls in flight before it
// closes their connections and reports the test as failed.
const ShutdownTimeout = 5 * time.Second

// NewDaemon returns a daemon serving on 127.0.0.1 at a free port (cfg.Host, Port and
// UnixSocket, when set, take precedence). When the test ends the daemon is shut down
// gracefully; calls still running after ShutdownTimeout, or Serve ending with anything but
// pyro.ErrDaemonClosed, fail the test.
func NewDaemon(t testing.TB, cfg pyro.DaemonConfig) *pyro.Daemon {
	t.Helper()
	if cfg.Host == "" && cfg.UnixSocket == "" {
		cfg.Host = "127.0.0.1"
	}
	d, err := pyro.NewDaemon(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := d.Listen()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- d.Serve(context.Background(), ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
		defer cancel()
		if err := d.Shutdown(ctx); err != nil {
			t.Errorf("pyrotest: daemon shutdown: %v", err)
		}
		if err := <-done; !errors.Is(err, pyro.ErrDaemonClosed) {
			t.Errorf("pyrotest: Serve returned %v, want ErrDaemonClosed", err)
		}
	})
	return d
}

// Serve registers obj on a new test daemon (see NewDaemon) and returns its URI.
func Serve(t testing.TB, obj any, opts ...pyro.RegisterOption) pyro.URI {
	t.Helper()
	d := NewDaemon(t, pyro.DaemonConfig{})
	uri, err := d.Register(obj, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return uri
}

// NewProxy returns a proxy for uri, closed when the test ends.
func NewProxy(t testing.TB, uri pyro.URI, opts ...pyro.ProxyOption) *pyro.Proxy {
	t.Helper()
	p, err := pyro.NewProxyURI(uri, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}
