package pyro_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestObservabilityLinksNothing keeps metrics and tracing optional: the root package and the
// name server client reach them only through the observer seam, so a program that uses
// neither links neither Prometheus nor OpenTelemetry.
func TestObservabilityLinksNothing(t *testing.T) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatal("no go command:", err)
	}
	for _, pkg := range []string{"github.com/gopyro/pyro", "github.com/gopyro/pyro/naming"} {
		out, err := exec.Command(goCmd, "list", "-deps", "-f", "{{.ImportPath}}", pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		deps := strings.Fields(string(out))
		if len(deps) == 0 || deps[len(deps)-1] != pkg {
			t.Fatalf("go list -deps %s did not end with it:\n%s", pkg, out)
		}
		for _, dep := range deps {
			if strings.HasPrefix(dep, "github.com/prometheus/") || strings.HasPrefix(dep, "go.opentelemetry.io/") ||
				strings.HasPrefix(dep, "github.com/gopyro/pyro/observe/") {
				t.Errorf("%s imports %s", pkg, dep)
			}
		}
	}
}
