package pyro_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/internal/pytest"
	"github.com/gopyro/pyro/pyrotest"
)

// registry hands out its registered objects nested in results, and calls back the
// callback proxies it is given nested in arguments.
type registry struct {
	a, b *calc // registered
	free *calc // not registered: travels as a copy
}

type pair struct {
	First  *calc `pyro:"first"`
	Second *calc `pyro:"second"`
	Label  string
}

func (r *registry) List() []*calc           { return []*calc{r.a, r.b} }
func (r *registry) Map() map[string]*calc   { return map[string]*calc{"a": r.a, "b": r.b} }
func (r *registry) Pair() pair              { return pair{r.a, r.b, "ab"} }
func (r *registry) Mixed() []any            { return []any{r.a, r.free, "x"} }
func (r *registry) Nothing() map[string]any { return map[string]any{"a": nil} }

func (r *registry) NotifyAll(ctx context.Context, cbs []*pyro.Proxy) ([]string, error) {
	var out []string
	for _, cb := range cbs {
		defer cb.Close()
		var s string
		if err := cb.Call(ctx, "notify", &s, "all"); err != nil {
			return nil, err
		}
		out = append(out, s+" via "+cb.Config().Serializer)
	}
	return out, nil
}

type callbacks struct {
	CB   *pyro.Proxy `pyro:"cb"`
	Msg  string      `pyro:"msg"`
	More map[string]*pyro.Proxy
}

func (r *registry) NotifyStruct(ctx context.Context, c callbacks) (string, error) {
	defer c.CB.Close()
	var s string
	err := c.CB.Call(ctx, "notify", &s, c.Msg)
	for _, p := range c.More {
		var t string
		if err := p.Call(ctx, "notify", &t, "more"); err != nil {
			return "", err
		}
		s += ", " + t
		p.Close()
	}
	return s, err
}

func newRegistry(t *testing.T, cfg pyro.DaemonConfig) (*registry, pyro.URI) {
	t.Helper()
	d := pyrotest.NewDaemon(t, cfg)
	r := &registry{a: &calc{}, b: &calc{}, free: &calc{}}
	for _, o := range []struct {
		obj any
		id  string
	}{{r.a, "calc.a"}, {r.b, "calc.b"}} {
		if _, err := d.Register(o.obj, pyro.WithID(o.id)); err != nil {
			t.Fatal(err)
		}
	}
	uri, err := d.Register(r, pyro.WithID("registry"))
	if err != nil {
		t.Fatal(err)
	}
	return r, uri
}

// TestAutoproxyNestedResults: registered objects inside results (lists, maps, struct fields,
// interfaces) arrive as proxies, which talk the way the proxy that received them does;
// unregistered ones arrive as copies.
func TestAutoproxyNestedResults(t *testing.T) {
	ctx := context.Background()
	_, uri := newRegistry(t, pyro.DaemonConfig{Transport: pyro.Transport{HMACKey: []byte("k")}})
	for _, ser := range []string{"serpent", "json", "marshal", "msgpack"} {
		p := pyrotest.NewProxy(t, uri, pyro.WithSerializer(ser), pyro.WithHMACKey([]byte("k")))
		check := func(what string, px *pyro.Proxy, id string) {
			t.Helper()
			if px == nil {
				t.Fatalf("%s %s: no proxy", ser, what)
			}
			defer px.Close()
			if px.URI().Object != id || px.Config().Serializer != ser || string(px.Config().HMACKey) != "k" {
				t.Errorf("%s %s: proxy to %s, %s, key %q", ser, what, px.URI(), px.Config().Serializer, px.Config().HMACKey)
			}
			if n, err := pyro.CallT[int](ctx, px, "add", 2, 3); err != nil || n != 5 {
				t.Errorf("%s %s: add = %d, %v", ser, what, n, err)
			}
		}
		list, err := pyro.CallT[[]*pyro.Proxy](ctx, p, "list")
		if err != nil || len(list) != 2 {
			t.Fatalf("%s list: %v, %v", ser, list, err)
		}
		check("list[0]", list[0], "calc.a")
		check("list[1]", list[1], "calc.b")
		m, err := pyro.CallT[map[string]*pyro.Proxy](ctx, p, "map")
		if err != nil {
			t.Fatal(err)
		}
		check("map[b]", m["b"], "calc.b")
		m["a"].Close()
		var pr struct {
			First, Second *pyro.Proxy
			Label         string
		}
		if err := p.Call(ctx, "pair", &pr); err != nil || pr.Label != "ab" {
			t.Fatalf("%s pair: %+v, %v", ser, pr, err)
		}
		check("pair.second", pr.Second, "calc.b")
		pr.First.Close()
		mixed, err := pyro.CallT[[]any](ctx, p, "mixed")
		if err != nil || len(mixed) != 3 {
			t.Fatalf("%s mixed: %v, %v", ser, mixed, err)
		}
		if class := mixed[0].(map[string]any)["__class__"]; class != "Pyro4.core.Proxy" {
			t.Errorf("%s mixed[0] is a %v, want a proxy", ser, class)
		}
		if _, isCopy := mixed[1].(map[string]any)["scale"]; mixed[1].(map[string]any)["__class__"] != nil || isCopy {
			t.Errorf("%s mixed[1] = %v, want a copy of an unregistered calc (no exported fields)", ser, mixed[1])
		}
	}
}

