package gateway_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDepsNoServerNorBrowser: the gateway is a name server client, not a name server
// (no naming/nameserver, no storage, no SQLite), and chromedp is for its tests only.
func TestDepsNoServerNorBrowser(t *testing.T) {
	goCmd, err := exec.LookPath("go") // go test puts its own GOROOT/bin first in PATH
	if err != nil {
		t.Fatal("no go command:", err)
	}
	out, err := exec.Command(goCmd, "list", "-deps", "-f", "{{.ImportPath}}", "github.com/gopyro/pyro/gateway").Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) == 0 || deps[len(deps)-1] != "github.com/gopyro/pyro/gateway" {
		t.Fatalf("go list -deps did not end with the gateway package:\n%s", out)
	}
	for _, dep := range deps {
		switch {
		case strings.HasPrefix(dep, "github.com/gopyro/pyro/naming/"),
			strings.HasPrefix(dep, "github.com/chromedp/"),
			strings.HasPrefix(dep, "modernc.org/"),
			dep == "database/sql":
			t.Errorf("package gateway imports %s", dep)
		}
	}
}
