package main

import (
	"bufio"
	"context"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/internal/pytest"
)

// pyPeer is a running testdata/mixed_client.py.
type pyPeer struct {
	t     *testing.T
	name  string
	stdin io.WriteCloser
	out   *bufio.Scanner
}

func startPeer(t *testing.T, name string, cmd *exec.Cmd) *pyPeer {
	t.Helper()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		if err := cmd.Wait(); err != nil {
			t.Errorf("%s: %v\n%s", name, err, stderr.String())
		}
	})
	p := &pyPeer{t: t, name: name, stdin: stdin, out: bufio.NewScanner(stdout)}
	if !p.out.Scan() || p.out.Text() != "ready" {
		t.Fatalf("%s did not start: %q\n%s", name, p.out.Text(), stderr.String())
	}
	return p
}

// ask sends one command and returns the repr() of its result.
func (p *pyPeer) ask(cmd string) string {
	p.t.Helper()
	if _, err := io.WriteString(p.stdin, cmd+"\n"); err != nil {
		p.t.Fatalf("%s %s: %v", p.name, cmd, err)
	}
	if !p.out.Scan() {
		p.t.Fatalf("%s %s: no answer", p.name, cmd)
	}
	return p.out.Text()
}

// TestPyro4AndPyro5ClientsShareDaemonAndNameServer is issue 10's done-when: a Python Pyro4
// client and a Python Pyro5 client stay connected to one `pyro echoserver` (a Go daemon) and
// one `pyro ns` at the same time, each registering names and looking up, listing, finding by
// metadata and calling through names the other registered.
func TestPyro4AndPyro5ClientsShareDaemonAndNameServer(t *testing.T) {
	nsText, _ := startPyro(t, "URI = ", "ns", "-n", "127.0.0.1", "-p", "0", "-x")
	ns, err := pyro.ParseURI(nsText)
	if err != nil {
		t.Fatal(err)
	}
	echo, _ := startPyro(t, "echo uri: ", "echoserver", "-H", "127.0.0.1", "-p", "0")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	args := []string{"testdata/mixed_client.py", "", ns.Host, strconv.Itoa(ns.Port), echo}
	args[1] = "4"
	py4 := startPeer(t, "Pyro4 client", pytest.Command(ctx, args...))
	args[1] = "5"
	cmd5 := exec.CommandContext(ctx, pytest.Interpreter, args...)
	cmd5.Env = pytest.Pyro5Env(t)
	py5 := startPeer(t, "Pyro5 client", cmd5)

	steps := []struct {
		peer      *pyPeer
		cmd, want string
	}{
		{py4, "register shared.from4 red", "'registered'"},
		{py5, "register shared.from5 red", "'registered'"},
		{py5, "lookup shared.from4", "'" + echo + "'"},
		{py4, "lookup shared.from5", "'" + echo + "'"},
		{py4, "list shared.", "['shared.from4', 'shared.from5']"},
		{py5, "list shared.", "['shared.from4', 'shared.from5']"},
		{py4, "tagged by5", "['shared.from5']"},
		{py5, "tagged by4", "['shared.from4']"},
		{py4, "tagged red", "['shared.from4', 'shared.from5']"},
		{py5, "tagged red", "['shared.from4', 'shared.from5']"},
		{py4, "call shared.from5", "'Pyro4 via shared.from5'"},
		{py5, "call shared.from4", "'Pyro5 via shared.from4'"},
		{py4, "echo", "'Pyro4 still connected'"},
		{py5, "echo", "'Pyro5 still connected'"},
		{py4, "connected", "[True, True]"},
		{py5, "connected", "[True, True]"},
	}
	for _, s := range steps {
		if got := s.peer.ask(s.cmd); got != s.want {
			t.Errorf("%s: %s = %s, want %s", s.peer.name, s.cmd, got, s.want)
		}
	}
}

// TestNSCAgainstPyro5NameServer: `pyro nsc` (auto-detecting the protocol) drives Pyro5's own
// name server and prints what it prints against pyro4-ns; metadata listings go through
// Pyro5's yplookup.
func TestNSCAgainstPyro5NameServer(t *testing.T) {
	verbs := [][]string{
		{"ping"},
		{"register", "demo.a", "PYRO:a@localhost:1111"},
		{"register", "demo.a", "PYRO:a@localhost:1111"},
		{"register", "demo.b", "PYRO:b@./u:/tmp/b.sock"},
		{"register", "demo.c", "not-a-uri"},
		{"setmeta", "demo.a", "red", "green"},
		{"setmeta", "demo.b", "red"},
		{"lookup", "demo.a"},
		{"lookup", "missing"},
		{"list", "demo"},
		{"listmatching", `demo\.b`},
		{"listmeta_all", "red", "green"},
		{"listmeta_any", "green", "blue"},
		{"listmeta_any", "red"},
		{"setmeta", "demo.a"},
		{"remove", "demo.b"},
		{"remove", "demo.b"},
		{"list", "demo"},
	}
	py4, err := pyro.ParseURI(pytest.StartNameServer(t))
	if err != nil {
		t.Fatal(err)
	}
	py5, err := pyro.ParseURI(pytest.StartPyro5(t, nil, "URI = ", "-m", "Pyro5.nameserver", "-n", "127.0.0.1", "-p", "0", "-x"))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range verbs {
		want, _, wcode := runPyro(append([]string{"nsc", "-n", "127.0.0.1", "-p", strconv.Itoa(py4.Port)}, v...)...)
		got, stderr, gcode := runPyro(append([]string{"nsc", "-n", "127.0.0.1", "-p", strconv.Itoa(py5.Port)}, v...)...)
		w, g := addrRE.ReplaceAllString(want, "ADDR"), addrRE.ReplaceAllString(got, "ADDR")
		if w != g || wcode != gcode {
			t.Errorf("pyro nsc %v:\n against pyro4-ns (exit %d): %q\n against Pyro5's (exit %d): %q %s", v, wcode, w, gcode, g, stderr)
		}
		if v[0] == "listmeta_all" && !strings.Contains(g, "demo.a --> PYRO:a@localhost:1") {
			t.Errorf("pyro nsc %v against Pyro5's name server did not list demo.a: %q %s", v, g, stderr)
		}
	}
}