// TestAutoproxyNestedResultsToPython: a Python client gets Pyro4 proxies for the registered
// objects inside a Go daemon's results.
func TestAutoproxyNestedResultsToPython(t *testing.T) {
	_, uri := newRegistry(t, pyro.DaemonConfig{})
	script := `
import sys, Pyro4
r = Pyro4.Proxy(sys.argv[1])
l = r.list()
print([type(x).__name__ for x in l], [x._pyroUri.object for x in l], l[0].add(1, 2))
m = r.map()
print(sorted((k, type(v).__name__) for k, v in m.items()), m["b"].add(2, 2))
p = r.pair()
print(type(p["first"]).__name__, p["second"]._pyroUri.object, p["Label"])
x = r.mixed()
print(type(x[0]).__name__, x[1], x[2])
print(r.nothing())
`
	out, err := pytest.Command(context.Background(), "-c", script, uri.String()).CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := `['Proxy', 'Proxy'] ['calc.a', 'calc.b'] 3
[('a', 'Proxy'), ('b', 'Proxy')] 4
Proxy calc.b ab
Proxy {} x
{'a': None}
`
	if string(out) != want {
		t.Errorf("python printed:\n%s\nwant:\n%s", out, want)
	}
}

// TestGoClientPassesItsObjects: a Go client passes the objects it registered with its own
// daemon, as themselves, to a Go daemon (alone, in a slice, in struct and map fields, as a
// keyword argument); the daemon gets proxies that call back the way the client called it.
func TestGoClientPassesItsObjects(t *testing.T) {
	ctx := context.Background()
	hubURI := startHub(t)
	_, regURI := newRegistry(t, pyro.DaemonConfig{})
	mine := pyrotest.NewDaemon(t, pyro.DaemonConfig{})
	lis, other := &listener{prefix: "go got "}, &listener{prefix: "other got "}
	mine.Register(lis)
	mine.Register(other)

	hub := pyrotest.NewProxy(t, hubURI)
	if s, err := pyro.CallT[string](ctx, hub, "subscribe", lis, "hi"); err != nil || s != "go got hi" {
		t.Fatalf("subscribe(lis): %q, %v", s, err)
	}
	reg := pyrotest.NewProxy(t, regURI, pyro.WithSerializer("json"))
	got, err := pyro.CallT[[]string](ctx, reg, "notify_all", []*listener{lis, other})
	if want := []string{"go got all via json", "other got all via json"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("notify_all: %q, %v; want %q", got, err, want)
	}
	s, err := pyro.CallT[string](ctx, reg, "notify_struct", map[string]any{"cb": lis, "msg": "hello", "More": map[string]any{"o": other}})
	if err != nil || s != "go got hello, other got more" {
		t.Errorf("notify_struct: %q, %v", s, err)
	}

	// Unregistered, the same pointer is a copy again: the daemon cannot make a proxy of it.
	for _, id := range mine.Registered() {
		if id != pyro.DaemonObjectID {
			mine.Unregister(id)
		}
	}
	_, err = pyro.CallT[string](ctx, hub, "subscribe", lis, "hi")
	var re *pyro.RemoteError
	if !errors.As(err, &re) || re.Class != "builtins.TypeError" || !strings.Contains(re.Message(), "not a proxy") {
		t.Errorf("subscribe(unregistered object): %v", err)
	}
}

