package main

import (
	"strings"
	"testing"

	"github.com/gopyro/pyro/examples/internal/extest"
)

func TestMain(m *testing.M) { extest.Main(m, main) }

// TestClient runs Pyro5's batchedcalls client, given the server's URI on stdin, against
// Pyro5's server.py and against the Go twin: it prints the same, and so do the servers.
func TestClient(t *testing.T) {
	dir := extest.Dir5(t, "batchedcalls")
	pyServer := extest.StartPython5(t, nil, "Pyro daemon running.", dir+"/server.py")
	want := extest.Run(t, extest.Python5(t, nil, dir+"/client.py"), pyServer.Line("    uri = ")+"\n", 0)
	goServer := extest.StartGo(t, nil, "Pyro daemon running.")
	got := extest.Run(t, extest.Python5(t, nil, dir+"/client.py"), goServer.Line("    uri = ")+"\n", 0)

	// Durations and rates depend on the machine; the remote traceback's frames name the
	// server's source (server.py's lines, or the Go method).
	norm := func(s string) string {
		s = extest.Replace(s, `\d+\.\d+ seconds \(\d+ calls/sec\)`, "T seconds (N calls/sec)")
		s = extest.Replace(s, `were \d+\.\d+ times faster`, "were X times faster")
		return extest.RemoteTracebackFrames(s)
	}
	extest.Same(t, "the client's output", norm(want.Stdout), norm(got.Stdout))
	extest.Same(t, "the client's errors", want.Stderr, got.Stderr)

	// The oneway batch may still be running (its 2-second delay) when the client is done.
	pyServer.WaitFor("end of batch #2", 1)
	goServer.WaitFor("end of batch #2", 1)
	extest.Same(t, "the server's output", pyServer.After("Pyro daemon running.\n"), goServer.After("Pyro daemon running.\n"))
	t.Logf("Pyro5's batchedcalls client printed the same %d lines against both servers", strings.Count(got.Stdout, "\n"))
}
