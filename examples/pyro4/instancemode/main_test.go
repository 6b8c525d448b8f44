package main

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/gopyro/pyro/examples/internal/extest"
)

func TestMain(m *testing.M) { extest.Main(m, main) }

// idLike matches what the instances print to tell themselves apart: Python's id(self), the
// twin's instance numbers, and the session's correlation id (a UUID). They differ between
// runs by nature; which lines share one is what the example shows, and is checked apart.
var idLike = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\b\d{6,}\b`)

func maskIDs(out string) string { return idLike.ReplaceAllString(out, "ID") }

// TestClient runs Pyro4's instancemode client against server.py and against the Go twin,
// each behind its own name server: it prints the same lines, ids masked, and the same
// instances (the same ids on the same lines).
func TestClient(t *testing.T) {
	dir := extest.Dir(t, "instancemode")
	pyNS := extest.PythonNameServer(t)
	pyServer := extest.StartPython(t, extest.NSEnv(pyNS), "Pyro daemon running.", dir+"/server.py")
	want := extest.Run(t, extest.Python(extest.NSEnv(pyNS), dir+"/client.py"), "", 0)

	goNS := extest.GoNameServer(t)
	goServer := extest.StartGo(t, extest.NSEnv(goNS), "Pyro daemon running.")
	got := extest.Run(t, extest.Python(extest.NSEnv(goNS), dir+"/client.py"), "", 0)

	extest.Same(t, "the client's output", maskIDs(want.Stdout), maskIDs(got.Stdout))
	extest.Same(t, "the client's errors", want.Stderr, got.Stderr)
	// CPython reuses the id() of freed objects, so Python's percall ids may repeat; ours may not.
	for _, out := range []struct {
		who             string
		percallDistinct bool
		text            string
	}{{"Python's server", false, want.Stdout}, {"the Go twin", true, got.Stdout}} {
		if err := checkInstancePattern(out.text, out.percallDistinct, 3, 3, 6); err != nil {
			t.Errorf("against %s: %v\n%s", out.who, err, out.text)
		}
	}
	// Each server printed each call with the instance's id and class.
	extest.Same(t, "the server's output", maskIDs(pyServer.After("Pyro daemon running.\n")), maskIDs(goServer.After("Pyro daemon running.\n")))
}

// checkInstancePattern checks what the instancemode client printed: percall lines (nPercall),
// two sessions of perSession lines each, nSingle single lines. The session lines are equal
// within each session and different between the two, the single lines all equal, and (when
// asked) the percall lines all different.
func checkInstancePattern(out string, percallDistinct bool, nPercall, perSession, nSingle int) error {
	sections := map[string][]string{}
	var current string
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, "-----"):
			current = strings.Fields(strings.Trim(line, "-"))[0]
		case idLike.MatchString(line) && current != "":
			sections[current] = append(sections[current], line)
		}
	}
	p, se, si := sections["PERCALL"], sections["SESSION"], sections["SINGLE"]
	if len(p) != nPercall || len(se) != 2*perSession || len(si) != nSingle {
		return fmt.Errorf("sections have %d, %d, %d values, want %d, %d, %d", len(p), len(se), len(si), nPercall, 2*perSession, nSingle)
	}
	allSame := func(l []string) bool {
		for _, v := range l {
			if v != l[0] {
				return false
			}
		}
		return true
	}
	if !allSame(se[:perSession]) || !allSame(se[perSession:]) || se[0] == se[perSession] {
		return fmt.Errorf("session lines: %q", se)
	}
	if !allSame(si) {
		return fmt.Errorf("single lines: %q", si)
	}
	if percallDistinct {
		seen := map[string]bool{}
		for _, v := range p {
			if seen[v] {
				return fmt.Errorf("percall lines: %q", p)
			}
			seen[v] = true
		}
	}
	return nil
}

// TestPyro5Client runs Pyro5's instancemode client (more calls per mode than Pyro4's, over
// more proxies) against Pyro5's server.py behind Pyro5's name server and against the Go twin
// with -pyro5 behind ours: the same lines, ids masked, the same instances, and the same
// server output, including when each instance was created.
func TestPyro5Client(t *testing.T) {
	dir := extest.Dir5(t, "instancemode")
	pyNS := extest.Pyro5NameServer(t)
	pyServer := extest.StartPython5(t, extest.NSEnv(pyNS), "Pyro daemon running.", dir+"/server.py")
	want := extest.Run(t, extest.Python5(t, extest.NSEnv(pyNS), dir+"/client.py"), "", 0)

	goNS := extest.GoNameServer(t)
	goServer := extest.StartGo(t, extest.NSEnv(goNS), "Pyro daemon running.", "-pyro5")
	got := extest.Run(t, extest.Python5(t, extest.NSEnv(goNS), dir+"/client.py"), "", 0)

	extest.Same(t, "the client's output", maskIDs(want.Stdout), maskIDs(got.Stdout))
	extest.Same(t, "the client's errors", want.Stderr, got.Stderr)
	for _, out := range []struct {
		who             string
		percallDistinct bool
		text            string
	}{{"Python's server", false, want.Stdout}, {"the Go twin", true, got.Stdout}} {
		if err := checkInstancePattern(out.text, out.percallDistinct, 9, 3, 9); err != nil {
			t.Errorf("against %s: %v\n%s", out.who, err, out.text)
		}
	}
	extest.Same(t, "the server's output", maskIDs(pyServer.After("Pyro daemon running.\n")), maskIDs(goServer.After("Pyro daemon running.\n")))
}
