package pytest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopyro/pyro/internal/pyfind"
)

// Pyro5SourceDir is where the Pyro5 source tree lives when Pyro5 is not installed as a Python
// module: relative to the module root, beside the checkout (CI clones it there too).
const Pyro5SourceDir = pyfind.Pyro5SourceDir

// RequirePyro5 fails the test unless Debian's Python can import Pyro5 (protocol 502) with
// serpent and msgpack: an installed Pyro5 module if there is one, else the source tree at
// Pyro5SourceDir from the module root. It never skips: a missing Pyro5 is a broken setup.
func RequirePyro5(t testing.TB) {
	t.Helper()
	if _, err := pyfind.FindPyro5(); err != nil {
		t.Fatalf("Python Pyro5 is required for this interop test (an installed Pyro5 module, or its source in %s beside the module root, with Debian's python3-serpent and python3-msgpack): %v", Pyro5SourceDir, err)
	}
}

// Pyro5Version describes the Pyro5 in use ("5.17-dev0 from /work/shared/pyro5"); the test
// fails if there is none.
func Pyro5Version(t testing.TB) string {
	t.Helper()
	RequirePyro5(t)
	p5, _ := pyfind.FindPyro5()
	return p5.Desc
}

// Pyro5Env is the environment for Pyro5 processes: Env (which drops every PYRO_* variable:
// Pyro5 refuses to start on one it does not know, such as Pyro4's PYRO_HMAC_KEY) with Pyro5
// on PYTHONPATH when it is not installed.
func Pyro5Env(t testing.TB) []string {
	t.Helper()
	RequirePyro5(t)
	p5, _ := pyfind.FindPyro5()
	return p5.Env()
}

// RunPyro5 runs python3 with args (a script file, or "-c" and a script) under Pyro5Env,
// feeding it stdin, and returns its stdout. A non-zero exit fails the test with stderr. The
// process runs with a 2-minute limit.
func RunPyro5(t testing.TB, stdin []byte, args ...string) []byte {
	t.Helper()
	env := Pyro5Env(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, Interpreter, args...)
	cmd.Env = env
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("python (Pyro5) %s failed: %v\nstderr:\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes()
}

// StartPyro5 runs a long-lived Pyro5 process (python3 args..., such as "-m",
// "Pyro5.utils.echoserver") under Pyro5Env plus env, waits for the stdout line starting with
// prefix and returns the rest of that line. The process is killed when the test ends.
func StartPyro5(t testing.TB, env []string, prefix string, args ...string) string {
	t.Helper()
	base := Pyro5Env(t)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, Interpreter, args...)
	cmd.Env = append(base, env...)
	return StartCmd(t, cmd, cancel, prefix)
}

// Pyro5Example returns the directory of one of Pyro5's own examples (such as "attributes"),
// from the Pyro5 source tree in use, failing the test when it is missing.
func Pyro5Example(t testing.TB, name string) string {
	t.Helper()
	RequirePyro5(t)
	p5, _ := pyfind.FindPyro5()
	var dirs []string
	if p5.Path != "" {
		dirs = append(dirs, p5.Path)
	}
	if root, err := pyfind.ModuleRoot(); err == nil {
		dirs = append(dirs, filepath.Join(root, filepath.FromSlash(Pyro5SourceDir)))
	}
	dirs = append(dirs, pyfind.WorkplaceSourceDir)
	for _, d := range dirs {
		dir := filepath.Join(d, "examples", name)
		if _, err := os.Stat(dir); err == nil {
			return dir
		}
	}
	t.Fatalf("Pyro5's example %s is missing (it comes with Pyro5's source tree; looked in %v)", name, dirs)
	return ""
}

// ModuleRoot finds the directory of this project's go.mod, walking up from the working
// directory (a package directory under go test).
func ModuleRoot() (string, error) { return pyfind.ModuleRoot() }
