package gateway_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/gopyro/pyro/gateway"
)

// A differential case: the same request to Pyro5's gateway and to ours.
type diffCase struct {
	method, path string
	header       map[string]string
	body         string
	// how the answers must agree: "" byte for byte (status, content type, body, and the
	// correlation id header's presence); the others are the README's documented differences.
	rule string
}

const (
	ruleMeta     = "meta"     // $meta: same methods and attributes (Python's set order aside), plus our oneway
	ruleNotFound = "notfound" // unknown name: ours 404 where Pyro5 says 500, same class and args, no NS traceback
	ruleBadCorr  = "badcorr"  // malformed correlation id: ours 400 where Pyro5 says 500, same body
)

func g(path string) diffCase { return diffCase{method: http.MethodGet, path: path} }

func (c diffCase) with(k, v string) diffCase {
	h := map[string]string{k: v}
	for hk, hv := range c.header {
		h[hk] = hv
	}
	c.header = h
	return c
}

func (c diffCase) as(rule string) diffCase { c.rule = rule; return c }

// echoCases work against Pyro5's echo server and ours alike.
var echoCases = []diffCase{
	g("pyro/test.echoserver/echo?message=hi%C3%A9"),
	g("pyro/test.echoserver/echo?message=a&message=b"),
	g("pyro/test.echoserver/echo?message=a+b%20c%zz&ignored=&flag"),
	g("pyro/test.echoserver/error"),
	g("pyro/test.echoserver/nope"),
	g("pyro/test.echoserver/echo"),
	g("pyro/test.echoserver/verbose"),
	g("pyro/test.echoserver/verbose?x=1"),
	g("pyro/test.echoserver/oneway_echo?message=1"),
	g("pyro/test.echoserver/echo?message=x").with("X-Pyro-Options", "oneway"),
	g("pyro/test.echoserver/echo?message=x").with("X-Pyro-Correlation-Id", "11112222-1111-2222-3333-222244449999"),
	g("pyro/test.echoserver/echo?message=x").with("X-Pyro-Correlation-Id", "not-a-uuid").as(ruleBadCorr),
	g("pyro/test.echoserver/nan"),
	g("pyro/test.echoserver/inf"),
	g("pyro/test.echoserver/__dunder__"),
	{method: http.MethodPost, path: "pyro/test.echoserver/echo?message=posted"},
	g("pyro/test.echoserver/$meta").as(ruleMeta),
	g("pyro/Pyro.NameServer/$meta").as(ruleMeta),
	g("pyro/Pyro.NameServer/list?prefix=test."),
	g("pyro/Pyro.NameServer/lookup?name=test.echoserver"),
	g("pyro/Pyro.NameServer/count"),
	g("pyro/Pyro.NameServer/ping"),
	g("pyro/Pyro.NameServer/lookup?name=nothing.here"),
	g("pyro/nope/x"),
	g("pyro/a/b/c"),
	g("pyro/test.echoserver"),
	g("pyro/test.nope/x").as(ruleNotFound),
	g("elsewhere"),
	{method: http.MethodOptions, path: "pyro/test.echoserver/echo"},
	{method: http.MethodPut, path: "pyro/test.echoserver/echo"},
}

// valueCases render Python values through Pyro5's json serializer (testdata/values5.py).
var valueCases = []diffCase{
	g("pyro/test.values/tuple"),
	g("pyro/test.values/set"),
	g("pyro/test.values/datetime"),
	g("pyro/test.values/date"),
	g("pyro/test.values/decimal"),
	g("pyro/test.values/uuid"),
	g("pyro/test.values/point"),
	g("pyro/test.values/bigint"),
	g("pyro/test.values/floats"),
	g("pyro/test.values/text"),
	g("pyro/test.values/nested"),
	g("pyro/test.values/add?a=1&b=2"),
	g("pyro/test.values/greet?name=w%C3%B6rld&greeting=hi"),
	g("pyro/test.values/greet?greeting=hi&name=you"),
	g("pyro/test.values/greet?nme=typo"),
	g("pyro/test.values/custom_error"),
	g("pyro/test.values/answer"),
	g("pyro/test.values/fire?x=1"),
	g("pyro/test.values/$meta").as(ruleMeta),
	g("pyro/test.values/correlation").with("X-Pyro-Correlation-Id", "{ABCDEF00-1111-2222-3333-222244449999}"),
	g("pyro/Pyro.NameServer/lookup?name=test.values"),
}

// TestDifferentialPyro5Objects puts Pyro5's gateway and ours in front of Pyro5's name server,
// echo server and a Python object returning many kinds of values.
func TestDifferentialPyro5Objects(t *testing.T) {
	ns := startPyro5NS(t)
	startPyro5Echo(t, ns)
	startPyro5Values(t, ns)
	expose := `test\.|Pyro\.`
	theirs := startPyro5Gateway(t, ns, "-e", expose)
	ours := startGoGateway(t, ns, gateway.Config{Expose: expose, CORS: "*"})
	runDiff(t, theirs, ours, append(slices.Clone(echoCases), valueCases...))
}

