package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const benchkitPath = "github.com/gopyro/pyro/internal/benchkit"

// goList returns the import paths this package depends on when built with extra flags.
func goList(t *testing.T, extra ...string) []string {
	t.Helper()
	args := append([]string{"list", "-deps", "-f", "{{.ImportPath}}"}, extra...)
	out, err := exec.Command("go", append(args, ".")...).Output()
	if err != nil {
		t.Fatalf("go %s: %v", strings.Join(args, " "), err)
	}
	return strings.Fields(string(out))
}

// TestShippedImportGraph: the pyro command users build links neither the benchmark harness
// (raw TCP, net/rpc and Python runners) nor example code; a developer build with -tags pyrobench
// links the harness and still type-checks (no other test compiles bench.go).
func TestShippedImportGraph(t *testing.T) {
	for _, p := range goList(t) {
		if p == benchkitPath || strings.HasPrefix(p, "github.com/gopyro/pyro/examples/") {
			t.Errorf("go list -deps ./cmd/pyro includes %s", p)
		}
	}
	if !slices.Contains(goList(t, "-tags", "pyrobench"), benchkitPath) {
		t.Errorf("with -tags pyrobench, ./cmd/pyro does not include %s", benchkitPath)
	}
	if out, err := exec.Command("go", "vet", "-tags", "pyrobench", ".").CombinedOutput(); err != nil {
		t.Errorf("go vet -tags pyrobench ./cmd/pyro: %v\n%s", err, out)
	}
}

// TestBenchHint: without the tag, `pyro bench` says how to get it instead of "unknown command".
func TestBenchHint(t *testing.T) {
	built := slices.ContainsFunc(commands, func(c command) bool { return c.name == "bench" })
	out, errOut, code := runPyro("bench", "--help")
	switch {
	case built && code != 0:
		t.Errorf("pyro bench --help with -tags pyrobench: exit %d\n%s", code, errOut)
	case !built && (code != 2 || out != "" || !strings.Contains(errOut, "go run -tags pyrobench ./cmd/pyro bench")):
		t.Errorf("pyro bench without the tag: exit %d, stdout %q, stderr:\n%s", code, out, errOut)
	}
	if h, _, _ := runPyro("--help"); strings.Contains(h, "bench") != built {
		t.Errorf("usage lists bench: %v, built with it: %v\n%s", !built, built, h)
	}
}
