package pyfind

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestModuleRoot(t *testing.T) {
	here, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Dir(filepath.Dir(here)) // internal/pyfind
	for _, dir := range []string{here, filepath.Join(want, "internal", "wire"), want} {
		t.Chdir(dir)
		got, err := ModuleRoot()
		if err != nil || got != want {
			t.Fatalf("from %s: %q, %v; want %q", dir, got, err, want)
		}
	}
	t.Chdir(t.TempDir())
	if _, err := ModuleRoot(); err == nil {
		t.Fatal("found a module root outside the module")
	}
}

// Without the source tree beside the module root, the finder reports an error (which
// RequirePyro5 turns into a failure, never a skip).
func TestPyro5SourceMissing(t *testing.T) {
	root := filepath.Join(t.TempDir(), "checkout")
	_, err := findPyro5Source(root, errors.New("not installed"))
	if err == nil || !strings.Contains(err.Error(), "no Pyro5 source tree") {
		t.Fatalf("got %v", err)
	}
	// A tree that is there but does not import is an error too.
	bad := filepath.Join(filepath.Dir(root), "shared", "pyro5", "Pyro5")
	if err := os.MkdirAll(bad, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bad, "protocol.py"), []byte("PROTOCOL_VERSION = 502\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := findPyro5Source(root, errors.New("not installed")); err == nil || !strings.Contains(err.Error(), "does not import") {
		t.Fatalf("got %v", err)
	}
}

func TestPyro5EnvPythonPath(t *testing.T) {
	t.Setenv("PYTHONPATH", "/elsewhere")
	var got []string
	for _, kv := range (Pyro5{Path: "/src/pyro5"}).Env() {
		if strings.HasPrefix(kv, "PYTHONPATH=") {
			got = append(got, kv)
		}
	}
	if len(got) != 1 || got[0] != "PYTHONPATH=/src/pyro5"+string(os.PathListSeparator)+"/elsewhere" {
		t.Fatalf("got %q", got)
	}
}
