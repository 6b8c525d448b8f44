package pyrotest

import (
	"context"
	"errors"
	"testing"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/naming"
	"github.com/gopyro/pyro/naming/nameserver"
)

// NewNameServer starts our name server on 127.0.0.1 at a free port (cfg.Daemon's Host, Port
// and UnixSocket, when set, take precedence) and stops it when the test ends, failing the test
// if it does not stop cleanly. A loopback name server runs no broadcast responder.
func NewNameServer(t testing.TB, cfg nameserver.Config) *nameserver.Server {
	t.Helper()
	if cfg.Daemon.Host == "" && cfg.Daemon.UnixSocket == "" {
		cfg.Daemon.Host = "127.0.0.1"
	}
	s, err := nameserver.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(context.Background()) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("pyrotest: name server shutdown: %v", err)
		}
		if err := <-done; !errors.Is(err, pyro.ErrDaemonClosed) {
			t.Errorf("pyrotest: name server Serve returned %v, want ErrDaemonClosed", err)
		}
	})
	return s
}

// NewNameServerClient returns a name server client for the name server at uri (such as
// NewNameServer's URI()), closed when the test ends.
func NewNameServerClient(t testing.TB, uri pyro.URI, opts ...pyro.ProxyOption) *naming.Client {
	t.Helper()
	c, err := naming.NewClientURI(uri, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
