package main

import (
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gopyro/pyro/examples/internal/extest"
)

func TestMain(m *testing.M) { extest.Main(m, main) }

var factorsLine = regexp.MustCompile(`(?m)^(\d+) --> \[([\d, ]*)\]$`)

// checkFactors checks every "number --> [factors]" line the client printed: the factors are
// primes, in order, whose product is the number. It returns how many lines there were.
func checkFactors(t *testing.T, who, out string) int {
	t.Helper()
	lines := factorsLine.FindAllStringSubmatch(out, -1)
	for _, m := range lines {
		n, _ := strconv.ParseInt(m[1], 10, 64)
		product, last := int64(1), int64(0)
		for _, f := range strings.Split(m[2], ", ") {
			p, err := strconv.ParseInt(f, 10, 64)
			if err != nil || p < last || !big.NewInt(p).ProbablyPrime(20) {
				t.Errorf("%s: %q: %s is not the next prime factor", who, m[0], f)
			}
			product, last = product*p, p
		}
		if product != n {
			t.Errorf("%s: %q: the factors' product is %d", who, m[0], product)
		}
	}
	return len(lines)
}

// normalise masks what differs between two runs of the client: the numbers it draws at
// random (and so their factors), and the worker's name (its process id and the host name).
// It drops the "Not all results available yet" lines, which the client prints only when a
// result takes longer than getResult's 5 second wait.
func normalise(s string) string {
	s = extest.Replace(s, `(?m)^Not all results available yet.*\n`, "")
	s = factorsLine.ReplaceAllString(s, "NUMBER --> [FACTORS]")
	return extest.Replace(s, `Worker_\d+@\S+\)`, "Worker_PID@HOST)")
}

// TestClient runs Pyro4's distributed-computing client and one of its workers around
// dispatcher.py and around the Go twin: the client prints the same, but for its random
// numbers, whose factorizations are checked instead. With one worker the results come back
// in the order the work went out.
func TestClient(t *testing.T) {
	dir := extest.Dir(t, "distributed-computing")
	pyNS := extest.PythonNameServer(t)
	extest.StartPython(t, extest.NSEnv(pyNS), "Pyro daemon running.", dir+"/dispatcher.py")
	extest.StartPython(t, extest.NSEnv(pyNS), "getting work from dispatcher.", dir+"/worker.py")
	want := extest.Run(t, extest.Python(extest.NSEnv(pyNS), dir+"/client.py"), "", 0)

	goNS := extest.GoNameServer(t)
	extest.StartGo(t, extest.NSEnv(goNS), "Pyro daemon running.")
	worker := extest.StartPython(t, extest.NSEnv(goNS), "getting work from dispatcher.", dir+"/worker.py")
	got := extest.Run(t, extest.Python(extest.NSEnv(goNS), dir+"/client.py"), "", 0)

	if n := checkFactors(t, "against Python's dispatcher", want.Stdout); n != 40 {
		t.Errorf("against Python's dispatcher the client printed %d factorizations, want 40", n)
	}
	if n := checkFactors(t, "against the Go twin", got.Stdout); n != 40 {
		t.Errorf("against the Go twin the client printed %d factorizations, want 40", n)
	}
	extest.Same(t, "the client's output", normalise(want.Stdout), normalise(got.Stdout))
	extest.Same(t, "the client's errors", want.Stderr, got.Stderr)
	// The worker asks again every 5 seconds when there is no work: it says so.
	worker.WaitFor("no work available yet.", 1)
}
