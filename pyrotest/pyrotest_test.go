package pyrotest_test

import (
	"context"
	"testing"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/naming"
	"github.com/gopyro/pyro/naming/nameserver"
	"github.com/gopyro/pyro/pyrotest"
)

type greeter struct{}

func (greeter) Hello(name string) string { return "hello " + name }

// A test serves an object, registers it in a name server and calls it by name: everything
// it starts stops when the test ends.
func TestServeRegisterAndCallByName(t *testing.T) {
	ctx := context.Background()
	uri := pyrotest.Serve(t, greeter{}, pyro.WithID("greeter"))
	ns := pyrotest.NewNameServer(t, nameserver.Config{})
	nsc := pyrotest.NewNameServerClient(t, ns.URI())
	if err := nsc.Register(ctx, "example.greeter", uri, naming.RegisterOptions{}); err != nil {
		t.Fatal(err)
	}
	byName, _ := pyro.ParseURI("PYRONAME:example.greeter@" + ns.URI().Location())
	p := pyrotest.NewProxy(t, byName)
	if s, err := pyro.CallT[string](ctx, p, "hello", "test"); err != nil || s != "hello test" {
		t.Fatalf("%q %v", s, err)
	}
	if u, _ := p.ResolvedURI(ctx); u != uri {
		t.Fatalf("resolved %s, want %s", u, uri)
	}
}

// A daemon configured by the test keeps its settings (here a unix socket and an HMAC key).
func TestNewDaemonKeepsTheConfiguration(t *testing.T) {
	key := []byte("secret")
	d := pyrotest.NewDaemon(t, pyro.DaemonConfig{UnixSocket: t.TempDir() + "/d.sock", Transport: pyro.Transport{HMACKey: key}})
	uri, _ := d.Register(greeter{})
	if uri.SockPath == "" {
		t.Fatalf("uri %s is not on the unix socket", uri)
	}
	p := pyrotest.NewProxy(t, uri, pyro.WithHMACKey(key))
	if s, err := pyro.CallT[string](context.Background(), p, "hello", "unix"); err != nil || s != "hello unix" {
		t.Fatalf("%q %v", s, err)
	}
}
