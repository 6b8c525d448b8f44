package pyro_test

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/internal/pytest"
	"github.com/gopyro/pyro/pyrotest"
	"github.com/gopyro/pyro/pyval"
)

// wantCallError checks err is a *CallError for method on uri whose text starts as a log line
// should: "pyro: call METHOD on URI: ...".
func wantCallError(t *testing.T, err error, method string, uri pyro.URI, contains ...string) *pyro.CallError {
	t.Helper()
	var ce *pyro.CallError
	if !errors.As(err, &ce) {
		t.Fatalf("error %v (%T), want a *pyro.CallError", err, err)
	}
	if ce.Method != method || ce.URI != uri {
		t.Errorf("CallError names %s on %s, want %s on %s", ce.Method, ce.URI, method, uri)
	}
	prefix := "pyro: " + ce.Op + " " + method + " on " + uri.String() + ": "
	if !strings.HasPrefix(err.Error(), prefix) {
		t.Errorf("error %q does not start with %q", err, prefix)
	}
	for _, c := range contains {
		if !strings.Contains(err.Error(), c) {
			t.Errorf("error %q lacks %q", err, c)
		}
	}
	return ce
}

// TestCallErrorNamesDeadline: a call that outlives its context's deadline, or the proxy's
// CommTimeout, says which call on which object, and still matches ErrCommunication and
// context.DeadlineExceeded.
func TestCallErrorNamesDeadline(t *testing.T) {
	_, _, uri := newCalcDaemon(t)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	p := pyrotest.NewProxy(t, uri)
	err := p.Call(ctx, "Sleep", nil, 300)
	wantCallError(t, err, "sleep", uri, ": communication error: ", "deadline exceeded")
	if !errors.Is(err, pyro.ErrCommunication) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("%v: not ErrCommunication and DeadlineExceeded", err)
	}

	cfg := pyro.ProxyConfig{}
	cfg.CommTimeout = 50 * time.Millisecond
	p = pyrotest.NewProxy(t, uri, pyro.WithConfig(cfg))
	err = p.Call(context.Background(), "sleep", nil, 300)
	wantCallError(t, err, "sleep", uri, "deadline exceeded")
	if !errors.Is(err, pyro.ErrCommunication) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("%v: not ErrCommunication and DeadlineExceeded", err)
	}
}

// TestCallErrorNamesEveryFailure: refused connections, a closed proxy, an unknown method, an
// undecodable result, attributes and streams all name the call.
func TestCallErrorNamesEveryFailure(t *testing.T) {
	ctx := context.Background()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := pyro.URI{Protocol: pyro.ProtocolPyro, Object: "gone", Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port}
	ln.Close()
	err = pyrotest.NewProxy(t, dead).Call(ctx, "get_rate", nil, "EURUSD")
	wantCallError(t, err, "get_rate", dead, "communication error: cannot connect to 127.0.0.1:")
	if !errors.Is(err, pyro.ErrCommunication) {
		t.Errorf("%v: not ErrCommunication", err)
	}
	for item, err := range pyrotest.NewProxy(t, dead).Stream(ctx, "countdown", 3) {
		wantCallError(t, err, "countdown", dead, "cannot connect")
		_ = item
	}

	_, _, uri := newCalcDaemon(t)
	p := pyrotest.NewProxy(t, uri)
	wantCallError(t, p.Call(ctx, "nope", nil), "nope", uri, "no exposed method or attribute")
	if err := p.Call(ctx, "nope", nil); !errors.Is(err, pyro.ErrNoSuchMethod) {
		t.Errorf("%v: not ErrNoSuchMethod", err)
	}
	var n int
	wantCallError(t, p.Call(ctx, "rates", &n, map[string]float64{"a": 1}), "rates", uri, "result: ")
	wantCallError(t, p.GetAttr(ctx, "nope", &n), "nope", uri, "no exposed method or attribute")
	if err := p.SetAttr(ctx, "scale", "not a float"); err == nil {
		t.Error("SetAttr of a str into a float64 worked")
	} else if errors.As(err, new(*pyro.CallError)) {
		t.Errorf("a remote TypeError became a CallError: %v", err)
	}

	p.Close()
	err = p.Call(ctx, "add", nil, 1, 2)
	wantCallError(t, err, "add", uri, "proxy closed")
	if !errors.Is(err, pyro.ErrProxyClosed) {
		t.Errorf("%v: not ErrProxyClosed", err)
	}
}

// TestRemoteExceptionsPassUnwrapped: what the remote method raised is the *RemoteError
// itself, with Pyro4's text; only an argument count is restated for Go.
func TestRemoteExceptionsPassUnwrapped(t *testing.T) {
	_, _, uri := newCalcDaemon(t)
	p := pyrotest.NewProxy(t, uri)
	err := p.Call(context.Background(), "divide", nil, 1, 0)
	if re, ok := err.(*pyro.RemoteError); !ok || re.Error() != "builtins.ZeroDivisionError: float division by zero" {
		t.Errorf("divide: %v (%T)", err, err)
	}
}

type joiner struct{}

func (joiner) Join(sep string, parts ...string) string { return strings.Join(parts, sep) }

