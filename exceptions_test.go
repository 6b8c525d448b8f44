package pyro_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/internal/pytest"
	"github.com/gopyro/pyro/pyrotest"
)

// thrower is the Go twin of testdata/exceptions_server.py.
type thrower struct{}

func (thrower) ValueError() error { return pyro.NewError("builtins.ValueError", "bad value") }
func (thrower) KeyError() error   { return pyro.NewError("builtins.KeyError", "k") }
func (thrower) NamingError() error {
	return pyro.NewError("Pyro4.errors.NamingError", "no such name")
}
func (thrower) EmptyError() error { return &pyro.RemoteError{Class: "builtins.ValueError"} }
func (thrower) TwoArgs() error {
	return &pyro.RemoteError{Class: "builtins.ValueError", Args: []any{"a", int64(2)}}
}
func (thrower) Boom() error { panic("kaboom") }

// Returned returns an exception as a value, as Python code may: the caller gets an instance.
func (thrower) Returned() any { return pyro.NewError("builtins.ValueError", "a valueerror! Great!") }

func (thrower) ReturnedNested() map[string]any {
	return map[string]any{"err": pyro.NewError("builtins.KeyError", "k"),
		"list": []*pyro.Error{pyro.NewError("Pyro4.errors.NamingError", "x")}}
}

func (thrower) Nothing() []string          { return nil }
func (thrower) NothingMap() map[string]int { return nil }
func (thrower) Greet(name string) string   { return "hello " + name }
func (thrower) Total(p struct{ X, Y int }) int {
	return p.X + p.Y
}

var addrRE = regexp.MustCompile(`127\.0\.0\.1:\d+`)

func runExceptionsClient(t *testing.T, uri, ser string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := pytest.Command(ctx, "testdata/exceptions_client.py", uri, ser)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("exceptions client (%s) against %s: %v\n%s%s", ser, uri, err, out, stderr.String())
	}
	return addrRE.ReplaceAllString(string(out), "ADDR")
}

// TestPythonSeesGoExceptionsAsPyro4s runs one Python client against a Python server and its
// Go twin: raised exceptions (their type, str, repr, attributes and the traceback Pyro4's
// getPyroTraceback prints, frames aside), exceptions returned as values, nil slices and maps,
// and None sent for Go values must all look the same.
func TestPythonSeesGoExceptionsAsPyro4s(t *testing.T) {
	pyURI := pytest.Start(t, nil, "uri: ", "testdata/exceptions_server.py")
	d := pyrotest.NewDaemon(t, pyro.DaemonConfig{Host: "127.0.0.1", Logger: slog.New(slog.DiscardHandler)})
	goURI, err := d.Register(thrower{}, pyro.WithID("thrower"))
	if err != nil {
		t.Fatal(err)
	}
	for _, ser := range []string{"serpent", "json", "marshal"} {
		t.Run(ser, func(t *testing.T) {
			want := runExceptionsClient(t, pyURI, ser)
			got := runExceptionsClient(t, goURI.String(), ser)
			if want != got {
				t.Fatalf("against Python's server:\n%s\nagainst the Go twin:\n%s", want, got)
			}
			for _, s := range []string{"ValueError: bad value\n", "KeyError: 'k'\n", "Pyro4.errors.NamingError: no such name\n",
				"ValueError('a valueerror! Great!'), a valueerror! Great!", "[] []", "hello  2"} {
				if !strings.Contains(got, s) {
					t.Errorf("the client's output lacks %q:\n%s", s, got)
				}
			}
		})
	}
}

