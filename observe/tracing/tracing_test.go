package tracing_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/internal/pytest"
	"github.com/gopyro/pyro/naming"
	"github.com/gopyro/pyro/naming/nameserver"
	"github.com/gopyro/pyro/observe/tracing"
	"github.com/gopyro/pyro/pyrotest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace/noop"
)

// Leaf is the second daemon's object.
type Leaf struct{}

func (Leaf) Hello(name string) string { return "hello " + name }

// Mid is the first daemon's object: it calls Leaf, found through the name server, with the
// context it was given.
type Mid struct {
	leaf pyro.URI
	opts []pyro.ProxyOption
}

func (m *Mid) Relay(ctx context.Context, name string) (string, error) {
	p, err := pyro.NewProxyURI(m.leaf, m.opts...)
	if err != nil {
		return "", err
	}
	defer p.Close()
	return pyro.CallT[string](ctx, p, "hello", name)
}

func (m *Mid) Fail() error { return pyro.NewError("builtins.ValueError", "no good") }

func newProvider() (*sdktrace.TracerProvider, *tracetest.InMemoryExporter) {
	exp := tracetest.NewInMemoryExporter()
	return sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithSampler(sdktrace.AlwaysSample())), exp
}

// waitSpans polls until the exporter holds a span with each name and kind asked for: a
// server span ends after its reply is written, so the caller may be done before it.
func waitSpans(t *testing.T, exp *tracetest.InMemoryExporter, want ...string) map[string]tracetest.SpanStub {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := map[string]tracetest.SpanStub{}
		for _, s := range exp.GetSpans() {
			got[s.SpanKind.String()+" "+s.Name] = s
		}
		missing := 0
		for _, w := range want {
			if _, ok := got[w]; !ok {
				missing++
			}
		}
		if missing == 0 {
			return got
		}
		if time.Now().After(deadline) {
			var names []string
			for k := range got {
				names = append(names, k)
			}
			t.Fatalf("spans %q never all appeared; have %q", want, names)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func attr(s tracetest.SpanStub, key string) attribute.Value {
	for _, kv := range s.Attributes {
		if string(kv.Key) == key {
			return kv.Value
		}
	}
	return attribute.Value{}
}

// TestTraceAcrossDaemons follows one trace from a Go proxy through a Go daemon, a name
// server lookup and a nested call (in Pyro5) to a second Go daemon.
func TestTraceAcrossDaemons(t *testing.T) {
	tp, exp := newProvider()
	defer tp.Shutdown(context.Background())
	dobs := tracing.NewDaemonObserver(tracing.WithTracerProvider(tp))
	pobs := pyro.WithObserver(tracing.NewProxyObserver(tracing.WithTracerProvider(tp)))

	ns := pyrotest.NewNameServer(t, nameserver.Config{Daemon: pyro.DaemonConfig{Host: "127.0.0.1", Observer: dobs}, NoBroadcast: true})
	leafD := pyrotest.NewDaemon(t, pyro.DaemonConfig{Observer: dobs})
	leafURI, err := leafD.Register(Leaf{})
	if err != nil {
		t.Fatal(err)
	}
	nsc := pyrotest.NewNameServerClient(t, ns.URI())
	if err := nsc.Register(context.Background(), "test.leaf", leafURI, naming.RegisterOptions{}); err != nil {
		t.Fatal(err)
	}
	leafName, _ := pyro.ParseURI(fmt.Sprintf("PYRONAME:test.leaf@%s:%d", ns.URI().Host, ns.URI().Port))
	midD := pyrotest.NewDaemon(t, pyro.DaemonConfig{Observer: dobs})
	midURI, err := midD.Register(&Mid{leaf: leafName, opts: []pyro.ProxyOption{pobs, pyro.WithProtocol(pyro.Pyro5)}})
	if err != nil {
		t.Fatal(err)
	}
	p := pyrotest.NewProxy(t, midURI, pobs, pyro.WithProtocol(pyro.Pyro4))

	ctx, root := tp.Tracer("test").Start(context.Background(), "root")
	got, err := pyro.CallT[string](ctx, p, "relay", "world")
	if err != nil || got != "hello world" {
		t.Fatalf("relay = %q, %v", got, err)
	}
	var re *pyro.RemoteError
	if err := p.Call(ctx, "fail", nil); !errorsAs(err, &re) || re.Class != "builtins.ValueError" {
		t.Fatalf("fail: %v", err)
	}
	root.End()

	midObj := midURI.Object
	s := waitSpans(t, exp, "internal root",
		"client "+midObj+"/relay", "server "+midObj+"/relay",
		"client "+leafURI.Object+"/hello", "server "+leafURI.Object+"/hello",
		"client Pyro.NameServer/lookup", "server Pyro.NameServer/lookup",
		"client "+midObj+"/fail", "server "+midObj+"/fail")
	rootSC := s["internal root"].SpanContext
	for name, span := range s {
		if name == "server Pyro.NameServer/register" {
			continue // made before the trace
		}
		if span.SpanContext.TraceID() != rootSC.TraceID() {
			t.Errorf("span %q is in trace %s, not the root's %s", name, span.SpanContext.TraceID(), rootSC.TraceID())
		}
	}
	parentOf := func(child, parent string) {
		t.Helper()
		if got, want := s[child].Parent.SpanID(), s[parent].SpanContext.SpanID(); got != want {
			t.Errorf("parent of %q is %s, want %q (%s)", child, got, parent, want)
		}
	}
	parentOf("client "+midObj+"/relay", "internal root")
	parentOf("server "+midObj+"/relay", "client "+midObj+"/relay")
	parentOf("client "+leafURI.Object+"/hello", "server "+midObj+"/relay")
	parentOf("client Pyro.NameServer/lookup", "server "+midObj+"/relay") // the proxy binds first
	parentOf("server Pyro.NameServer/lookup", "client Pyro.NameServer/lookup")
	parentOf("server "+leafURI.Object+"/hello", "client "+leafURI.Object+"/hello")
	parentOf("server "+midObj+"/fail", "client "+midObj+"/fail")

	srv := s["server "+midObj+"/relay"]
	if v := attr(srv, "pyro.serializer").AsString(); v != "serpent" {
		t.Errorf("server span serializer %q", v)
	}
	if v := attr(srv, "pyro.protocol").AsString(); v != "Pyro4" {
		t.Errorf("server span protocol %q", v)
	}
	if v := attr(s["server "+leafURI.Object+"/hello"], "pyro.protocol").AsString(); v != "Pyro5" {
		t.Errorf("nested server span protocol %q, want Pyro5", v)
	}
	if attr(srv, "pyro.request.size").AsInt64() <= 0 || attr(srv, "pyro.response.size").AsInt64() <= 0 {
		t.Errorf("server span sizes: %v", srv.Attributes)
	}
	if srv.Status.Code != codes.Ok {
		t.Errorf("relay status %v", srv.Status)
	}
	for _, k := range []string{"client " + midObj + "/fail", "server " + midObj + "/fail"} {
		if st := s[k].Status; st.Code != codes.Error || attr(s[k], "pyro.exception.class").AsString() != "builtins.ValueError" {
			t.Errorf("%s: status %v, class %v", k, st, attr(s[k], "pyro.exception.class"))
		}
	}
}

// TestNoProviderPassesContextOn checks that a daemon without a recording provider still
// passes a caller's trace context to the calls its methods make.
func TestNoProviderPassesContextOn(t *testing.T) {
	tp, exp := newProvider()
	defer tp.Shutdown(context.Background())
	leafD := pyrotest.NewDaemon(t, pyro.DaemonConfig{Observer: tracing.NewDaemonObserver(tracing.WithTracerProvider(tp))})
	leafURI, err := leafD.Register(Leaf{})
	if err != nil {
		t.Fatal(err)
	}
	noopTP := noop.NewTracerProvider()
	midD := pyrotest.NewDaemon(t, pyro.DaemonConfig{Observer: tracing.NewDaemonObserver(tracing.WithTracerProvider(noopTP))})
	midURI, err := midD.Register(&Mid{leaf: leafURI, opts: []pyro.ProxyOption{pyro.WithObserver(tracing.NewProxyObserver(tracing.WithTracerProvider(noopTP)))}})
	if err != nil {
		t.Fatal(err)
	}
	p := pyrotest.NewProxy(t, midURI, pyro.WithObserver(tracing.NewProxyObserver(tracing.WithTracerProvider(tp))))
	ctx, root := tp.Tracer("test").Start(context.Background(), "root")
	if _, err := pyro.CallT[string](ctx, p, "relay", "x"); err != nil {
		t.Fatal(err)
	}
	root.End()
	s := waitSpans(t, exp, "internal root", "client "+midURI.Object+"/relay", "server "+leafURI.Object+"/hello")
	if got, want := s["server "+leafURI.Object+"/hello"].Parent.SpanID(), s["client "+midURI.Object+"/relay"].SpanContext.SpanID(); got != want {
		t.Errorf("leaf's parent %s, want the client span %s (passed on by the untraced daemon)", got, want)
	}
}

// TestPythonClientsOfTracedDaemon: Python Pyro4 and Pyro5 clients call a traced Go daemon,
// and a traced Go proxy calls Python's Pyro4 and Pyro5 echo servers: the TRAC annotation
// harms neither side.
func TestPythonClientsOfTracedDaemon(t *testing.T) {
	tp, exp := newProvider()
	defer tp.Shutdown(context.Background())
	d := pyrotest.NewDaemon(t, pyro.DaemonConfig{Observer: tracing.NewDaemonObserver(tracing.WithTracerProvider(tp))})
	uri, err := d.Register(&Mid{}, pyro.WithID("mid"))
	if err != nil {
		t.Fatal(err)
	}
	out4 := pytest.Run(t, fmt.Sprintf(`import sys
from Pyro4 import Proxy
p = Proxy(%q)
try:
    p.fail()
except Exception as e:
    print(type(e).__name__, e)
class Traced(Proxy):
    def _pyroAnnotations(self):
        return {"TRAC": b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}
p = Traced(%q)
try:
    p.fail()
except Exception as e:
    print(type(e).__name__, e)
`, uri.String(), uri.String()), nil)
	if got := string(out4); got != "ValueError no good\nValueError no good\n" {
		t.Errorf("Pyro4 client printed %q", got)
	}
	out5 := pytest.RunPyro5(t, nil, "-c", fmt.Sprintf(`from Pyro5.api import Proxy
p = Proxy(%q)
try:
    p.fail()
except Exception as e:
    print(type(e).__name__, e)
`, uri.String()))
	if got := string(out5); got != "ValueError no good\n" {
		t.Errorf("Pyro5 client printed %q", got)
	}
	var roots, remote int
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		roots, remote = 0, 0
		for _, s := range exp.GetSpans() {
			if s.Name != "mid/fail" {
				continue
			}
			if s.Parent.IsValid() {
				remote++
				if s.Parent.TraceID().String() != "0af7651916cd43dd8448eb211c80319c" {
					t.Errorf("parent from Python's TRAC: %s", s.Parent.TraceID())
				}
			} else {
				roots++
			}
		}
		if roots+remote >= 3 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if roots != 2 || remote != 1 {
		t.Errorf("server spans of mid/fail: %d without parent, %d with, want 2 and 1", roots, remote)
	}

	// A traced Go proxy calling Python's echo servers.
	pobs := pyro.WithObserver(tracing.NewProxyObserver(tracing.WithTracerProvider(tp)))
	for _, py := range []struct{ name, uri string }{
		{"Pyro4", pytest.Start(t, nil, "echo uri: ", "-m", "Pyro4.test.echoserver", "-H", "127.0.0.1")},
		{"Pyro5", pytest.StartPyro5(t, nil, "echo uri: ", "-m", "Pyro5.utils.echoserver", "-H", "127.0.0.1", "-p", "0")},
	} {
		u, err := pyro.ParseURI(py.uri)
		if err != nil {
			t.Fatal(err)
		}
		p := pyrotest.NewProxy(t, u, pobs)
		ctx, span := tp.Tracer("test").Start(context.Background(), "py")
		got, err := pyro.CallT[string](ctx, p, "echo", "traced")
		span.End()
		if err != nil || got != "traced" {
			t.Errorf("%s echo server: %q, %v", py.name, got, err)
		}
	}
}

// TestNamingClientTraced: a naming.Client made with the tracing observer puts its lookups in
// the caller's trace, and the name server's span under them.
func TestNamingClientTraced(t *testing.T) {
	tp, exp := newProvider()
	defer tp.Shutdown(context.Background())
	ns := pyrotest.NewNameServer(t, nameserver.Config{NoBroadcast: true,
		Daemon: pyro.DaemonConfig{Host: "127.0.0.1", Observer: tracing.NewDaemonObserver(tracing.WithTracerProvider(tp))}})
	c := pyrotest.NewNameServerClient(t, ns.URI(), pyro.WithObserver(tracing.NewProxyObserver(tracing.WithTracerProvider(tp))))
	ctx, root := tp.Tracer("test").Start(context.Background(), "root")
	if _, err := c.Lookup(ctx, "Pyro.NameServer"); err != nil {
		t.Fatal(err)
	}
	root.End()
	s := waitSpans(t, exp, "internal root", "client Pyro.NameServer/lookup", "server Pyro.NameServer/lookup")
	if got, want := s["client Pyro.NameServer/lookup"].Parent.SpanID(), s["internal root"].SpanContext.SpanID(); got != want {
		t.Errorf("lookup's client span has parent %s, want the root %s", got, want)
	}
	if got, want := s["server Pyro.NameServer/lookup"].Parent.SpanID(), s["client Pyro.NameServer/lookup"].SpanContext.SpanID(); got != want {
		t.Errorf("name server's span has parent %s, want the client span %s", got, want)
	}
}
