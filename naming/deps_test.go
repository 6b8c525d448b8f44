package naming_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestClientLinksNoServer keeps the client small: a program that only looks names up must not
// link the name server, its storages or SQLite (issue 9: 11.8 MB against 5.7 MB).
func TestClientLinksNoServer(t *testing.T) {
	goCmd, err := exec.LookPath("go") // go test puts its own GOROOT/bin first in PATH
	if err != nil {
		t.Skip("no go command:", err)
	}
	out, err := exec.Command(goCmd, "list", "-deps", "-f", "{{.ImportPath}}", "github.com/gopyro/pyro/naming").Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) == 0 || deps[len(deps)-1] != "github.com/gopyro/pyro/naming" {
		t.Fatalf("go list -deps did not end with the naming package:\n%s", out)
	}
	for _, dep := range deps {
		switch {
		case strings.HasPrefix(dep, "github.com/gopyro/pyro/naming/"),
			strings.HasPrefix(dep, "modernc.org/"),
			strings.HasPrefix(dep, "go.etcd.io/"),
			dep == "database/sql":
			t.Errorf("package naming imports %s", dep)
		}
	}
}
