package naming_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/echoserver"
	"github.com/gopyro/pyro/internal/pytest"
	"github.com/gopyro/pyro/naming"
	"github.com/gopyro/pyro/naming/nameserver"
	"github.com/gopyro/pyro/pyrotest"
)

// startNS runs our name server on a free loopback port. Only this test binary links it; the
// naming package itself does not (see TestClientLinksNoServer).
func startNS(t testing.TB) pyro.URI {
	t.Helper()
	return pyrotest.NewNameServer(t, nameserver.Config{}).URI()
}

func client(t testing.TB, uri pyro.URI) *naming.Client {
	return pyrotest.NewNameServerClient(t, uri)
}

// startEcho serves our echo server, for PYRONAME/PYROMETA proxies to reach.
func startEcho(t testing.TB) pyro.URI {
	t.Helper()
	uri, err := echoserver.New(io.Discard).Register(pyrotest.NewDaemon(t, pyro.DaemonConfig{}))
	if err != nil {
		t.Fatal(err)
	}
	return uri
}

// TestGoClientAgainstPythonNameServer uses our client and PYRONAME/PYROMETA proxies with pyro4-ns.
func TestGoClientAgainstPythonNameServer(t *testing.T) {
	for _, which := range []string{"pyro4-ns", "ours"} {
		t.Run(which, func(t *testing.T) {
			var nsURI pyro.URI
			if which == "pyro4-ns" {
				nsURI, _ = pyro.ParseURI(pytest.StartNameServer(t))
			} else {
				nsURI = startNS(t)
			}
			exerciseClient(t, nsURI)
		})
	}
}

func exerciseClient(t *testing.T, nsURI pyro.URI) {
	ctx := context.Background()
	c := client(t, nsURI)
	echo := startEcho(t)
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Register(ctx, "go.echo", echo, naming.RegisterOptions{Metadata: []string{"echo", "go"}}); err != nil {
		t.Fatal(err)
	}
	if err := c.Register(ctx, "go.echo", echo, naming.RegisterOptions{Safe: true}); !errors.Is(err, pyro.ErrNaming) {
		t.Fatalf("safe re-register: %v", err)
	}
	u, meta, err := c.LookupWithMetadata(ctx, "go.echo")
	if err != nil || !u.Equal(echo) || fmt.Sprint(meta) != "[echo go]" {
		t.Fatalf("lookup: %v %v %v", u, meta, err)
	}
	if _, err := c.Lookup(ctx, "missing"); !errors.Is(err, pyro.ErrNaming) {
		t.Fatalf("lookup missing: %v", err)
	}
	self, err := c.Lookup(ctx, pyro.NameServerObjectID)
	if err != nil || self.Object != pyro.NameServerObjectID {
		t.Fatalf("self lookup: %v %v", self, err)
	}
	for _, f := range []naming.Filter{{Prefix: "go."}, {Regex: `go\.e`}, {MetadataAll: []string{"echo", "go"}}, {MetadataAny: []string{"x", "go"}}} {
		l, err := c.List(ctx, f)
		if err != nil || len(l) != 1 || l["go.echo"] != echo.String() {
			t.Errorf("list %+v: %v %v", f, l, err)
		}
	}
	entries, err := c.ListWithMetadata(ctx, naming.Filter{})
	if err != nil || len(entries) != 2 || entries[0].Name != "Pyro.NameServer" || fmt.Sprint(entries[1].Metadata) != "[echo go]" {
		t.Fatalf("list with metadata: %+v %v", entries, err)
	}
	// Entries come in the name server's order, registration order, not sorted.
	for _, name := range []string{"order.z", "order.a", "order.m"} {
		if err := c.Register(ctx, name, echo, naming.RegisterOptions{Metadata: []string{"order"}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []naming.Filter{{Prefix: "order."}, {MetadataAll: []string{"order"}}} {
		entries, err := c.ListWithMetadata(ctx, f)
		var got []string
		for _, e := range entries {
			got = append(got, e.Name)
		}
		if err != nil || fmt.Sprint(got) != "[order.z order.a order.m]" {
			t.Errorf("list %+v with metadata: %q %v, want registration order", f, got, err)
		}
	}
	if n, err := c.RemovePrefix(ctx, "order."); err != nil || n != 3 {
		t.Fatalf("remove order.*: %v %v", n, err)
	}
	if _, err := c.List(ctx, naming.Filter{Regex: "(unclosed"}); !errors.Is(err, pyro.ErrNaming) {
		t.Errorf("bad regex: %v", err)
	}
	// PYRONAME and PYROMETA proxies resolve through this name server.
	for _, uri := range []string{
		fmt.Sprintf("PYRONAME:go.echo@%s", nsURI.Location()),
		fmt.Sprintf("PYROMETA:echo,go@%s", nsURI.Location()),
	} {
		p, err := pyro.NewProxy(uri)
		if err != nil {
			t.Fatal(err)
		}
		if s, err := pyro.CallT[string](ctx, p, "echo", "resolved"); err != nil || s != "resolved" {
			t.Errorf("%s: %q %v", uri, s, err)
		}
		if r, _ := p.ResolvedURI(ctx); !r.Equal(echo) {
			t.Errorf("%s resolved to %v", uri, r)
		}
		p.Close()
	}
	if err := c.SetMetadata(ctx, "go.echo", []string{"new"}); err != nil {
		t.Fatal(err)
	}
	if l, _ := c.List(ctx, naming.Filter{MetadataAny: []string{"go"}}); len(l) != 0 {
		t.Errorf("after set_metadata: %v", l)
	}
	if n, err := c.RemovePrefix(ctx, "go."); err != nil || n != 1 {
		t.Errorf("remove prefix: %v %v", n, err)
	}
	if n, err := c.RemoveRegex(ctx, ".*"); err != nil || n != 0 {
		t.Errorf("remove regex: %v %v (the name server's own entry must stay)", n, err)
	}
	if n, err := c.Count(ctx); err != nil || n != 1 {
		t.Errorf("count: %v %v", n, err)
	}
}
