package pyro_test

import (
	"context"
	"encoding/hex"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/internal/pytest"
	"github.com/gopyro/pyro/pyrotest"
)

// TestPyro5PythonClientCallbacks: a Python Pyro5 client passes a callback object (its proxy,
// and the registered object itself, which Pyro5 sends as a proxy) to a Go daemon, which calls
// it back in Pyro5; it gets proxies back from the Go daemon (ProxyFor, autoproxy) and calls
// them.
func TestPyro5PythonClientCallbacks(t *testing.T) {
	hubURI := startHub(t)
	script := `
import sys, threading, Pyro5.api
@Pyro5.api.expose
class Listener:
    def notify(self, msg): return "python5 got " + msg
d = Pyro5.api.Daemon(host="127.0.0.1")
lis = Listener()
uri = d.register(lis)
threading.Thread(target=d.requestLoop, daemon=True).start()
Pyro5.config.SERIALIZER = sys.argv[2]
hub = Pyro5.api.Proxy(sys.argv[1])
print(hub.subscribe(Pyro5.api.Proxy(uri), "hello"))
if sys.argv[2] != "marshal":  # Pyro5's marshal sends the object's vars, not a proxy: refused
    print(hub.subscribe(lis, "itself"))
else:
    print("python5 got itself")
child = hub.child()
print(type(child).__module__, type(child).__name__, child.add(2, 3))
sib = hub.sibling()
print(type(sib).__name__, sib._pyroUri.object, sib.add(1, 1))
`
	for _, ser := range serializers {
		out := pytest.RunPyro5(t, nil, "-c", script, hubURI.String(), ser)
		want := "python5 got hello\npython5 got itself\nPyro5.client Proxy 5\nProxy sibling 2"
		if got := strings.TrimSpace(string(out)); got != want {
			t.Errorf("%s: python printed:\n%s\nwant:\n%s", ser, got, want)
		}
	}
}

// TestGoClientPassesItsObjectsToPyro5: a Go client passes its registered objects to a Python
// Pyro5 server (alone, in a list, in a dict, as a keyword argument), which gets Pyro5 proxies
// and calls them back; the Go daemon serves those calls in Pyro5.
func TestGoClientPassesItsObjectsToPyro5(t *testing.T) {
	ctx := context.Background()
	pyURI := mustParseURI(t, pytest.StartPyro5(t, nil, "uri: ", "testdata/callback5_server.py"))
	var mu sync.Mutex
	protos := map[pyro.WireProtocol]int{}
	mine := pyrotest.NewDaemon(t, pyro.DaemonConfig{Handshake: func(ctx context.Context, data any) (any, error) {
		ci, _ := pyro.ConnInfoFrom(ctx)
		mu.Lock()
		protos[ci.Protocol]++
		mu.Unlock()
		return "hello", nil
	}})
	lis := &listener{prefix: "go got "}
	lisURI, err := mine.Register(lis, pyro.WithID("listener"))
	if err != nil {
		t.Fatal(err)
	}
	for _, ser := range serializers {
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
		var desc []any
		if err := p.Call(ctx, "describe", &desc, lis); err != nil || len(desc) != 3 || desc[0] != "Proxy" || desc[1] != lisURI.String() {
			t.Errorf("%s describe: %v, %v", ser, desc, err)
		}
		if p.WireProtocol() != pyro.Pyro5 {
			t.Errorf("%s: the proxy to the Pyro5 server speaks %v", ser, p.WireProtocol())
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if protos[pyro.Pyro5] == 0 || protos[pyro.Pyro4] != 0 {
		t.Errorf("callback connections by protocol: %v, want Pyro5 only", protos)
	}
}

// callInspector answers with what it learnt of the call: its protocol, correlation id and
// annotations, and sets a response annotation.
type callInspector struct{}

func (callInspector) Who(ctx context.Context) ([]string, error) {
	ci, _ := pyro.CallInfoFrom(ctx)
	conn, _ := pyro.ConnInfoFrom(ctx)
	if err := pyro.SetResponseAnnotation(ctx, "RESP", []byte("from go")); err != nil {
		return nil, err
	}
	return []string{conn.Protocol.String(), hex.EncodeToString(ci.CorrelationID), string(ci.Annotations["XTRA"]),
		string(conn.Annotations["XTRA"]), conn.Handshake.(string)}, nil
}

// TestPyro5ConnectionFeatures: a Python Pyro5 client's handshake data, custom annotations
// (on CONNECT and on calls) and correlation id reach a Go method; its response annotations
// and the daemon's reach the client; a handshake hook may refuse it; instance modes work per
// connection.
func TestPyro5ConnectionFeatures(t *testing.T) {
	d := pyrotest.NewDaemon(t, pyro.DaemonConfig{
		Handshake: func(ctx context.Context, data any) (any, error) {
			if data == "let me in" {
				return "welcome", nil
			}
			return nil, pyro.NewError("builtins.PermissionError", "go away")
		},
		ResponseAnnotations: func(ctx context.Context) pyro.Annotations { return pyro.Annotations{"DAEM": []byte("d")} },
	})
	uri, _ := d.Register(callInspector{}, pyro.WithID("who"))
	sessURI, _ := d.RegisterFactory(pyro.Session, func() *sessionCounter { return &sessionCounter{} })
	perCallURI, _ := d.RegisterFactory(pyro.PerCall, func() *sessionCounter { return &sessionCounter{} })
	script := `
import sys, uuid, Pyro5.api, Pyro5.errors
from Pyro5.callcontext import current_context
uri, sess, percall = sys.argv[1:4]
class Checked(Pyro5.api.Proxy):
    def _pyroValidateHandshake(self, response):
        print("handshake answer", response)
p = Checked(uri)
p._pyroHandshake = "let me in"
current_context.annotations = {"XTRA": b"extra"}
current_context.correlation_id = uuid.UUID("01234567-89ab-4def-8123-456789abcdef")
print(p.who())
print(sorted((k, bytes(v)) for k, v in current_context.response_annotations.items()))
current_context.correlation_id = None
current_context.annotations = {}
proto, corr, ann, connann, hs = p.who()
print(proto, len(corr), corr != "0123456789ab4def8123456789abcdef", repr(ann), repr(connann), hs)
q = Pyro5.api.Proxy(uri)
q._pyroHandshake = "no"
try:
    q._pyroBind()
except Pyro5.errors.CommunicationError as e:
    print("refused:", str(e).split(": ", 1)[1])
s1, s2 = Pyro5.api.Proxy(sess), Pyro5.api.Proxy(sess)
for s in (s1, s2):
    s._pyroHandshake = "let me in"
print(s1.next(), s1.next(), s2.next())
pc = Pyro5.api.Proxy(percall)
pc._pyroHandshake = "let me in"
print(pc.next(), pc.next())
`
	out := pytest.RunPyro5(t, nil, "-c", script, uri.String(), sessURI.String(), perCallURI.String())
	want := strings.Join([]string{
		"handshake answer welcome",
		"['Pyro5', '0123456789ab4def8123456789abcdef', 'extra', 'extra', 'let me in']",
		"[('DAEM', b'd'), ('RESP', b'from go')]",
		"Pyro5 32 True '' 'extra' let me in",
		"refused: go away",
		"1 2 1",
		"1 1",
	}, "\n")
	got := locationRE.ReplaceAllString(strings.TrimSpace(string(out)), "('127.0.0.1', PORT)")
	if got != want {
		t.Fatalf("python printed:\n%s\nwant:\n%s", got, want)
	}
}
