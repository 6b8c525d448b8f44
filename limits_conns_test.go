package pyro_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/internal/pytest"
	"github.com/gopyro/pyro/pyrotest"
)

// TestMaxConnections: a daemon serving its MaxConnections denies one more as Pyro's
// thread-pool server does (CONNECTFAIL "no free workers ..."), to Go, Pyro4 and Pyro5
// clients alike, and takes a new one once a connection has ended.
func TestMaxConnections(t *testing.T) {
	const limit = 3
	d := pyrotest.NewDaemon(t, pyro.DaemonConfig{Limits: pyro.Limits{MaxConnections: limit}})
	uri, err := d.Register(connEcho{}, pyro.WithID("echo"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	held := make([]*pyro.Proxy, limit)
	for i := range held {
		held[i] = pyrotest.NewProxy(t, uri)
		if err := held[i].Bind(ctx); err != nil {
			t.Fatalf("connection %d of %d: %v", i+1, limit, err)
		}
	}
	extra := pyrotest.NewProxy(t, uri)
	err = extra.Bind(ctx)
	if !errors.Is(err, pyro.ErrConnectFailed) || !strings.Contains(err.Error(), "no free workers, increase server threadpool size") {
		t.Fatalf("connection %d: %v, want ErrConnectFailed with Pyro's words", limit+1, err)
	}
	py4 := string(pytest.Run(t, fmt.Sprintf(`
import Pyro4, Pyro4.errors
p = Pyro4.Proxy(%q)
try:
    p._pyroBind()
    print("bound")
except Pyro4.errors.CommunicationError as x:
    print(type(x).__name__, x)
`, uri.String()), nil))
	if !strings.Contains(py4, "CommunicationError") || !strings.Contains(py4, "no free workers") {
		t.Errorf("Pyro4 client at the limit: %q", py4)
	}
	py5 := string(pytest.RunPyro5(t, nil, "-c", fmt.Sprintf(`
import Pyro5.api, Pyro5.errors
p = Pyro5.api.Proxy(%q)
try:
    p._pyroBind()
    print("bound")
except Pyro5.errors.CommunicationError as x:
    print(type(x).__name__, x)
`, uri.String())))
	if !strings.Contains(py5, "CommunicationError") || !strings.Contains(py5, "no free workers") {
		t.Errorf("Pyro5 client at the limit: %q", py5)
	}
	// The connections held still serve; one ending makes room.
	var out string
	if err := held[0].Call(ctx, "echo", &out, "still here"); err != nil || out != "still here" {
		t.Fatalf("held connection: %q, %v", out, err)
	}
	held[0].Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		p := pyrotest.NewProxy(t, uri)
		err := p.Call(ctx, "echo", &out, "room")
		if err == nil {
			break
		}
		if !errors.Is(err, pyro.ErrConnectFailed) || time.Now().After(deadline) {
			t.Fatalf("after a connection ended: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestConnectionFlood: connections beyond MaxConnections that never send a handshake are
// held only up to a small number while they wait for it; the rest are closed at once, and
// the connection served goes on being served.
func TestConnectionFlood(t *testing.T) {
	d := pyrotest.NewDaemon(t, pyro.DaemonConfig{Limits: pyro.Limits{MaxConnections: 1}})
	uri, err := d.Register(connEcho{}, pyro.WithID("echo"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	served := pyrotest.NewProxy(t, uri)
	if err := served.Bind(ctx); err != nil {
		t.Fatal(err)
	}
	const flood = 300
	conns := make([]net.Conn, 0, flood)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range flood {
		c, err := net.Dial("tcp", uri.Location())
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	closed := 0
	for _, c := range conns {
		c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		if _, err := c.Read(make([]byte, 1)); errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || isReset(err) {
			closed++
		}
	}
	// At most 64 wait for their handshake to be denied; the others were closed at once.
	if closed < flood-64 {
		t.Errorf("%d of %d flooding connections closed at once, want at least %d", closed, flood, flood-64)
	}
	var out string
	if err := served.Call(ctx, "echo", &out, "served"); err != nil || out != "served" {
		t.Errorf("the connection served during the flood: %q, %v", out, err)
	}
}

func isReset(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe) && strings.Contains(oe.Err.Error(), "reset")
}

type connEcho struct{}

func (connEcho) Echo(s string) string { return s }