// TestDifferentialGoObjects puts both gateways in front of our name server and echo server
// (Pyro5's gateway speaks Pyro5 to them).
func TestDifferentialGoObjects(t *testing.T) {
	ns := startGoNS(t)
	startGoEcho(t, ns)
	expose := `test\.|Pyro\.`
	theirs := startPyro5Gateway(t, ns, "-e", expose)
	ours := startGoGateway(t, ns, gateway.Config{Expose: expose, CORS: "*"})
	runDiff(t, theirs, ours, echoCases)
}

// TestDifferentialGatewayKey compares the gateway key's checks.
func TestDifferentialGatewayKey(t *testing.T) {
	ns := startGoNS(t)
	startGoEcho(t, ns)
	theirs := startPyro5Gateway(t, ns, "-e", `test\.`, "-g", "s3cret")
	ours := startGoGateway(t, ns, gateway.Config{Expose: `test\.`, GatewayKey: "s3cret", CORS: "*"})
	runDiff(t, theirs, ours, []diffCase{
		g("pyro/test.echoserver/echo?message=1"),
		g("pyro/test.echoserver/echo?message=1").with("X-Pyro-Gateway-Key", "wrong"),
		g("pyro/test.echoserver/echo?message=1").with("X-Pyro-Gateway-Key", "s3cret"),
		g("pyro/test.echoserver/echo?message=1&$key=s3cret"),
		g("pyro/test.echoserver/echo?message=1&%24key=wrong"),
		g("pyro/other/echo").with("X-Pyro-Gateway-Key", "s3cret"),
		g("pyro/other/echo"),
	})
}

func runDiff(t *testing.T, theirs, ours string, cases []diffCase) {
	t.Helper()
	for _, c := range cases {
		want := do(t, c.method, theirs+c.path, c.header, c.body)
		got := do(t, c.method, ours+c.path, c.header, c.body)
		name := c.method + " " + c.path
		if len(c.header) > 0 {
			name += " " + strings.Join(slices.Sorted(mapKeys(c.header)), ",")
		}
		compare(t, name, c.rule, want, got)
		if testing.Verbose() {
			t.Logf("%s -> %d %s", name, got.status, got.body)
		}
	}
	t.Logf("%d requests answered alike by Pyro5's gateway (%s) and ours (%s)", len(cases), theirs, ours)
}

func mapKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func compare(t *testing.T, name, rule string, want, got answer) {
	t.Helper()
	switch rule {
	case "":
		if got.status != want.status || got.contentType != want.contentType || got.body != want.body {
			t.Errorf("%s:\n Pyro5: %d %q %s\n ours:  %d %q %s", name, want.status, want.contentType, want.body, got.status, got.contentType, got.body)
		}
		wc, gc := want.header.Get("X-Pyro-Correlation-Id"), got.header.Get("X-Pyro-Correlation-Id")
		if (wc == "") != (gc == "") || strings.HasPrefix(name, "GET") && strings.Contains(name, "X-Pyro-Correlation-Id") && wc != gc {
			t.Errorf("%s: X-Pyro-Correlation-Id: Pyro5 %q, ours %q", name, wc, gc)
		}
	case ruleMeta:
		var w, g map[string][]string
		if err := json.Unmarshal([]byte(want.body), &w); err != nil || want.status != 200 {
			t.Fatalf("%s: Pyro5 answered %d %s (%v)", name, want.status, want.body, err)
		}
		if err := json.Unmarshal([]byte(got.body), &g); err != nil || got.status != 200 || got.contentType != want.contentType {
			t.Fatalf("%s: ours answered %d %q %s (%v)", name, got.status, got.contentType, got.body, err)
		}
		for _, k := range []string{"methods", "attributes"} {
			slices.Sort(w[k])
			if !slices.Equal(w[k], g[k]) {
				t.Errorf("%s: %s: Pyro5 %v, ours %v", name, k, w[k], g[k])
			}
		}
		if _, ok := g["oneway"]; !ok {
			t.Errorf("%s: ours has no oneway list: %s", name, got.body)
		}
		if !strings.HasPrefix(got.body, `{"methods": [`) {
			t.Errorf("%s: ours is not laid out as Pyro5's: %s", name, got.body)
		}
	case ruleNotFound:
		if want.status != 500 || got.status != 404 || got.contentType != want.contentType {
			t.Fatalf("%s: Pyro5 %d %q, ours %d %q (want 500 and 404, both JSON)", name, want.status, want.contentType, got.status, got.contentType)
		}
		var w, g struct {
			Class      string         `json:"__class__"`
			Args       []any          `json:"args"`
			Attributes map[string]any `json:"attributes"`
		}
		json.Unmarshal([]byte(want.body), &w)
		json.Unmarshal([]byte(got.body), &g)
		if w.Class != g.Class || len(w.Args) != 1 || len(g.Args) != 1 || w.Args[0] != g.Args[0] {
			t.Errorf("%s:\n Pyro5: %s\n ours:  %s", name, want.body, got.body)
		}
		if len(g.Attributes) != 0 {
			t.Errorf("%s: ours shows the name server's internals: %s", name, got.body)
		}
	case ruleBadCorr:
		if want.status != 500 || got.status != 400 || got.body != want.body || got.contentType != want.contentType {
			t.Errorf("%s:\n Pyro5: %d %s\n ours:  %d %s (want 400 and the same body)", name, want.status, want.body, got.status, got.body)
		}
	}
}
