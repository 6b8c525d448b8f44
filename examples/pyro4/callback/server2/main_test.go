package main

import (
	"testing"

	"github.com/gopyro/pyro/examples/internal/extest"
)

func TestMain(m *testing.M) { extest.Main(m, main) }

// TestClient2 runs Pyro4's callback client2.py against server2.py and against the Go twin.
// client2.py serves its callback object until interrupted, so the test stops it once both
// callbacks came and the server is done. The client prints the same, and the servers print
// the client's exceptions with the same remote tracebacks.
func TestClient2(t *testing.T) { testClient2(t, extest.Pyro{}) }

// TestPyro5Client2 is TestClient2 with Pyro5's client2.py and server2.py (the same programs,
// ported; server2.py claims the callback proxy for its thread, which a Go proxy needs not)
// and Pyro5's name server.
func TestPyro5Client2(t *testing.T) { testClient2(t, extest.Pyro{V5: true}) }

func testClient2(t *testing.T, py extest.Pyro) {
	dir := py.Dir(t, "callback")
	run := func(server *extest.Proc, env []string) (client extest.Result, serverOut string) {
		t.Helper()
		c := py.StartPython(t, env, "", dir+"/client2.py")
		c.WaitFor("callback 2 received from server!", 1)
		server.WaitFor("server: callbacks done.", 1)
		c.WaitForStderr("ZeroDivisionError", 1) // the warning of the @callback method
		return c.Interrupt(), server.After("Pyro daemon running.\n")
	}
	pyNS := py.NameServer(t)
	pyEnv := extest.NSEnv(pyNS)
	want, wantServer := run(py.StartPython(t, pyEnv, "Pyro daemon running.", dir+"/server2.py"), pyEnv)
	goNS := extest.GoNameServer(t)
	goEnv := extest.NSEnv(goNS)
	got, gotServer := run(extest.StartGo(t, goEnv, "Pyro daemon running."), goEnv)

	extest.Same(t, "client2.py's output", want.Stdout, got.Stdout)
	// client2.py logs the exception of its @Pyro4.callback method with a timestamp, and its
	// interruption ends in a KeyboardInterrupt traceback.
	norm := func(s string) string {
		s = extest.Replace(s, `(?m)^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3},`, "[TIME,")
		return extest.Replace(s, `(?s)\nTraceback \(most recent call last\):\n.*KeyboardInterrupt\n$`, "\nKeyboardInterrupt\n")
	}
	extest.Same(t, "client2.py's errors", norm(want.Stderr), norm(got.Stderr))
	// Python's server prints its own traceback before the remote one; the Go twin has no
	// Python frames to print, so the local frames (header and indented lines) go.
	local := func(s string) string {
		return extest.Replace(s, `(?m)^Traceback \(most recent call last\):\n(?:  .*\n)*`, "")
	}
	extest.Same(t, "the server's output", local(wantServer), local(gotServer))
	t.Logf("both servers printed:\n%s", local(gotServer))
}
