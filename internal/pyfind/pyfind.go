// Package pyfind finds the Python interpreter and the Pyro5 that the interop tests and the
// developers' benchmarks run: Debian's /usr/bin/python3 (a pyenv python3 earlier on PATH lacks
// Debian's Pyro4), and Pyro5 installed as a module or, failing that, its source tree beside
// the module root. It imports no testing code, so `pyro bench` can use it.
package pyfind

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Interpreter is Debian's Python, the one that has Pyro4 and the Pyro5 dependencies.
const Interpreter = "/usr/bin/python3"

// modulePath identifies the go.mod of this project when looking for the module root.
const modulePath = "github.com/gopyro/pyro"

// Pyro5SourceDir is where the Pyro5 source tree lives when Pyro5 is not installed as a Python
// module: relative to the module root, beside the checkout (CI clones it there too).
const Pyro5SourceDir = "../shared/pyro5"

// Env is the caller's environment for a Python Pyro process: without PYRO_* variables (they
// would change Pyro4's defaults, and Pyro5 refuses to start on one it does not know), and
// unbuffered.
func Env() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PYRO_") {
			env = append(env, kv)
		}
	}
	return append(env, "PYTHONUNBUFFERED=1", "PYTHONDONTWRITEBYTECODE=1")
}

// Pyro5 is a usable Pyro5: the PYTHONPATH entry it needs ("" when installed) and a
// description for logs ("5.17-dev0 from /work/shared/pyro5").
type Pyro5 struct {
	Path, Desc string
}

// Env is the environment for this Pyro5's processes: Env with Pyro5 on PYTHONPATH when it is
// not installed.
func (p Pyro5) Env() []string { return withPythonPath(Env(), p.Path) }

var (
	once     sync.Once
	found    Pyro5
	foundErr error
)

// FindPyro5 looks for an installed Pyro5 first, then for the source tree at Pyro5SourceDir
// from the module root (found from the working directory). The answer is cached.
func FindPyro5() (Pyro5, error) {
	once.Do(func() { found, foundErr = findPyro5() })
	return found, foundErr
}

func findPyro5() (Pyro5, error) {
	installed, ierr := probePyro5("")
	if ierr == nil {
		return Pyro5{Desc: installed}, nil
	}
	root, err := ModuleRoot()
	if err != nil {
		return Pyro5{}, fmt.Errorf("no installed Pyro5 (%v), and %w", ierr, err)
	}
	p5, err := findPyro5Source(root, ierr)
	if err == nil {
		return p5, nil
	}
	// A checkout elsewhere (a clean clone in a temporary directory, say) finds the tree in
	// a "shared" folder above it, or in this workplace's.
	for _, dir := range fallbackSourceDirs(root) {
		if _, serr := os.Stat(filepath.Join(dir, "Pyro5", "protocol.py")); serr != nil {
			continue
		}
		if desc, perr := probePyro5(dir); perr == nil {
			return Pyro5{Path: dir, Desc: desc}, nil
		}
	}
	return Pyro5{}, err
}

// WorkplaceSourceDir is where this workplace keeps Pyro5's source tree, the last place
// FindPyro5 looks.
const WorkplaceSourceDir = "/work/shared/pyro5"

// fallbackSourceDirs lists shared/pyro5 in every folder above root, then WorkplaceSourceDir.
func fallbackSourceDirs(root string) []string {
	var dirs []string
	for dir := filepath.Dir(root); ; dir = filepath.Dir(dir) {
		dirs = append(dirs, filepath.Join(dir, "shared", "pyro5"))
		if dir == filepath.Dir(dir) {
			break
		}
	}
	return append(dirs, WorkplaceSourceDir)
}

// findPyro5Source checks the source tree at Pyro5SourceDir from root; ierr says why there is
// no installed Pyro5.
func findPyro5Source(root string, ierr error) (Pyro5, error) {
	src := filepath.Join(root, filepath.FromSlash(Pyro5SourceDir))
	if _, err := os.Stat(filepath.Join(src, "Pyro5", "protocol.py")); err != nil {
		return Pyro5{}, fmt.Errorf("no installed Pyro5 (%v), and no Pyro5 source tree: %w", ierr, err)
	}
	desc, err := probePyro5(src)
	if err != nil {
		return Pyro5{}, fmt.Errorf("Pyro5 source tree %s does not import: %w", src, err)
	}
	return Pyro5{Path: src, Desc: desc}, nil
}

func withPythonPath(env []string, path string) []string {
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

// pyro5Probe imports what the interop tests need and prints the version and origin.
const pyro5Probe = "import Pyro5, Pyro5.protocol, serpent, msgpack; " +
	"assert Pyro5.protocol.PROTOCOL_VERSION == 502, Pyro5.protocol.PROTOCOL_VERSION; " +
	"print(Pyro5.__version__, 'from', Pyro5.__path__[0])"

// probePyro5 runs pyro5Probe with path (when not empty) on PYTHONPATH.
func probePyro5(path string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, Interpreter, "-c", pyro5Probe)
	cmd.Env = withPythonPath(Env(), path)
	cmd.Dir = os.TempDir() // not the caller's directory, which could shadow a module
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s -c %q: %w\n%s", Interpreter, pyro5Probe, err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

// ModuleRoot finds the directory of this project's go.mod, walking up from the working
// directory (a package directory under go test, the checkout for `go run`).
func ModuleRoot() (string, error) {
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
