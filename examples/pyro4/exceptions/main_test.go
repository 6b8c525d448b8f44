package main

import (
	"strings"
	"testing"

	"github.com/gopyro/pyro/examples/internal/extest"
)

func TestMain(m *testing.M) { extest.Main(m, main) }

// TestClient runs Pyro4's exceptions client against server.py and against the Go twin: it
// prints the same exceptions (raised, returned, unserializable, and one from deep inside the
// server, caught and then not caught), with the same remote tracebacks but for their frames.
func TestClient(t *testing.T) {
	dir := extest.Dir(t, "exceptions")
	// The client ends with an uncaught exception, which Pyro4's excepthook prints: status 1.
	pyNS := extest.PythonNameServer(t)
	extest.StartPython(t, extest.NSEnv(pyNS), "Pyro daemon running.", dir+"/server.py")
	want := extest.Run(t, extest.Python(extest.NSEnv(pyNS), dir+"/client.py"), "", 1)

	goNS := extest.GoNameServer(t)
	extest.StartGo(t, extest.NSEnv(goNS), "Pyro daemon running.")
	got := extest.Run(t, extest.Python(extest.NSEnv(goNS), dir+"/client.py"), "", 1)

	// The remote tracebacks' frames are the server's source: excep.py's lines, or the Go
	// method. The header, the exception line and the client's own frames must match.
	extest.Same(t, "the client's output", extest.RemoteTracebackFrames(want.Stdout), extest.RemoteTracebackFrames(got.Stdout))
	extest.Same(t, "the client's errors", extest.RemoteTracebackFrames(want.Stderr), extest.RemoteTracebackFrames(got.Stderr))
	for _, s := range []string{"DIVIDE BY ZERO: division by zero\n", "ValueError('a valueerror! Great!'), a valueerror! Great!\n",
		"UNSERIALIZABLE ERROR: unsupported serialized class: excep.UnserializableError\n",
		" | TypeError: unsupported operand type(s) for //: 'str' and 'int'\n"} {
		if !strings.Contains(got.Stdout, s) {
			t.Errorf("against the Go twin the client did not print %q:\n%s", s, got.Stdout)
		}
	}
	t.Logf("against the Go twin the client printed\n%s%s", got.Stdout, got.Stderr)
}
