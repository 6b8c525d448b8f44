package main

import (
	"strings"
	"testing"

	"github.com/gopyro/pyro/examples/internal/extest"
)

func TestMain(m *testing.M) { extest.Main(m, main) }

// TestClient runs Pyro4's handshake client, with the right and a wrong secret, against
// server.py and against the Go twin: the client prints the same, and the servers print the
// same about it (the peer's address in the handshake hook and at disconnect, nothing at
// disconnect for a refused client).
func TestClient(t *testing.T) {
	dir := extest.Dir(t, "handshake")
	pyServer := extest.StartPython(t, nil, "secret code", dir+"/server.py")
	goServer := extest.StartGo(t, nil, "secret code")

	// Addresses: the servers' ports and the clients' differ from run to run. A refused client
	// dies with a traceback whose frames are the client's own (the same for both servers); its
	// last line is the refusal.
	type run struct{ stdout, refusal string }
	client := func(server *extest.Proc, secret string, ok bool) run {
		t.Helper()
		code := 0
		if !ok {
			code = 1
		}
		r := extest.Run(t, extest.Python(nil, dir+"/client.py"), "PYRO:"+server.Line("PYRO:")+"\n"+secret+"\n", code)
		lines := strings.Split(strings.TrimSpace(r.Stderr), "\n")
		out := run{stdout: extest.Addresses(r.Stdout)}
		if !ok {
			out.refusal = extest.Addresses(lines[len(lines)-1])
		}
		return out
	}
	for _, c := range []struct {
		secret string
		ok     bool
	}{{"pancakes", true}, {"waffles", false}} {
		want := client(pyServer, c.secret, c.ok)
		got := client(goServer, c.secret, c.ok)
		extest.Same(t, "the client's output with secret "+c.secret, want.stdout, got.stdout)
		extest.Same(t, "the client's refusal with secret "+c.secret, want.refusal, got.refusal)
		if c.ok { // the servers report the hang-up before the next client comes
			pyServer.WaitFor("Daemon client disconnects", 1)
			goServer.WaitFor("Daemon client disconnects", 1)
		}
	}
	// The banners print the URIs; what follows is about the two clients.
	want, got := pyServer.After("pancakes\n"), goServer.After("pancakes\n")
	extest.Same(t, "the server's output", extest.Addresses(want), extest.Addresses(got))
	if !strings.Contains(got, "Daemon client disconnects: ('127.0.0.1',") {
		t.Errorf("the Go twin did not see the client's address at disconnect:\n%s", got)
	}
	t.Logf("both servers printed:\n%s", extest.Addresses(got))
}
