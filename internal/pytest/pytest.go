// Package pytest runs Debian's Python 3 with Pyro4, serpent and msgpack for interoperability
// tests. A test that needs it fails, never skips, when it is missing: run scripts/test, which
// installs it.
package pytest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"
)

// Interpreter is Debian's Python; the pyenv python3 first on PATH cannot import Pyro4.
const Interpreter = "/usr/bin/python3"

var (
	checkOnce sync.Once
	checkErr  error
	checkOut  []byte
)

// Require fails the test unless Python with Pyro4 4.82, serpent and msgpack is usable.
func Require(t testing.TB) {
	t.Helper()
	checkOnce.Do(func() {
		cmd := exec.Command(Interpreter, "-c", "import Pyro4, serpent, msgpack; print(Pyro4.__version__, serpent.__version__)")
		checkOut, checkErr = cmd.CombinedOutput()
	})
	if checkErr != nil {
		t.Fatalf("Python Pyro4 is required for this interop test (run scripts/test, which installs python3-pyro4 python3-serpent python3-msgpack): %v\n%s", checkErr, checkOut)
	}
}

// Run runs a Python script with stdin and returns its stdout, failing the test with stderr on
// a non-zero exit. The script runs with a 2-minute limit.
func Run(t testing.TB, script string, stdin []byte) []byte {
	t.Helper()
	Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, Interpreter, "-c", script)
	cmd.Stdin = bytes.NewReader(stdin)
	cmd.Env = Env()
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("python failed: %v\nstderr:\n%s", err, stderr.String())
	}
	return stdout.Bytes()
}

// Command prepares a long-running Python process (a daemon or name server) with the
// environment interop tests use. The caller starts and stops it.
func Command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, Interpreter, args...)
	cmd.Env = Env()
	return cmd
}

// Env is the environment for Python subprocesses: the caller's, minus any PYRO_* settings that
// would change Pyro4's defaults under a test, with unbuffered output.
func Env() []string {
	var env []string
	for _, kv := range os.Environ() {
		if len(kv) > 5 && kv[:5] == "PYRO_" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "PYTHONUNBUFFERED=1", "PYTHONDONTWRITEBYTECODE=1")
}
