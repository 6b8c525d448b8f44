package main

import (
	"strings"
	"testing"

	"github.com/gopyro/pyro/examples/internal/extest"
)

func TestMain(m *testing.M) { extest.Main(m, main) }

// TestClient runs Pyro4's streaming client, given the server's URI on stdin, against server.py
// and against the Go twin: it prints the same. The slow generator takes 4.5 s, so the two
// runs go side by side.
func TestClient(t *testing.T) {
	dir := extest.Dir(t, "streaming")
	var want, got extest.Result
	t.Run("servers", func(t *testing.T) {
		t.Run("python", func(t *testing.T) {
			t.Parallel()
			pyServer := extest.StartPython(t, nil, "Pyro daemon running.", dir+"/server.py")
			want = extest.Run(t, extest.Python(nil, dir+"/client.py"), pyServer.Line("    uri = ")+"\n", 0)
		})
		t.Run("go", func(t *testing.T) {
			t.Parallel()
			goServer := extest.StartGo(t, nil, "Pyro daemon running.")
			got = extest.Run(t, extest.Python(nil, dir+"/client.py"), goServer.Line("    uri = ")+"\n", 0)
		})
	})
	if t.Failed() {
		return
	}

	// Error messages name the server's address (unknown objects, attributes), which differs
	// between the two servers.
	extest.Same(t, "the client's output", extest.Addresses(want.Stdout), extest.Addresses(got.Stdout))
	extest.Same(t, "the client's errors", extest.Addresses(want.Stderr), extest.Addresses(got.Stderr))
	t.Logf("Pyro4's streaming client printed the same %d lines against both servers", strings.Count(got.Stdout, "\n"))
}

// TestPyro5Client runs Pyro5's streaming client (Pyro5's examples/streaming: Pyro4's, plus two
// properties that return an iterator and a generator) against Pyro5's server.py and against
// the same Go twin: it prints the same.
func TestPyro5Client(t *testing.T) {
	dir := extest.Dir5(t, "streaming")
	var want, got extest.Result
	t.Run("servers", func(t *testing.T) {
		t.Run("python", func(t *testing.T) {
			t.Parallel()
			pyServer := extest.StartPython5(t, nil, "Pyro daemon running.", dir+"/server.py")
			want = extest.Run(t, extest.Python5(t, nil, dir+"/client.py"), pyServer.Line("    uri = ")+"\n", 0)
		})
		t.Run("go", func(t *testing.T) {
			t.Parallel()
			goServer := extest.StartGo(t, nil, "Pyro daemon running.")
			got = extest.Run(t, extest.Python5(t, nil, dir+"/client.py"), goServer.Line("    uri = ")+"\n", 0)
		})
	})
	if t.Failed() {
		return
	}
	extest.Same(t, "the client's output", extest.Addresses(want.Stdout), extest.Addresses(got.Stdout))
	extest.Same(t, "the client's errors", extest.Addresses(want.Stderr), extest.Addresses(got.Stderr))
	t.Logf("Pyro5's streaming client printed the same %d lines against both servers", strings.Count(got.Stdout, "\n"))
}
