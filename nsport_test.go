package pyro_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/internal/pytest"
	"github.com/gopyro/pyro/naming"
	"github.com/gopyro/pyro/naming/nameserver"
	"github.com/gopyro/pyro/pyrotest"
)

type nsPortEcho struct{}

func (nsPortEcho) Echo(s string) string { return s }

// TestMagicURIWithoutPortUsesNSPort runs a name server on a port other than 9090 and resolves
// PYRONAME and PYROMETA URIs that name its host but no port: they reach it through
// ProxyConfig.NSPort (or PYRO_NS_PORT, read by ProxyConfigFromEnv), as Pyro4's do through
// NS_PORT, and an explicit port in the URI wins over the configuration.
func TestMagicURIWithoutPortUsesNSPort(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ns := pyrotest.NewNameServer(t, nameserver.Config{})
	port := ns.URI().Port
	if port == pyro.DefaultNSPort {
		t.Fatalf("the name server got port %d; the test needs another", port)
	}
	echo := pyrotest.Serve(t, nsPortEcho{})
	nsc := pyrotest.NewNameServerClient(t, ns.URI())
	if err := nsc.Register(ctx, "nsport.echo", echo, naming.RegisterOptions{Metadata: []string{"nsport.tag"}}); err != nil {
		t.Fatal(err)
	}
	call := func(uri string, opts ...pyro.ProxyOption) error {
		u, err := pyro.ParseURI(uri)
		if err != nil {
			t.Fatal(err)
		}
		p := pyrotest.NewProxy(t, u, opts...)
		got, err := pyro.CallT[string](ctx, p, "echo", "hi")
		if err == nil && got != "hi" {
			t.Errorf("%s: echo gave %q", uri, got)
		}
		return err
	}
	byConfig := pyro.WithConfig(pyro.ProxyConfig{NSPort: port})
	for _, uri := range []string{"PYRONAME:nsport.echo@127.0.0.1", "PYROMETA:nsport.tag@127.0.0.1", "PYRONAME:nsport.echo@127.0.0.1:0"} {
		if err := call(uri, byConfig); err != nil {
			t.Errorf("%s with NSPort %d: %v", uri, port, err)
		}
	}
	t.Setenv("PYRO_NS_PORT", strconv.Itoa(port))
	env, err := pyro.ProxyConfigFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if err := call("PYRONAME:nsport.echo@127.0.0.1", pyro.WithConfig(env)); err != nil {
		t.Errorf("with PYRO_NS_PORT=%d: %v", port, err)
	}
	explicit := "PYRONAME:nsport.echo@127.0.0.1:" + strconv.Itoa(port)
	if err := call(explicit, pyro.WithConfig(pyro.ProxyConfig{NSPort: 1})); err != nil {
		t.Errorf("%s with NSPort 1: %v", explicit, err)
	}
	// Without the configuration the default port is asked, where this name server is not.
	if err := call("PYRONAME:nsport.echo@127.0.0.1"); err == nil {
		t.Error("PYRONAME:nsport.echo@127.0.0.1 resolved without NSPort: something else serves the name on 9090")
	}

	// Pyro4 does the same with PYRO_NS_PORT, against this name server.
	cmd := pytest.Command(ctx, "-c", `import Pyro4; print(Pyro4.Proxy("PYRONAME:nsport.echo@127.0.0.1").echo("from python"))`)
	cmd.Env = append(cmd.Env, "PYRO_NS_PORT="+strconv.Itoa(port))
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "from python" {
		t.Errorf("Pyro4 with PYRO_NS_PORT: %v\n%s", err, out)
	}
}
