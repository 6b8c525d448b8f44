package main

import (
	"strings"
	"testing"

	"github.com/gopyro/pyro/examples/internal/extest"
)

func TestMain(m *testing.M) { extest.Main(m, main) }

// Janet stores a ball and takes the bike; Henry stores nothing and takes the ball.
const visits = "ball\nbike\n\nball\n"

// Then Janet stores nothing and tries to take a unicorn: the warehouse raises ValueError and
// visit.py, which installed Pyro's excepthook, dies printing the remote traceback.
const failingVisit = "\nunicorn\n"

// TestVisit runs phase 3's visit.py, which finds the warehouse through the name server,
// against warehouse.py (with pyro4-ns) and against the Go twin (with our name server): the
// visitors, their failures and the warehouses print the same. The prototype of phase 1,
// everything in one Python process, prints what client and server print together.
func TestVisit(t *testing.T) { testVisit(t, extest.Pyro{}) }

// TestPyro5Visit is TestVisit with Pyro5's phases 3 and 1 (the same programs, ported) and
// Pyro5's name server.
func TestPyro5Visit(t *testing.T) { testVisit(t, extest.Pyro{V5: true}) }

func testVisit(t *testing.T, py extest.Pyro) {
	dir := py.Dir(t, "warehouse")
	visit := func(env []string) (ok, failed extest.Result) {
		t.Helper()
		ok = extest.Run(t, py.Python(t, env, dir+"/phase3/visit.py"), visits, 0)
		failed = extest.Run(t, py.Python(t, env, dir+"/phase3/visit.py"), failingVisit, 1)
		return ok, failed
	}

	pyNS := py.NameServer(t)
	pyServer := py.StartPython(t, extest.NSEnv(pyNS), "Pyro daemon running.", dir+"/phase3/warehouse.py")
	wantOK, wantFailed := visit(extest.NSEnv(pyNS))

	goNS := extest.GoNameServer(t)
	goServer := extest.StartGo(t, extest.NSEnv(goNS), "Pyro daemon running.")
	gotOK, gotFailed := visit(extest.NSEnv(goNS))

	extest.Same(t, "visit.py's output", wantOK.Stdout, gotOK.Stdout)
	extest.Same(t, "visit.py's errors", wantOK.Stderr, gotOK.Stderr)
	t.Logf("visit.py printed\n%s\nand, failing,\n%s%s", gotOK.Stdout, gotFailed.Stdout, gotFailed.Stderr)
	extest.Same(t, "the failing visit's output", wantFailed.Stdout, gotFailed.Stdout)
	// The remote traceback's frames are the server's source lines: Python's files, or the Go
	// method. Its header and the exception line must match.
	extest.Same(t, "the failing visit's traceback",
		extest.RemoteTracebackFrames(wantFailed.Stderr), extest.RemoteTracebackFrames(gotFailed.Stderr))
	if !strings.Contains(gotFailed.Stderr, "\n | ValueError: list.remove(x): x not in list\n") {
		t.Errorf("the failing visit printed no remote ValueError:\n%s", gotFailed.Stderr)
	}
	goLog := goServer.After("Pyro daemon running.\n")
	extest.Same(t, "the warehouse's output", pyServer.After("Pyro daemon running.\n"), goLog)

	// Phase 1: the same visit in one process prints the warehouse's lines among the
	// visitor's, each right after the prompt that led to it (input is not echoed).
	proto := extest.Run(t, py.Python(t, nil, dir+"/phase1/visit.py"), visits, 0)
	rest := proto.Stdout
	for _, line := range strings.SplitAfter(goLog, "\n") { // the failing visit added none
		rest = strings.Replace(rest, line, "", 1)
	}
	extest.Same(t, "phase 1's visit.py without the warehouse's lines", rest, gotOK.Stdout)
}
