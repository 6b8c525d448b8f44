package pyro_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/internal/pytest"
	"github.com/gopyro/pyro/pyrotest"
)

func TestNamingPolicies(t *testing.T) {
	for _, c := range []struct{ goName, snake, camel string }{
		{"Hello", "hello", "hello"},
		{"GetRate", "get_rate", "getRate"},
		{"HTTPServer", "http_server", "httpServer"},
		{"ID", "id", "id"},
		{"GetID", "get_id", "getID"},
		{"EchoV2", "echo_v2", "echoV2"},
		{"X", "x", "x"},
		{"Ünïcode", "ünïcode", "ünïcode"},
	} {
		if got := pyro.SnakeCase(c.goName); got != c.snake {
			t.Errorf("SnakeCase(%q) = %q, want %q", c.goName, got, c.snake)
		}
		if got := pyro.CamelCase(c.goName); got != c.camel {
			t.Errorf("CamelCase(%q) = %q, want %q", c.goName, got, c.camel)
		}
	}
}

// Rates is exposed in Python camelCase, as a Java-style Pyro4 server names its methods.
type Rates interface {
	GetRate(pair string) float64
	Hello() string
	GetID() string
	PropValue() float64
	SetPropValue(v float64)
}

type camelRates struct {
	mu sync.Mutex
	v  float64
}

func (r *camelRates) GetRate(pair string) float64 { return 1.0705 }
func (r *camelRates) Hello() string               { return "hello" }
func (r *camelRates) GetID() string               { return "r1" }
func (r *camelRates) PropValue() float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.v
}
func (r *camelRates) SetPropValue(v float64) {
	r.mu.Lock()
	r.v = v
	r.mu.Unlock()
}

// TestCamelCaseNaming: WithNaming(CamelCase) names methods and attributes camelCase in the
// metadata; the Go names stay callable, and WithName still overrides one method.
func TestCamelCaseNaming(t *testing.T) {
	d := pyrotest.NewDaemon(t, pyro.DaemonConfig{})
	uri, err := pyro.RegisterAs[Rates](d, &camelRates{v: 1.5}, pyro.WithNaming(pyro.CamelCase), pyro.WithName("GetID", "ident"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p := pyrotest.NewProxy(t, uri)
	methods, _, attrs, err := p.Metadata(ctx)
	if err != nil || !slices.Equal(methods, []string{"getRate", "hello", "ident"}) || !slices.Equal(attrs, []string{"propValue"}) {
		t.Fatalf("metadata %v %v %v", methods, attrs, err)
	}
	for _, name := range []string{"GetRate", "getRate"} {
		if r, err := pyro.CallT[float64](ctx, p, name, "EURUSD"); err != nil || r != 1.0705 {
			t.Errorf("%s: %v %v", name, r, err)
		}
	}
	if err := p.Call(ctx, "get_rate", nil, "EURUSD"); !errors.Is(err, pyro.ErrNoSuchMethod) {
		t.Errorf("get_rate: %v, want ErrNoSuchMethod", err)
	}
	if err := p.SetAttr(ctx, "PropValue", 2.5); err != nil {
		t.Fatal(err)
	}
	if v, err := pyro.CallT[string](ctx, p, "ident"); err != nil || v != "r1" {
		t.Errorf("ident: %v %v", v, err)
	}
	var v float64
	if err := p.GetAttr(ctx, "propValue", &v); err != nil || v != 2.5 {
		t.Errorf("propValue: %v %v", v, err)
	}

	// Factories take the policy too.
	uri, err = d.RegisterFactory(pyro.PerCall, func() *camelRates { return &camelRates{} }, pyro.WithNaming(pyro.CamelCase))
	if err != nil {
		t.Fatal(err)
	}
	if methods, _, _, err := pyrotest.NewProxy(t, uri).Metadata(ctx); err != nil || !slices.Equal(methods, []string{"getID", "getRate", "hello"}) {
		t.Errorf("factory metadata %v %v", methods, err)
	}
}

// camelClient is run by a Pyro4 client against a camelCase server, Python's or ours.
const camelClient = `
import sys, threading, Pyro4
uri = sys.argv[1]
if uri == "python":
    @Pyro4.expose
    class Rates(object):
        def __init__(self): self._v = 1.5
        def getRate(self, pair): return 1.0705
        def hello(self): return "hello"
        def getID(self): return "r1"
        @property
        def propValue(self): return self._v
        @propValue.setter
        def propValue(self, v): self._v = v
    d = Pyro4.Daemon(host="127.0.0.1")
    uri = d.register(Rates())
    threading.Thread(target=d.requestLoop, daemon=True).start()
p = Pyro4.Proxy(uri)
print(p.getRate("EURUSD"), p.hello(), p.getID())
print(p.propValue)
p.propValue = 2.5
print(p.propValue)
print(sorted(p._pyroMethods), sorted(p._pyroAttrs), sorted(p._pyroOneway))
for name in ("get_rate", "GetRate", "prop_value"):
    try:
        getattr(p, name)
        print(name, "found")
    except AttributeError as e:
        print(name, "AttributeError", str(e).replace(str(uri), "URI"))
`

// TestPythonClientCamelCase: a Pyro4 client sees our camelCase server exactly as it sees a
// Python one with the same method names.
func TestPythonClientCamelCase(t *testing.T) {
	d := pyrotest.NewDaemon(t, pyro.DaemonConfig{})
	uri, err := pyro.RegisterAs[Rates](d, &camelRates{v: 1.5}, pyro.WithNaming(pyro.CamelCase))
	if err != nil {
		t.Fatal(err)
	}
	run := func(arg string) string {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		out, err := pytest.Command(ctx, "-c", camelClient, arg).CombinedOutput()
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		return string(out)
	}
	want, got := run("python"), run(uri.String())
	if got != want {
		t.Errorf("python server:\n%s\ngo server:\n%s", want, got)
	}
	if !strings.Contains(got, "['getID', 'getRate', 'hello'] ['propValue']") {
		t.Errorf("transcript:\n%s", got)
	}
}
