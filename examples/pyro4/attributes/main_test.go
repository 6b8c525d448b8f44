package main

import (
	"strings"
	"testing"

	"github.com/gopyro/pyro/examples/internal/extest"
)

func TestMain(m *testing.M) { extest.Main(m, main) }

// TestClient runs Pyro4's attributes client, given the server's URI on stdin, against server.py
// and against the Go twin: it prints the same.
func TestClient(t *testing.T) {
	dir := extest.Dir(t, "attributes")
	pyServer := extest.StartPython(t, nil, "Pyro daemon running.", dir+"/server.py")
	want := extest.Run(t, extest.Python(nil, dir+"/client.py"), pyServer.Line("    uri = ")+"\n", 0)
	goServer := extest.StartGo(t, nil, "Pyro daemon running.")
	got := extest.Run(t, extest.Python(nil, dir+"/client.py"), goServer.Line("    uri = ")+"\n", 0)

	// Error messages name the server's address (unknown objects, attributes), which differs
	// between the two servers.
	extest.Same(t, "the client's output", extest.Addresses(want.Stdout), extest.Addresses(got.Stdout))
	extest.Same(t, "the client's errors", extest.Addresses(want.Stderr), extest.Addresses(got.Stderr))
	t.Logf("Pyro4's attributes client printed the same %d lines against both servers", strings.Count(got.Stdout, "\n"))
}

// TestPyro5Client runs Pyro5's attributes client (Pyro5's examples/attributes, the same
// program ported) against Pyro5's server.py and against the same Go twin: it prints the same.
func TestPyro5Client(t *testing.T) {
	dir := extest.Dir5(t, "attributes")
	pyServer := extest.StartPython5(t, nil, "Pyro daemon running.", dir+"/server.py")
	want := extest.Run(t, extest.Python5(t, nil, dir+"/client.py"), pyServer.Line("    uri = ")+"\n", 0)
	goServer := extest.StartGo(t, nil, "Pyro daemon running.")
	got := extest.Run(t, extest.Python5(t, nil, dir+"/client.py"), goServer.Line("    uri = ")+"\n", 0)

	// Error messages name the server's address, which differs between the two servers.
	extest.Same(t, "the client's output", extest.Addresses(want.Stdout), extest.Addresses(got.Stdout))
	extest.Same(t, "the client's errors", extest.Addresses(want.Stderr), extest.Addresses(got.Stderr))
	t.Logf("Pyro5's attributes client printed the same %d lines against both servers", strings.Count(got.Stdout, "\n"))
}
