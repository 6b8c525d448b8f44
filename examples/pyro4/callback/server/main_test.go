package main

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/examples/internal/extest"
	"github.com/gopyro/pyro/pyrotest"
)

func TestMain(m *testing.M) { extest.Main(m, main) }

// callbackLine is what client.py's callback handler prints.
var callbackLine = regexp.MustCompile(`callback: worker \d+ reports work is done!`)

// callbacks normalises client.py's output: the workers sleep a random 1 to 5 seconds each,
// so they report in any order, and two reporting at once print from two threads (Python's
// print writes a line's text and its newline apart, so their lines may run together). Each
// report becomes a CALLBACK line where it was printed (empty lines left by the newlines
// go), and the reports themselves follow, sorted.
func callbacks(out string) string {
	reports := callbackLine.FindAllString(out, -1)
	slices.Sort(reports)
	var lines []string
	for _, l := range strings.Split(callbackLine.ReplaceAllString(out, "CALLBACK\n"), "\n") {
		if l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n") + "\nreports:\n" + strings.Join(reports, "\n")
}

// serverLine is one of the lines the callback server prints.
var serverLine = regexp.MustCompile(`server: adding worker \d+|Worker \d+ (?:created|busy\.\.\.|done\. Informing callback client\.)`)

// serverLines picks out, and sorts, a server's lines: its workers print as they start and
// finish, in any order, and Python's print writes a line's text and its newline apart, so
// two threads' lines may even run into each other. Anything else printed is kept, and
// shows up in the comparison.
func serverLines(out string) string {
	lines := serverLine.FindAllString(out, -1)
	slices.Sort(lines)
	if rest := strings.TrimSpace(serverLine.ReplaceAllString(out, "")); rest != "" {
		lines = append(lines, "and also: "+rest)
	}
	return strings.Join(lines, "\n")
}

// TestClient runs Pyro4's callback client.py against server.py and against the Go twin, side
// by side (the workers take up to 5 seconds): the client prints the same, callbacks in any
// order, and so do the servers.
func TestClient(t *testing.T) { testClient(t, extest.Pyro{}) }

// TestPyro5Client is TestClient with Pyro5's client.py and server.py (the same programs,
// ported) and Pyro5's name server; the twin calls the Pyro5 client's object back in Pyro5.
func TestPyro5Client(t *testing.T) { testClient(t, extest.Pyro{V5: true}) }

func testClient(t *testing.T, py extest.Pyro) {
	dir := py.Dir(t, "callback")
	var want, got extest.Result
	var pyServer, goServer string
	t.Run("servers", func(t *testing.T) {
		t.Run("python", func(t *testing.T) {
			t.Parallel()
			ns := py.NameServer(t)
			server := py.StartPython(t, extest.NSEnv(ns), "Pyro daemon running.", dir+"/server.py")
			want = extest.Run(t, py.Python(t, extest.NSEnv(ns), dir+"/client.py"), "", 0)
			server.WaitFor("Informing callback client.", 5)
			pyServer = server.After("Pyro daemon running.\n")
		})
		t.Run("go", func(t *testing.T) {
			t.Parallel()
			ns := extest.GoNameServer(t)
			server := extest.StartGo(t, extest.NSEnv(ns), "Pyro daemon running.")
			got = extest.Run(t, py.Python(t, extest.NSEnv(ns), dir+"/client.py"), "", 0)
			server.WaitFor("Informing callback client.", 5)
			goServer = server.After("Pyro daemon running.\n")
		})
	})
	if t.Failed() {
		return
	}
	extest.Same(t, "client.py's output", callbacks(want.Stdout), callbacks(got.Stdout))
	extest.Same(t, "client.py's errors", want.Stderr, got.Stderr)
	extest.Same(t, "the server's output", serverLines(pyServer), serverLines(goServer))
	if n := strings.Count(got.Stdout, "reports work is done!"); n != 5 {
		t.Errorf("client.py got %d callbacks from the Go twin, want 5:\n%s", n, got.Stdout)
	}
}

// callbackHandler is a Go twin of client.py's CallbackHandler.
type callbackHandler struct{ done chan int }

func (h *callbackHandler) Done(number int) { h.done <- number }

// TestGoClient is the other way round: a Go twin of client.py, passing its registered
// handler itself (autoproxy), against Pyro4's server.py. Its workers call the Go handler back.
func TestGoClient(t *testing.T) {
	dir := extest.Dir(t, "callback")
	ctx := context.Background()
	ns := extest.PythonNameServer(t)
	extest.StartPython(t, extest.NSEnv(ns), "Pyro daemon running.", dir+"/server.py")

	mine := pyrotest.NewDaemon(t, pyro.DaemonConfig{})
	h := &callbackHandler{done: make(chan int, 5)}
	if _, err := mine.Register(h); err != nil {
		t.Fatal(err)
	}
	uri, err := pyro.ParseURI("PYRONAME:example.callback")
	if err != nil {
		t.Fatal(err)
	}
	server := pyrotest.NewProxy(t, uri, pyro.WithNameServer(ns.Host, ns.Port))
	for range 5 {
		worker, err := pyro.CallT[*pyro.Proxy](ctx, server, "addworker", h) // the handler itself
		if err != nil {
			t.Fatal(err)
		}
		if err := worker.Call(ctx, "work", nil, 1); err != nil { // oneway, as the metadata says
			t.Fatal(err)
		}
		worker.Close()
	}
	var numbers []int
	timeout := time.After(time.Minute)
	for len(numbers) < 5 {
		select {
		case n := <-h.done:
			numbers = append(numbers, n)
		case <-timeout:
			t.Fatalf("only %v of the workers called back", numbers)
		}
	}
	slices.Sort(numbers)
	if !slices.Equal(numbers, []int{1, 2, 3, 4, 5}) {
		t.Errorf("workers called back %v", numbers)
	}
}
