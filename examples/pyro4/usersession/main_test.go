package main

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gopyro/pyro/examples/internal/extest"
)

func TestMain(m *testing.M) { extest.Main(m, main) }

var (
	threadNum     = regexp.MustCompile(`(\[Thread-\d+\] num=)\d+`)
	concurrentErr = regexp.MustCompile(`^RuntimeError: ERROR: concurrent connection access \((read|write)\) by multiple different threads$`)
)

// userSessionRun is what the usersession client printed, normalised: its four sections.
type userSessionRun struct {
	sections []string // headers and, for the first three, the lines under them, sorted
	// The fourth section shows the singleton's threading problem: how many of the 6 calls
	// collide differs from run to run, so only the sum is fixed.
	lastLines, lastErrors int
}

// parseUserSession splits the client's output into sections. Within a section the two
// threads print in any order (and, as print writes the newline apart, sometimes on one
// line), and the numbers they read depend on which thread stored last (the database is
// shared), so results are picked out by pattern, sorted and their numbers masked.
func parseUserSession(t *testing.T, stdout, stderr string) userSessionRun {
	t.Helper()
	var r userSessionRun
	parts := strings.Split(stdout, "\n***** ")
	if len(parts) != 5 || strings.TrimSpace(parts[0]) != "" {
		t.Fatalf("the client printed %d sections, want 4:\n%s", len(parts)-1, stdout)
	}
	for i, part := range parts[1:] {
		header, body, _ := strings.Cut(part, "\n")
		r.sections = append(r.sections, "***** "+header)
		results := threadNum.FindAllString(body, -1)
		if rest := strings.ReplaceAll(threadNum.ReplaceAllString(body, ""), "enter to start: ", ""); strings.TrimSpace(rest) != "" {
			t.Errorf("unexpected output in section %d: %q", i+1, rest)
		}
		if i == 3 {
			r.lastLines = len(results)
			continue
		}
		for k := range results {
			results[k] = threadNum.ReplaceAllString(results[k], "${1}N")
		}
		slices.Sort(results)
		r.sections = append(r.sections, strings.Join(results, "\n"))
	}
	// traceback.print_exc writes whole lines, so stderr's lines are intact.
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "Traceback") {
			r.lastErrors++
		}
		if strings.Contains(l, "Error") && !strings.HasPrefix(l, "Traceback") && !strings.HasPrefix(l, " ") && !concurrentErr.MatchString(l) {
			t.Errorf("unexpected error from the client: %q", l)
		}
	}
	return r
}

// TestClient: the client's USER annotation reaches both databases; the session-bound one is
// made once per proxy connection for that user (a factory reading the annotations of the
// call that made it), the singleton reads it on every call and collides with itself when
// two clients use it at once, as Python's does.
func TestClient(t *testing.T) {
	dir := extest.Dir(t, "usersession")
	client := func(env []string) userSessionRun {
		t.Helper()
		r := extest.Run(t, extest.Python(env, dir+"/client.py"), "\n\n", 0)
		return parseUserSession(t, r.Stdout, r.Stderr)
	}
	pyNS := extest.PythonNameServer(t)
	pyServer := extest.StartPython(t, extest.NSEnv(pyNS), "Pyro daemon running", dir+"/server.py")
	want := client(extest.NSEnv(pyNS))

	goNS := extest.GoNameServer(t)
	goServer := extest.StartGo(t, extest.NSEnv(goNS), "Pyro daemon running")
	got := client(extest.NSEnv(goNS))

	extest.Same(t, "the client's output", strings.Join(want.sections, "\n"), strings.Join(got.sections, "\n"))
	t.Logf("the concurrent singleton section: %d results and %d collisions against Python's server, %d and %d against ours",
		want.lastLines, want.lastErrors, got.lastLines, got.lastErrors)
	for who, r := range map[string]userSessionRun{"Python's server": want, "ours": got} {
		if r.lastLines+r.lastErrors != 6 {
			t.Errorf("against %s the concurrent singleton section had %d results and %d errors, want 6 in all", who, r.lastLines, r.lastErrors)
		}
	}
	// Both servers made the same instances: two sessions in each of the first and third
	// sections, each for the user the annotations named, and one singleton. (Python's threads
	// may run their prints together, so occurrences are counted, not lines.)
	for who, out := range map[string]string{"Python's server": pyServer.Stdout(), "ours": goServer.Stdout()} {
		sessions := strings.Count(out, "[SessionboundDatabase] new instance and connection for user: user123")
		singles := strings.Count(out, "[SingletonDatabase] new instance and connection")
		if sessions != 4 || singles != 1 || strings.Count(out, "new instance") != 5 {
			t.Errorf("%s made %d sessions for user123 and %d singletons, want 4 and 1:\n%s", who, sessions, singles, out)
		}
	}
}
