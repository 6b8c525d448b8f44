package naming_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/internal/pytest"
	"github.com/gopyro/pyro/naming"
	"github.com/gopyro/pyro/pyrotest"
)

type warehouse struct{}

func (warehouse) ListContents() []string { return []string{"chair", "bike"} }

type counter struct{ n int }

func (c *counter) Next() int { c.n++; return c.n }

// serveInBackground runs naming.Serve and returns what its Ready saw and a channel with its
// result.
func serveInBackground(t *testing.T, ctx context.Context, d *pyro.Daemon, objects map[string]any, opts naming.ServeOptions) (map[string]pyro.URI, <-chan error) {
	t.Helper()
	ready := make(chan map[string]pyro.URI, 1)
	opts.Ready = func(uris map[string]pyro.URI) { ready <- uris }
	done := make(chan error, 1)
	go func() { done <- naming.Serve(ctx, d, objects, opts) }()
	select {
	case uris := <-ready:
		return uris, done
	case err := <-done:
		t.Fatalf("Serve: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("Serve never got ready")
	}
	return nil, nil
}

// TestServe: one call serves objects under names; Python and Go clients find them by name;
// when ctx ends the names are withdrawn and the daemon is shut down. A pyro.URI value
// publishes an object registered beforehand (here before the port was known).
func TestServe(t *testing.T) {
	for _, which := range []string{"ours", "pyro4-ns"} {
		t.Run(which, func(t *testing.T) {
			var nsURI pyro.URI
			if which == "pyro4-ns" {
				nsURI, _ = pyro.ParseURI(pytest.StartNameServer(t))
			} else {
				nsURI = startNS(t)
			}
			d, err := pyro.NewDaemon(pyro.DaemonConfig{Host: "127.0.0.1"})
			if err != nil {
				t.Fatal(err)
			}
			counterURI, err := d.RegisterFactory(pyro.Session, func() *counter { return &counter{} }, pyro.WithID("counter"))
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			uris, done := serveInBackground(t, ctx, d, map[string]any{
				"example.warehouse": warehouse{},
				"example.counter":   counterURI,
			}, naming.ServeOptions{
				NameServer:     nsURI,
				PublishOptions: naming.PublishOptions{Metadata: []string{"demo"}, Register: []pyro.RegisterOption{pyro.WithNaming(pyro.CamelCase)}},
			})
			if got := uris["example.counter"]; got.Object != "counter" || got.Port == 0 || got != d.URIFor("counter") {
				t.Errorf("counter published as %s", got)
			}

			c := client(t, nsURI)
			bctx := context.Background()
			found, err := c.List(bctx, naming.Filter{MetadataAll: []string{"demo"}})
			if err != nil || len(found) != 2 || found["example.warehouse"] != uris["example.warehouse"].String() {
				t.Errorf("listed %v %v, published %v", found, err, uris)
			}
			script := `
import sys, Pyro4
ns = Pyro4.Proxy(sys.argv[1])
w = Pyro4.Proxy(ns.lookup("example.warehouse"))
print(w.listContents(), Pyro4.Proxy(ns.lookup("example.counter")).next())
`
			out := runPython(t, script, nsURI.String())
			if out != "['chair', 'bike'] 1" {
				t.Errorf("python client: %s", out)
			}
			p := pyrotest.NewProxy(t, pyro.URI{Protocol: pyro.ProtocolPyroName, Object: "example.warehouse", Host: nsURI.Host, Port: nsURI.Port})
			if got, err := pyro.CallT[[]string](bctx, p, "ListContents"); err != nil || !slices.Equal(got, []string{"chair", "bike"}) {
				t.Errorf("go client: %v %v", got, err)
			}

			cancel()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) || err.Error() != context.Canceled.Error() {
					t.Errorf("Serve returned %v", err)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("Serve did not return")
			}
			if found, err := c.List(bctx, naming.Filter{MetadataAll: []string{"demo"}}); err != nil || len(found) != 0 {
				t.Errorf("names left behind: %v %v", found, err)
			}
			if err := d.Shutdown(bctx); err != nil {
				t.Errorf("daemon not shut down: %v", err)
			}
		})
	}
}