// TestGoClientPassesItsObjectsToPython: Pyro4's callback pattern with a Go client and a
// Python server: the server calls back the Go objects it was given, alone, in a list, in a
// dict and as a keyword argument, with every serializer.
func TestGoClientPassesItsObjectsToPython(t *testing.T) {
	ctx := context.Background()
	pyURI := mustParseURI(t, pytest.Start(t, nil, "uri: ", "testdata/callback_server.py"))
	mine := pyrotest.NewDaemon(t, pyro.DaemonConfig{})
	lis := &listener{prefix: "go got "}
	if _, err := mine.Register(lis, pyro.WithID("listener")); err != nil {
		t.Fatal(err)
	}
	for _, ser := range []string{"serpent", "json", "marshal", "msgpack"} {
		p := pyrotest.NewProxy(t, pyURI, pyro.WithSerializer(ser))
		if s, err := pyro.CallT[string](ctx, p, "call", lis, "hi"); err != nil || s != "Proxy go got hi" {
			t.Errorf("%s call: %q, %v", ser, s, err)
		}
		if l, err := pyro.CallT[[]string](ctx, p, "call_all", []any{lis, lis}); err != nil || !slices.Equal(l, []string{"go got all", "go got all"}) {
			t.Errorf("%s call_all: %q, %v", ser, l, err)
		}
		if s, err := pyro.CallT[string](ctx, p, "call_dict", map[string]any{"cb": lis, "msg": "dict"}); err != nil || s != "go got dict" {
			t.Errorf("%s call_dict: %q, %v", ser, s, err)
		}
		if s, err := pyro.CallT[string](ctx, p, "call_kw", "kw", pyro.Kwargs{"cb": lis}); err != nil || s != "go got kw" {
			t.Errorf("%s call_kw: %q, %v", ser, s, err)
		}
	}
}

// TestPythonClientPassesNestedObjects: a Python client's registered objects, passed as
// themselves inside a list and a dict, reach Go parameters of type []*pyro.Proxy and a struct
// with *pyro.Proxy fields.
func TestPythonClientPassesNestedObjects(t *testing.T) {
	_, regURI := newRegistry(t, pyro.DaemonConfig{})
	script := `
import sys, threading, Pyro4
@Pyro4.expose
class Listener(object):
    def __init__(self, name): self.name = name
    def notify(self, msg): return self.name + " got " + msg
d = Pyro4.Daemon(host="127.0.0.1")
a, b = Listener("a"), Listener("b")
d.register(a); d.register(b)
threading.Thread(target=d.requestLoop, daemon=True).start()
Pyro4.config.SERIALIZER = sys.argv[2]
r = Pyro4.Proxy(sys.argv[1])
print(r.notify_all([a, b]))
print(r.notify_struct({"cb": a, "msg": "hello", "More": {"x": b}}))
`
	for _, ser := range []string{"serpent", "json"} { // Pyro4's marshal cannot write nested proxies
		out, err := pytest.Command(context.Background(), "-c", script, regURI.String(), ser).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", ser, err, out)
		}
		if want := fmt.Sprintf("['a got all via %s', 'b got all via %s']\na got hello, b got more\n", ser, ser); string(out) != want {
			t.Errorf("%s: python printed\n%s\nwant\n%s", ser, out, want)
		}
	}
}
