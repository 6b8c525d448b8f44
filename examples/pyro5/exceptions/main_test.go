package main

import (
	"strings"
	"testing"

	"github.com/gopyro/pyro/examples/internal/extest"
)

func TestMain(m *testing.M) { extest.Main(m, main) }

// TestClient runs Pyro5's exceptions client against Pyro5's server.py behind Pyro5's name
// server and against the Go twin behind ours: it prints the same (it ends on an uncaught
// exception, status 1), and the servers report the same exceptions.
func TestClient(t *testing.T) {
	dir := extest.Dir5(t, "exceptions")
	pyNS := extest.Pyro5NameServer(t)
	pyServer := extest.StartPython5(t, extest.NSEnv(pyNS), "Pyro daemon running.", dir+"/server.py")
	want := extest.Run(t, extest.Python5(t, extest.NSEnv(pyNS), dir+"/client.py"), "", 1)

	goNS := extest.GoNameServer(t)
	goServer := extest.StartGo(t, extest.NSEnv(goNS), "Pyro daemon running.")
	got := extest.Run(t, extest.Python5(t, extest.NSEnv(goNS), dir+"/client.py"), "", 1)

	// Remote traceback frames name the server's source: excep.py's lines, or the Go method.
	extest.Same(t, "the client's output", extest.RemoteTracebackFrames(want.Stdout), extest.RemoteTracebackFrames(got.Stdout))
	extest.Same(t, "the client's errors", extest.RemoteTracebackFrames(want.Stderr), extest.RemoteTracebackFrames(got.Stderr))

	// The oneway call's report may come late; the client's address is a free port.
	pyServer.WaitFor("error in oneway call!", 1)
	goServer.WaitFor("error in oneway call!", 1)
	extest.Same(t, "the server's output", extest.Addresses(pyServer.After("Pyro daemon running.\n")), extest.Addresses(goServer.After("Pyro daemon running.\n")))
	t.Logf("Pyro5's exceptions client printed the same %d lines against both servers", strings.Count(got.Stdout, "\n"))
}