// TestGoTracebacks: what a Go daemon sends as _pyroTraceback is Python's shape (the class
// once, as traceback.format_exception_only writes it) and tells nothing of the server's files
// unless the daemon opts in with DetailedTraceback; a panic's stack goes to the server's log.
func TestGoTracebacks(t *testing.T) {
	ctx := context.Background()
	var log bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&log, nil))
	quiet := pyrotest.NewDaemon(t, pyro.DaemonConfig{Logger: slog.New(slog.DiscardHandler)})
	plainURI, _ := quiet.Register(thrower{})
	plain := pyrotest.NewProxy(t, plainURI)
	d := pyrotest.NewDaemon(t, pyro.DaemonConfig{DetailedTraceback: true, Logger: logger})
	uri, _ := d.Register(thrower{})
	detailed := pyrotest.NewProxy(t, uri)

	call := func(p *pyro.Proxy, method string) *pyro.RemoteError {
		t.Helper()
		var re *pyro.RemoteError
		if err := p.Call(ctx, method, nil); !errors.As(err, &re) {
			t.Fatalf("%s: %v, want a *RemoteError", method, err)
		}
		return re
	}
	for method, want := range map[string]string{
		"value_error":  "Traceback (most recent call last):\n  in Go method thrower.value_error\nValueError: bad value\n",
		"key_error":    "Traceback (most recent call last):\n  in Go method thrower.key_error\nKeyError: 'k'\n",
		"naming_error": "Traceback (most recent call last):\n  in Go method thrower.naming_error\nPyro4.errors.NamingError: no such name\n",
		"empty_error":  "Traceback (most recent call last):\n  in Go method thrower.empty_error\nValueError\n",
		"boom":         "Traceback (most recent call last):\n  in Go method thrower.boom\nRuntimeError: panic in boom: kaboom\n",
	} {
		if tb := strings.Join(call(plain, method).Traceback, ""); tb != want {
			t.Errorf("%s traceback:\n%s\nwant:\n%s", method, tb, want)
		}
	}
	if re := call(plain, "boom"); re.Class != "builtins.RuntimeError" || re.Message() != "panic in boom: kaboom" {
		t.Errorf("panic: %v", re)
	}

	// Opting in: the panic's frames, Python-style, with the file that panicked.
	tb := strings.Join(call(detailed, "boom").Traceback, "")
	t.Logf("detailed panic traceback:\n%s", tb)
	if !regexp.MustCompile(`(?m)^  File ".*/exceptions_test\.go", line \d+, in github\.com/gopyro/pyro_test\.thrower\.Boom$`).MatchString(tb) ||
		!strings.HasSuffix(tb, "RuntimeError: panic in boom: kaboom\n") || strings.Contains(tb, "reflect.") || strings.Contains(tb, "serverConn") {
		t.Errorf("detailed panic traceback:\n%s", tb)
	}
	tb = strings.Join(call(detailed, "value_error").Traceback, "")
	if !strings.Contains(tb, "  Go error *pyro.Error: builtins.ValueError: bad value\n") {
		t.Errorf("detailed error traceback:\n%s", tb)
	}
	if !strings.Contains(log.String(), "kaboom") || !strings.Contains(log.String(), "exceptions_test.go") {
		t.Errorf("the server's log lacks the panic's stack:\n%s", log.String())
	}
}

// TestDetailedTracebackFromEnv: PYRO_DETAILED_TRACEBACK is Pyro4's switch.
func TestDetailedTracebackFromEnv(t *testing.T) {
	t.Setenv("PYRO_DETAILED_TRACEBACK", "true")
	if c, err := pyro.DaemonConfigFromEnv(); err != nil || !c.DetailedTraceback {
		t.Errorf("PYRO_DETAILED_TRACEBACK=true: %v, %v", c.DetailedTraceback, err)
	}
	t.Setenv("PYRO_DETAILED_TRACEBACK", "maybe")
	if _, err := pyro.DaemonConfigFromEnv(); err == nil || !strings.Contains(err.Error(), "PYRO_DETAILED_TRACEBACK") {
		t.Errorf("PYRO_DETAILED_TRACEBACK=maybe: %v", err)
	}
}

