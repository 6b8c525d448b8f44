package pyro_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/internal/pytest"
	"github.com/gopyro/pyro/pyrotest"
)

// hub calls back whatever proxy it is given, and hands out proxies to its other objects.
type hub struct {
	d       *pyro.Daemon
	sibling *calc
}

func (h *hub) Subscribe(ctx context.Context, cb *pyro.Proxy, msg string) (string, error) {
	defer cb.Close()
	var reply string
	err := cb.Call(ctx, "notify", &reply, msg)
	return reply, err
}

func (h *hub) Child() (*pyro.Proxy, error) { return h.d.ProxyFor("child") }

// Sibling returns the registered object itself; autoproxy sends a proxy to it.
func (h *hub) Sibling() *calc { return h.sibling }

type listener struct{ prefix string }

func (l *listener) Notify(msg string) string { return l.prefix + msg }

func startHub(t *testing.T) pyro.URI {
	var uri pyro.URI
	d := pyrotest.NewDaemon(t, pyro.DaemonConfig{Host: "127.0.0.1"})
	sibling := &calc{}
	uri, _ = d.Register(&hub{d: d, sibling: sibling}, pyro.WithID("hub"))
	d.Register(&calc{}, pyro.WithID("child"))
	d.Register(sibling, pyro.WithID("sibling"))
	return uri
}

// TestCallbacksGoToGo: a Go client passes a proxy to its own object; the daemon calls it back.
func TestCallbacksGoToGo(t *testing.T) {
	hubURI := startHub(t)
	var lisURI pyro.URI
	d := pyrotest.NewDaemon(t, pyro.DaemonConfig{Host: "127.0.0.1"})
	lisURI, _ = d.Register(&listener{prefix: "go got "})
	ctx := context.Background()
	p := pyrotest.NewProxy(t, hubURI)
	cb := pyrotest.NewProxy(t, lisURI)
	if s, err := pyro.CallT[string](ctx, p, "subscribe", cb, "hi"); err != nil || s != "go got hi" {
		t.Fatalf("callback: %q %v", s, err)
	}
	child, err := pyro.CallT[*pyro.Proxy](ctx, p, "child")
	if err != nil {
		t.Fatal(err)
	}
	defer child.Close()
	if n, err := pyro.CallT[int](ctx, child, "add", 2, 3); err != nil || n != 5 {
		t.Fatalf("returned proxy: %v %v", n, err)
	}
}

// TestCallbacksWithPython: a Python client hands our daemon a proxy to its own Python object
// and gets a proxy back from us.
func TestCallbacksWithPython(t *testing.T) {
	hubURI := startHub(t)
	script := `
import sys, threading, Pyro4
@Pyro4.expose
class Listener:
    def notify(self, msg): return "python got " + msg
d = Pyro4.Daemon(host="127.0.0.1")
uri = d.register(Listener())
threading.Thread(target=d.requestLoop, daemon=True).start()
hub = Pyro4.Proxy(sys.argv[1])
print(hub.subscribe(Pyro4.Proxy(uri), "hello"))
child = hub.child()
print(type(child).__name__, child.add(2, 3))
sib = hub.sibling()
print(type(sib).__name__, sib._pyroUri.object, sib.add(1, 1))
`
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := pytest.Command(ctx, "-c", script, hubURI.String()).CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "python got hello\nProxy 5\nProxy sibling 2" {
		t.Fatalf("python said:\n%s", got)
	}
}