func runPython(t *testing.T, script string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := pytest.Command(ctx, append([]string{"-c", script}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestPublishWithdraw: Withdraw removes only the names that still point at our objects.
func TestPublishWithdraw(t *testing.T) {
	ctx := context.Background()
	nsURI := startNS(t)
	c := client(t, nsURI)
	d := pyrotest.NewDaemon(t, pyro.DaemonConfig{})
	pub, err := naming.Publish(ctx, c, d, map[string]any{"a": warehouse{}, "b": &counter{}}, naming.PublishOptions{})
	if err != nil {
		t.Fatal(err)
	}
	other := pyro.URI{Protocol: pyro.ProtocolPyro, Object: "other", Host: "127.0.0.1", Port: 1}
	if err := c.Register(ctx, "b", other, naming.RegisterOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Remove(ctx, "a"); err != nil { // gone already: not an error
		t.Fatal(err)
	}
	if err := pub.Withdraw(ctx); err != nil {
		t.Fatal(err)
	}
	if u, err := c.Lookup(ctx, "b"); err != nil || u != other {
		t.Errorf("b, taken over by another server, is now %v %v", u, err)
	}
	if got := len(d.Registered()); got != 3 {
		t.Errorf("%d objects registered after Withdraw, want the daemon's and both published", got)
	}
}

// TestPublishUndoesOnFailure: a failure leaves neither names nor registrations behind.
func TestPublishUndoesOnFailure(t *testing.T) {
	ctx := context.Background()
	nsURI := startNS(t)
	c := client(t, nsURI)
	d := pyrotest.NewDaemon(t, pyro.DaemonConfig{})
	before := d.Registered()

	_, err := naming.Publish(ctx, c, d, map[string]any{"a": warehouse{}, "b": counter{}}, naming.PublishOptions{})
	var re *pyro.RegisterError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), `naming: publish "b": pyro: cannot register naming_test.counter`) {
		t.Errorf("publishing a value with pointer methods: %v", err)
	}
	_, err = naming.Publish(ctx, c, d, map[string]any{"a": warehouse{}, "b": pyro.URI{Protocol: pyro.ProtocolPyro, Object: "nowhere"}}, naming.PublishOptions{})
	if err == nil || !strings.Contains(err.Error(), "is not registered on this daemon") {
		t.Errorf("publishing an unknown URI: %v", err)
	}
	if err := c.Register(ctx, "b", pyro.URI{Protocol: pyro.ProtocolPyro, Object: "x", Host: "h", Port: 1}, naming.RegisterOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err = naming.Publish(ctx, c, d, map[string]any{"a": warehouse{}, "b": &counter{}}, naming.PublishOptions{Safe: true})
	if !errors.Is(err, pyro.ErrNaming) {
		t.Errorf("safe publish over an existing name: %v", err)
	}
	if names, err := c.List(ctx, naming.Filter{}); err != nil || len(names) != 2 { // the name server and b
		t.Errorf("names left: %v %v", names, err)
	}
	if after := d.Registered(); !slices.Equal(after, before) {
		t.Errorf("registrations left: %v, before %v", after, before)
	}
}

// TestServeWithoutNameServer: Serve fails at once, and closes the daemon, when it finds no
// name server.
func TestServeWithoutNameServer(t *testing.T) {
	d, err := pyro.NewDaemon(pyro.DaemonConfig{Host: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err = naming.Serve(ctx, d, map[string]any{"x": warehouse{}}, naming.ServeOptions{
		NameServer: pyro.URI{Protocol: pyro.ProtocolPyro, Object: pyro.NameServerObjectID, Host: "127.0.0.1", Port: 1},
	})
	if !errors.Is(err, pyro.ErrCommunication) || !strings.HasPrefix(err.Error(), "naming: publish \"x\": ") {
		t.Errorf("Serve: %v", err)
	}
	if _, err := d.Listen(); err == nil {
		t.Error("the daemon still listens after Serve failed")
	}
}
