package main

import (
	"strings"
	"testing"

	"github.com/gopyro/pyro/examples/internal/extest"
)

func TestMain(m *testing.M) { extest.Main(m, main) }

// TestBanksClient runs Pyro4's banks client against server.py and against the Go twin, each
// registered with a name server of its own kind: the client prints the same, and so do the
// servers.
func TestBanksClient(t *testing.T) { testBanksClient(t, extest.Pyro{}) }

// TestPyro5BanksClient is TestBanksClient with Pyro5's banks client and server (the same
// programs, ported) and Pyro5's name server, against the same twin and ours.
func TestPyro5BanksClient(t *testing.T) { testBanksClient(t, extest.Pyro{V5: true}) }

func testBanksClient(t *testing.T, py extest.Pyro) {
	dir := py.Dir(t, "banks")

	pyNS := py.NameServer(t)
	pyServer := py.StartPython(t, extest.NSEnv(pyNS), "Banks are ready for customers.", dir+"/server.py")
	want := extest.Run(t, py.Python(t, extest.NSEnv(pyNS), dir+"/client.py"), "", 0)

	goNS := extest.GoNameServer(t)
	goServer := extest.StartGo(t, extest.NSEnv(goNS), "Banks are ready for customers.")
	got := extest.Run(t, py.Python(t, extest.NSEnv(goNS), dir+"/client.py"), "", 0)

	// Nothing to normalise: the client prints no addresses, ids or times.
	extest.Same(t, "the client's output", want.Stdout, got.Stdout)
	extest.Same(t, "the client's errors", want.Stderr, got.Stderr)
	extest.Same(t, "the server's output", pyServer.Stdout(), goServer.Stdout())
	t.Logf("%s's banks client printed the same %d lines against both servers", py.Name(), strings.Count(want.Stdout, "\n"))
}