// TestExceptionValuesGoAndPython: an exception returned as a value decodes into a
// *RemoteError when asked, whether a Python or a Go method returned it, and an *Error or
// *RemoteError a Go client sends as an argument reaches a Python method as an exception
// instance.
func TestExceptionValuesGoAndPython(t *testing.T) {
	ctx := context.Background()
	pyURI := pytest.Start(t, nil, "uri: ", "testdata/exceptions_server.py")
	goURI := pyrotest.Serve(t, thrower{})
	for _, uri := range []pyro.URI{mustParseURI(t, pyURI), goURI} {
		p := pyrotest.NewProxy(t, uri)
		re, err := pyro.CallT[*pyro.RemoteError](ctx, p, "returned")
		if err != nil || re == nil || re.Class != "builtins.ValueError" || re.Message() != "a valueerror! Great!" {
			t.Errorf("%s: returned = %#v, %v", uri, re, err)
		}
		var nested struct {
			Err  *pyro.RemoteError
			List []pyro.RemoteError
		}
		if err := p.Call(ctx, "returned_nested", &nested); err != nil || nested.Err.Error() != "builtins.KeyError: 'k'" ||
			len(nested.List) != 1 || nested.List[0].Class != "Pyro4.errors.NamingError" || !errors.Is(&nested.List[0], pyro.ErrNaming) {
			t.Errorf("%s: returned_nested = %+v, %v", uri, nested, err)
		}
		if _, err := pyro.CallT[*pyro.RemoteError](ctx, p, "greet", "x"); err == nil || !strings.Contains(err.Error(), "not an exception object") {
			t.Errorf("%s: a str into a *RemoteError: %v", uri, err)
		}
	}

	// Go → Python: exceptions as arguments arrive as exception instances.
	script := `
import sys, Pyro4
@Pyro4.expose
class Judge(object):
    def describe(self, e):
        return "%s.%s %r %s" % (type(e).__module__, type(e).__name__, e.args, sorted(vars(e)))
d = Pyro4.Daemon(host="127.0.0.1")
print("uri:", d.register(Judge(), "judge"))
sys.stdout.flush()
d.requestLoop()
`
	judgeURI := pytest.Start(t, nil, "uri: ", "-c", script)
	p := pyrotest.NewProxy(t, mustParseURI(t, judgeURI))
	for _, c := range []struct {
		arg  any
		want string
	}{
		{pyro.NewError("builtins.ValueError", "bad %d", 7), "builtins.ValueError ('bad 7',) []"},
		{&pyro.RemoteError{Class: "builtins.KeyError", Args: []any{"k"}, Traceback: []string{"tb\n"}}, "builtins.KeyError ('k',) ['_pyroTraceback']"},
		{pyro.NewError("Pyro4.errors.NamingError", "gone"), "Pyro4.errors.NamingError ('gone',) []"},
	} {
		if s, err := pyro.CallT[string](ctx, p, "describe", c.arg); err != nil || s != c.want {
			t.Errorf("describe(%v) = %q, %v; want %q", c.arg, s, err, c.want)
		}
	}
}

// TestHandshakeRejectionText: a Go daemon refusing a handshake sends the reason as Pyro4 does,
// str(exception) without the class, and a Python client prints the same as for a Python
// daemon whose validateHandshake raised the same exception.
func TestHandshakeRejectionText(t *testing.T) {
	for _, c := range []struct {
		pyRaise string
		goErr   error
	}{
		{`ValueError("wrong secret code, connection refused")`, pyro.NewError("builtins.ValueError", "wrong secret code, connection refused")},
		{`KeyError("who")`, pyro.NewError("builtins.KeyError", "who")},
		{`Exception("plain")`, errors.New("plain")},
	} {
		server := fmt.Sprintf(`
import sys, Pyro4
class Strict(Pyro4.Daemon):
    def validateHandshake(self, conn, data):
        raise %s
d = Strict(host="127.0.0.1")
print("uri:", d.uriFor(Pyro4.constants.DAEMON_NAME))
sys.stdout.flush()
d.requestLoop()
`, c.pyRaise)
		pyURI := pytest.Start(t, nil, "uri: ", "-c", server)
		goErr := c.goErr
		d := pyrotest.NewDaemon(t, pyro.DaemonConfig{Host: "127.0.0.1",
			Handshake: func(context.Context, any) (any, error) { return nil, goErr }})
		goURI := d.URIFor(pyro.DaemonObjectID)
		client := `
import sys, Pyro4
p = Pyro4.Proxy(sys.argv[1])
try:
    p._pyroBind()
except Exception as x:
    print(type(x).__name__, x)
`
		run := func(uri string) string {
			out, err := pytest.Command(context.Background(), "-c", client, uri).CombinedOutput()
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			return locationRE.ReplaceAllString(string(out), "ADDR")
		}
		want, got := run(pyURI), run(goURI.String())
		if want != got {
			t.Errorf("handshake raising %s: Python's daemon gave\n%s\nours\n%s", c.pyRaise, want, got)
		}
		// A Go client sees the same reason.
		_, err := pyro.CallT[any](context.Background(), pyrotest.NewProxy(t, goURI), "ping")
		if !errors.Is(err, pyro.ErrConnectFailed) || !strings.HasSuffix(err.Error(), strings.TrimSpace(strings.SplitN(got, "rejected: ", 2)[1])) {
			t.Errorf("Go client: %v; Python printed %s", err, got)
		}
	}
}

func mustParseURI(t *testing.T, s string) pyro.URI {
	t.Helper()
	u, err := pyro.ParseURI(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
