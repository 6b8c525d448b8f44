package pytest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// modulePath identifies the go.mod of this project when looking for the module root.
const modulePath = "github.com/gopyro/pyro"

// Pyro5SourceDir is where the Pyro5 source tree lives when Pyro5 is not installed as a Python
// module: relative to the module root, beside the checkout (CI clones it there too).
const Pyro5SourceDir = "../shared/pyro5"

var (
	pyro5Once sync.Once
	pyro5Path string // PYTHONPATH entry for Pyro5, "" when it is installed
	pyro5Desc string // version and origin, for logs
	pyro5Err  error
)

// RequirePyro5 fails the test unless Debian's Python can import Pyro5 (protocol 502) with
// serpent and msgpack: an installed Pyro5 module if there is one, else the source tree at
// Pyro5SourceDir from the module root. It never skips: a missing Pyro5 is a broken setup.
func RequirePyro5(t testing.TB) {
	t.Helper()
	pyro5Once.Do(func() { pyro5Path, pyro5Desc, pyro5Err = findPyro5() })
	if pyro5Err != nil {
		t.Fatalf("Python Pyro5 is required for this interop test (an installed Pyro5 module, or its source in %s beside the module root, with Debian's python3-serpent and python3-msgpack): %v", Pyro5SourceDir, pyro5Err)
	}
}

// Pyro5Version describes the Pyro5 in use ("5.17-dev0 from /work/shared/pyro5"); the test
// fails if there is none.
func Pyro5Version(t testing.TB) string {
	t.Helper()
	RequirePyro5(t)
	return pyro5Desc
}

// Pyro5Env is the environment for Pyro5 processes: Env (which drops every PYRO_* variable:
// Pyro5 refuses to start on one it does not know, such as Pyro4's PYRO_HMAC_KEY) with Pyro5
// on PYTHONPATH when it is not installed.
func Pyro5Env(t testing.TB) []string {
	t.Helper()
	RequirePyro5(t)
	return pyro5Env(pyro5Path)
}

func pyro5Env(path string) []string {
	env := Env()
	if path == "" {
		return env
	}
	for i, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PYTHONPATH="); ok {
			if v != "" {
				path += string(os.PathListSeparator) + v
			}
			env = append(env[:i], env[i+1:]...)
			break
		}
	}
	return append(env, "PYTHONPATH="+path)
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

// findPyro5 looks for an installed Pyro5 first, then for the source tree beside the module
// root.
func findPyro5() (path, desc string, err error) {
	installed, ierr := probePyro5("")
	if ierr == nil {
		return "", installed, nil
	}
	root, err := moduleRoot()
	if err != nil {
		return "", "", fmt.Errorf("no installed Pyro5 (%v), and %w", ierr, err)
	}
	return findPyro5Source(root, ierr)
}

// findPyro5Source checks the source tree at Pyro5SourceDir from root; ierr says why there is
// no installed Pyro5.
func findPyro5Source(root string, ierr error) (path, desc string, err error) {
	src := filepath.Join(root, filepath.FromSlash(Pyro5SourceDir))
	if _, err := os.Stat(filepath.Join(src, "Pyro5", "protocol.py")); err != nil {
		return "", "", fmt.Errorf("no installed Pyro5 (%v), and no Pyro5 source tree: %w", ierr, err)
	}
	desc, err = probePyro5(src)
	if err != nil {
		return "", "", fmt.Errorf("Pyro5 source tree %s does not import: %w", src, err)
	}
	return src, desc, nil
}

// pyro5Probe imports what the interop tests need and prints the version and origin.
const pyro5Probe = "import Pyro5, Pyro5.protocol, serpent, msgpack; " +
	"assert Pyro5.protocol.PROTOCOL_VERSION == 502, Pyro5.protocol.PROTOCOL_VERSION; " +
	"print(Pyro5.__version__, 'from', Pyro5.__path__[0])"

// probePyro5 runs pyro5Probe with path (when not empty) on PYTHONPATH.
func probePyro5(path string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, Interpreter, "-c", pyro5Probe)
	cmd.Env = pyro5Env(path)
	cmd.Dir = os.TempDir() // not the test's directory, which could shadow a module
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s -c %q: %w\n%s", Interpreter, pyro5Probe, err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

// ModuleRoot finds the directory of this project's go.mod, walking up from the working
// directory (a package directory under go test).
func ModuleRoot() (string, error) { return moduleRoot() }

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if f, err := os.Open(filepath.Join(dir, "go.mod")); err == nil {
			sc := bufio.NewScanner(f)
			mod := ""
			for sc.Scan() {
				if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
					mod = strings.Trim(strings.TrimSpace(rest), `"`)
					break
				}
			}
			f.Close()
			if mod == modulePath {
				return dir, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("the module root (go.mod of " + modulePath + ") is not above the working directory")
		}
		dir = parent
	}
}
