package pytest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Pyro5 is found from any package directory, runs with Pyro4's PYRO_* settings in the
// caller's environment (which it would refuse), and sees none of them.
func TestPyro5(t *testing.T) {
	t.Setenv("PYRO_HMAC_KEY", "secret")
	t.Setenv("PYRO_SERIALIZERS_ACCEPTED", "serpent")
	out := string(RunPyro5(t, nil, "-c", "import os, Pyro5.api; print([k for k in os.environ if k.startswith('PYRO_')], Pyro5.api.config.SERIALIZER)"))
	if strings.TrimSpace(out) != "[] serpent" {
		t.Fatalf("python said %q", out)
	}
	if v := Pyro5Version(t); !strings.HasPrefix(v, "5.") {
		t.Fatalf("version %q", v)
	}
	for _, kv := range Pyro5Env(t) {
		if strings.HasPrefix(kv, "PYRO_") {
			t.Fatalf("%s in the environment", kv)
		}
	}
}

func TestModuleRoot(t *testing.T) {
	here, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Dir(filepath.Dir(here)) // internal/pytest
	for _, dir := range []string{here, filepath.Join(want, "internal", "wire"), want} {
		t.Chdir(dir)
		got, err := moduleRoot()
		if err != nil || got != want {
			t.Fatalf("from %s: %q, %v; want %q", dir, got, err, want)
		}
	}
	t.Chdir(t.TempDir())
	if _, err := moduleRoot(); err == nil {
		t.Fatal("found a module root outside the module")
	}
}

// Without the source tree beside the module root, the finder reports an error (which
// RequirePyro5 turns into a failure, never a skip).
func TestPyro5SourceMissing(t *testing.T) {
	root := filepath.Join(t.TempDir(), "checkout")
	_, _, err := findPyro5Source(root, errors.New("not installed"))
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
	if _, _, err := findPyro5Source(root, errors.New("not installed")); err == nil || !strings.Contains(err.Error(), "does not import") {
		t.Fatalf("got %v", err)
	}
}

func TestPyro5EnvPythonPath(t *testing.T) {
	t.Setenv("PYTHONPATH", "/elsewhere")
	var got []string
	for _, kv := range pyro5Env("/src/pyro5") {
		if strings.HasPrefix(kv, "PYTHONPATH=") {
			got = append(got, kv)
		}
	}
	if len(got) != 1 || got[0] != "PYTHONPATH=/src/pyro5"+string(os.PathListSeparator)+"/elsewhere" {
		t.Fatalf("got %q", got)
	}
}
