package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/internal/pytest"
	"github.com/gopyro/pyro/naming"
)

// The test binary doubles as the pyro command when PYRO_TEST_AS_CMD is set, so tests can run
// (and kill -9, or stop with SIGTERM as main does) real pyro processes without building
// another binary.
func TestMain(m *testing.M) {
	if os.Getenv("PYRO_TEST_AS_CMD") == "1" {
		ctx, stop := signalContext()
		code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// pyroCmd prepares the pyro command as a child process.
func pyroCmd(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(pytest.Env(), "PYRO_TEST_AS_CMD=1")
	return cmd
}

// startPyro runs `pyro args...` and returns the text after prefix on its output, and the process
// (killed when the test ends).
func startPyro(t *testing.T, prefix string, args ...string) (string, *exec.Cmd) {
	t.Helper()
	cmd := pyroCmd(context.Background(), args...)
	return pytest.StartCmd(t, cmd, func() {
		if cmd.Process != nil {
			cmd.Process.Kill()
		}
	}, prefix), cmd
}

func runPyro(args ...string) (stdout, stderr string, code int) {
	var o, e bytes.Buffer
	code = run(context.Background(), args, &o, &e)
	return o.String(), e.String(), code
}

func TestHelpAndUsage(t *testing.T) {
	out, _, code := runPyro("--help")
	if code != 0 || !strings.Contains(out, "echoserver") || !strings.Contains(out, "pyro4-nsc") {
		t.Fatalf("pyro --help: %d\n%s", code, out)
	}
	if _, _, code := runPyro(); code != 2 {
		t.Errorf("pyro with no command: exit %d, want 2", code)
	}
	if _, _, code := runPyro("frobnicate"); code != 2 {
		t.Errorf("unknown command: exit %d, want 2", code)
	}
	for _, c := range commands {
		_, errOut, code := runPyro(c.name, "--help")
		if code != 0 || !strings.Contains(errOut, "Usage: pyro "+c.name) {
			t.Errorf("pyro %s --help: exit %d\n%s", c.name, code, errOut)
		}
		if _, errOut, code := runPyro(c.name, "--no-such-flag"); code != 2 || !strings.Contains(errOut, "Usage:") {
			t.Errorf("pyro %s --no-such-flag: exit %d, want 2 with usage\n%s", c.name, code, errOut)
		}
	}
}

var addrRE = regexp.MustCompile(`127\.0\.0\.1:\d+`)

// TestNSCMatchesPyro4NSC: our nsc prints what pyro4-nsc prints, each running the same verbs
// against a fresh name server, for pyro4-ns and for ours.
func TestNSCMatchesPyro4NSC(t *testing.T) {
	verbs := [][]string{
		{"ping"},
		{"register", "demo.a", "PYRO:a@localhost:1111"},
		{"register", "demo.a", "PYRO:a@localhost:1111"},
		{"register", "demo.b", "PYRO:b@./u:/tmp/b.sock"},
		{"register", "demo.c", "not-a-uri"},
		{"register", "demo.0", "PYRO:z@localhost:3333"}, // last registered, first in pyro4-nsc's sorted lists
		{"setmeta", "demo.0", "red"},
		{"setmeta", "demo.a", "red"},
		{"lookup", "demo.a"},
		{"lookup", "missing"},
		{"list"},
		{"list", "demo"},
		{"listmatching", `demo\.b`},
		{"listmeta_all", "red"},
		{"listmeta_any", "red", "blue"},
		{"setmeta", "demo.a"},
		{"remove", "demo.b"},
		{"remove", "demo.b"},
	}
	startNS := map[string]func() pyro.URI{
		"pyro4-ns": func() pyro.URI { u, _ := pyro.ParseURI(pytest.StartNameServer(t)); return u },
		"pyro ns": func() pyro.URI {
			text, _ := startPyro(t, "URI = ", "ns", "-n", "127.0.0.1", "-p", "0", "-x")
			u, _ := pyro.ParseURI(text)
			return u
		},
	}
	for kind, start := range startNS {
		pyNS, goNS := start(), start()
		for _, v := range verbs {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			want, err := pytest.Command(ctx, append([]string{"-m", "Pyro4.nsc", "-n", "127.0.0.1", "-p", strconv.Itoa(pyNS.Port)}, v...)...).Output()
			cancel()
			if err != nil {
				t.Fatal(err)
			}
			got, _, _ := runPyro(append([]string{"nsc", "-n", "127.0.0.1", "-p", strconv.Itoa(goNS.Port)}, v...)...)
			w, g := addrRE.ReplaceAllString(string(want), "ADDR"), addrRE.ReplaceAllString(got, "ADDR")
			if w != g {
				t.Errorf("nsc %v against %s:\n pyro4-nsc: %q\n pyro nsc:  %q", v, kind, w, g)
			}
		}
	}
}

// TestNSDurabilityAfterKill9: with -s sql:FILE, kill -9 the name server during a stream of
// registrations from several clients; after a restart every acknowledged one is there.
func TestNSDurabilityAfterKill9(t *testing.T) {
	db := t.TempDir() + "/ns.sqlite"
	uriText, cmd := startPyro(t, "URI = ", "ns", "-n", "127.0.0.1", "-p", "0", "-x", "-s", "sql:"+db)
	ns, _ := pyro.ParseURI(uriText)
	var (
		mu    sync.Mutex
		acked []string
		wg    sync.WaitGroup
	)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := naming.Locate(context.Background(), ns.Host, ns.Port)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			u, _ := pyro.ParseURI("PYRO:obj@localhost:1234")
			for i := 0; ; i++ {
				name := fmt.Sprintf("w%d.n%d", w, i)
				if err := c.Register(context.Background(), name, u, naming.RegisterOptions{Metadata: []string{"durable"}}); err != nil {
					return // the name server is gone
				}
				mu.Lock()
				acked = append(acked, name)
				mu.Unlock()
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGKILL)
	wg.Wait()
	cmd.Wait()
	if len(acked) < 20 {
		t.Fatalf("only %d registrations acknowledged before the kill", len(acked))
	}
	// Restart on the same file and port.
	uriText, _ = startPyro(t, "URI = ", "ns", "-n", "127.0.0.1", "-p", strconv.Itoa(ns.Port), "-x", "-s", "sql:"+db)
	ns2, _ := pyro.ParseURI(uriText)
	c, err := naming.Locate(context.Background(), ns2.Host, ns2.Port)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got, err := c.List(context.Background(), naming.Filter{MetadataAll: []string{"durable"}})
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	for _, name := range acked {
		if _, ok := got[name]; !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		t.Fatalf("%d of %d acknowledged registrations lost after kill -9: %v", len(missing), len(acked), missing[:min(10, len(missing))])
	}
	t.Logf("all %d acknowledged registrations survived kill -9 (%d stored)", len(acked), len(got))
}

// TestSQLiteFileSharedWithPyro4NS: a database written by pyro4-ns opens in ours and the
// other way round.
func TestSQLiteFileSharedWithPyro4NS(t *testing.T) {
	db := t.TempDir() + "/shared.sqlite"
	ctx := context.Background()
	// pyro4-ns writes.
	pyText := pytest.StartNameServer(t, "-s", "sql:"+db)
	py, _ := pyro.ParseURI(pyText)
	c, err := naming.Locate(ctx, py.Host, py.Port)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := pyro.ParseURI("PYRO:from.python@localhost:1111")
	if err := c.Register(ctx, "from.python", u, naming.RegisterOptions{Metadata: []string{"py", "shared"}}); err != nil {
		t.Fatal(err)
	}
	c.Close()
	// ours opens the same file while pyro4-ns still runs (SQLite allows it), reads, and writes.
	goText, _ := startPyro(t, "URI = ", "ns", "-n", "127.0.0.1", "-p", "0", "-x", "-s", "sql:"+db)
	gons, _ := pyro.ParseURI(goText)
	g, err := naming.Locate(ctx, gons.Host, gons.Port)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	got, meta, err := g.LookupWithMetadata(ctx, "from.python")
	if err != nil || got.String() != u.String() || strings.Join(meta, ",") != "py,shared" {
		t.Fatalf("our ns reading pyro4-ns's file: %v %v %v", got, meta, err)
	}
	u2, _ := pyro.ParseURI("PYRO:from.go@localhost:2222")
	if err := g.Register(ctx, "from.go", u2, naming.RegisterOptions{Metadata: []string{"go"}}); err != nil {
		t.Fatal(err)
	}
	// A fresh pyro4-ns on the file sees what ours wrote.
	py2, _ := pyro.ParseURI(pytest.StartNameServer(t, "-s", "sql:"+db))
	c2, err := naming.Locate(ctx, py2.Host, py2.Port)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	got2, meta2, err := c2.LookupWithMetadata(ctx, "from.go")
	if err != nil || got2.String() != u2.String() || strings.Join(meta2, ",") != "go" {
		t.Fatalf("pyro4-ns reading our writes: %v %v %v", got2, meta2, err)
	}
}

// TestEchoServerAndCall: `pyro echoserver` serves a Python client; `pyro call` calls it.
func TestEchoServerAndCall(t *testing.T) {
	uri, cmd := startPyro(t, "echo uri: ", "echoserver", "-H", "127.0.0.1", "-p", "0")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pyOut, err := pytest.Command(ctx, "-c", `import sys, Pyro4; print(Pyro4.Proxy(sys.argv[1]).echo([1, "two", (3,)]))`, uri).Output()
	if err != nil || strings.TrimSpace(string(pyOut)) != "[1, 'two', (3,)]" {
		t.Fatalf("python client: %q %v", pyOut, err)
	}
	stdout, stderr, code := runPyro("call", uri, "echo", "[1, 'two', (3,)]")
	if code != 0 || strings.TrimSpace(stdout) != "[1, 'two', (3,)]" {
		t.Fatalf("pyro call echo: %d %q %q", code, stdout, stderr)
	}
	stdout, _, code = runPyro("call", uri, "echo", "message='by keyword'")
	if code != 0 || strings.TrimSpace(stdout) != "'by keyword'" {
		t.Fatalf("pyro call with a keyword argument: %d %q", code, stdout)
	}
	stdout, _, code = runPyro("call", uri, "echo", "'a=b'")
	if code != 0 || strings.TrimSpace(stdout) != "'a=b'" {
		t.Fatalf("pyro call with a quoted '=': %d %q", code, stdout)
	}
	stdout, _, code = runPyro("call", "--json", uri, "echo", `{"a": [1, 2.5, null]}`)
	if code != 0 || strings.TrimSpace(stdout) != `{"a":[1,2.5,null]}` {
		t.Fatalf("pyro call --json: %d %q", code, stdout)
	}
	if _, stderr, code := runPyro("call", uri, "error"); code != 1 || !strings.Contains(stderr, "ValueError") {
		t.Fatalf("pyro call error: exit %d %q", code, stderr)
	}
	// A Python client's shutdown() ends the process with status 0, as with pyro4-test-echoserver.
	ctx2, cancel2 := context.WithTimeout(context.Background(), time.Minute)
	defer cancel2()
	if out, err := pytest.Command(ctx2, "-c", `import sys, Pyro4; Pyro4.Proxy(sys.argv[1]).shutdown()`, uri).CombinedOutput(); err != nil {
		t.Fatalf("python shutdown(): %v\n%s", err, out)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("echoserver exit: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("echoserver did not exit after shutdown()")
	}
}

// TestCallPyronameHonoursNSPort: `pyro call PYRONAME:name@host` with no port in the URI finds
// a name server on another port than 9090 through PYRO_NS_PORT, as Pyro4's tools do.
func TestCallPyronameHonoursNSPort(t *testing.T) {
	nsText, _ := startPyro(t, "URI = ", "ns", "-n", "127.0.0.1", "-p", "0", "-x")
	nsURI, err := pyro.ParseURI(nsText)
	if err != nil {
		t.Fatal(err)
	}
	echoText, _ := startPyro(t, "echo uri: ", "echoserver", "-H", "127.0.0.1", "-p", "0")
	echo, err := pyro.ParseURI(echoText)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	nsc, err := naming.NewClientURI(nsURI)
	if err != nil {
		t.Fatal(err)
	}
	defer nsc.Close()
	if err := nsc.Register(ctx, "cmd.nsport.echo", echo, naming.RegisterOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PYRO_NS_PORT", strconv.Itoa(nsURI.Port))
	stdout, stderr, code := runPyro("call", "PYRONAME:cmd.nsport.echo@127.0.0.1", "echo", "'hi'")
	if code != 0 || strings.TrimSpace(stdout) != "'hi'" {
		t.Fatalf("pyro call with PYRO_NS_PORT=%d: exit %d %q %q", nsURI.Port, code, stdout, stderr)
	}
}