// TestArgumentCountForGoCallers: a Go caller's count error counts Go arguments; the
// *RemoteError inside keeps Pyro4's exact TypeError, which Python callers get unchanged.
func TestArgumentCountForGoCallers(t *testing.T) {
	_, _, uri := newCalcDaemon(t)
	ctx := context.Background()
	p := pyrotest.NewProxy(t, uri)
	cases := []struct {
		method string
		args   []any
		goText string
		pyText string
	}{
		{"add", []any{1}, "wrong number of arguments: add takes 2, got 1", "calc.add() takes 3 positional arguments but 2 were given"},
		{"Add", []any{1, 2, 3}, "wrong number of arguments: add takes 2, got 3", "calc.add() takes 3 positional arguments but 4 were given"},
	}
	for _, c := range cases {
		err := p.Call(ctx, c.method, nil, c.args...)
		wantCallError(t, err, "add", uri, c.goText, "(remote builtins.TypeError: "+c.pyText+")")
		var re *pyro.RemoteError
		if !errors.As(err, &re) || re.Class != "builtins.TypeError" || re.Message() != c.pyText {
			t.Errorf("%s%v: remote error %v", c.method, c.args, re)
		}
	}
	jp := pyrotest.NewProxy(t, pyrotest.Serve(t, joiner{}, pyro.WithID("joiner")))
	err := jp.Call(ctx, "join", nil)
	wantCallError(t, err, "join", jp.URI(), "wrong number of arguments: join takes at least 1, got 0 (remote builtins.TypeError: joiner.join() takes at least 2 positional arguments but 1 was given)")
}

// TestArgumentCountAgainstPythonServer: the same restating works on Pyro4's own TypeError
// from a Python daemon.
func TestArgumentCountAgainstPythonServer(t *testing.T) {
	uri, err := pyro.ParseURI(startPythonEchoServer(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	p := pyrotest.NewProxy(t, uri)
	err = p.Call(context.Background(), "echo", nil, 1, 2)
	wantCallError(t, err, "echo", uri, "wrong number of arguments: echo takes 1, got 2 (remote builtins.TypeError: ")
	var re *pyro.RemoteError
	if !errors.As(err, &re) || !strings.HasSuffix(re.Message(), "echo() takes 2 positional arguments but 3 were given") {
		t.Errorf("remote error %v", re)
	}
	// A missing argument needs no restating: Python's text does not count self there.
	err = p.Call(context.Background(), "echo", nil)
	if re, ok := err.(*pyro.RemoteError); !ok || !strings.HasSuffix(re.Message(), "echo() missing 1 required positional argument: 'message'") {
		t.Errorf("echo(): %v (%T)", err, err)
	}
}

// TestNewProxyRefusesUnusableURIs: a URI no call could use is refused at once.
func TestNewProxyRefusesUnusableURIs(t *testing.T) {
	for _, c := range []struct {
		uri  pyro.URI
		want string
	}{
		{pyro.URI{}, "pyro: invalid uri: a proxy needs a PYRO, PYRONAME or PYROMETA URI, got the zero URI"},
		{pyro.URI{Protocol: "HTTP", Object: "x", Host: "h", Port: 1}, `got protocol "HTTP"`},
		{pyro.URI{Protocol: pyro.ProtocolPyro, Host: "h", Port: 1}, "PYRO URI without an object"},
		{pyro.URI{Protocol: pyro.ProtocolPyroName}, "PYRONAME URI without an object"},
		{pyro.URI{Protocol: pyro.ProtocolPyro, Object: "x"}, "PYRO:x has no location"},
	} {
		_, err := pyro.NewProxyURI(c.uri)
		if !errors.Is(err, pyro.ErrInvalidURI) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewProxyURI(%#v): %v, want %q", c.uri, err, c.want)
		}
	}
}

// TestMetadataOfReceivedProxy: a proxy that arrived with its metadata answers Metadata from
// it; its object need not even be reachable.
func TestMetadataOfReceivedProxy(t *testing.T) {
	var p pyro.Proxy
	state := pyval.Tuple{"PYRO:obj@127.0.0.1:1", pyval.Tuple{"fire"}, pyval.Tuple{"fire", "get"}, pyval.Tuple{"size"},
		0.0, nil, "hello", int64(0), nil}
	if err := p.UnmarshalPython(pyval.DictOf("__class__", "Pyro4.core.Proxy", "state", state)); err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	methods, oneway, attrs, err := p.Metadata(ctx)
	if err != nil || !slices.Equal(methods, []string{"fire", "get"}) || !slices.Equal(oneway, []string{"fire"}) || !slices.Equal(attrs, []string{"size"}) {
		t.Errorf("Metadata: %v %v %v %v", methods, oneway, attrs, err)
	}
}

// inspector reports what a proxy it receives knows, without calling it.
type inspector struct{}

func (inspector) Inspect(ctx context.Context, p *pyro.Proxy) ([]string, error) {
	defer p.Close()
	methods, _, attrs, err := p.Metadata(ctx)
	return append(methods, attrs...), err
}

// TestMetadataOfProxyFromPython: a Pyro4 client passes a bound proxy of its own; our method
// reads its metadata from what came with it, although the object is gone by then.
func TestMetadataOfProxyFromPython(t *testing.T) {
	uri := pyrotest.Serve(t, inspector{})
	script := `
import sys, Pyro4
@Pyro4.expose
class Thing(object):
    def ping(self): return "pong"
    @property
    def size(self): return 1
d = Pyro4.Daemon(host="127.0.0.1")
thing = Pyro4.Proxy(d.register(Thing))
d.close()  # nothing answers at the thing's address any more
thing._pyroMethods, thing._pyroAttrs = {"ping"}, {"size"}  # as a bound proxy knows them
print(sorted(Pyro4.Proxy(sys.argv[1]).inspect(thing)))
`
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := pytest.Command(ctx, "-c", script, uri.String()).CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "['ping', 'size']" {
		t.Errorf("inspect: %s", got)
	}
}
