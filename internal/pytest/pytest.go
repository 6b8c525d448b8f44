// Package pytest runs Debian's Python 3 with Pyro4, serpent and msgpack for interoperability
// tests. A test that needs it fails, never skips, when it is missing: run scripts/test, which
// installs it.
package pytest

import (
	"bufio"
	"bytes"
	"context"
	"github.com/gopyro/pyro/internal/pyfind"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// Interpreter is Debian's Python; the pyenv python3 first on PATH cannot import Pyro4.
const Interpreter = pyfind.Interpreter

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
func Env() []string { return pyfind.Env() }

// Start runs a long-lived Python process (python3 args...) with extra environment entries,
// waits for the stdout line starting with prefix and returns the rest of that line (a URI,
// usually). The process is killed when the test ends.
func Start(t testing.TB, env []string, prefix string, args ...string) string {
	t.Helper()
	Require(t)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := Command(ctx, args...)
	cmd.Env = append(cmd.Env, env...)
	return StartCmd(t, cmd, cancel, prefix)
}

// StartCmd starts a prepared command, waits for the stdout line starting with prefix and
// returns the rest of it. cancel (the command's context) and a wait run when the test ends;
// the caller keeps cmd to signal or kill the process earlier.
func StartCmd(t testing.TB, cmd *exec.Cmd, cancel func(), prefix string) string {
	t.Helper()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := new(SyncBuffer)
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); cmd.Wait() })
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if line := sc.Text(); strings.HasPrefix(line, prefix) {
				select { // the first is wanted; keep draining so that the process never blocks
				case found <- strings.TrimSpace(strings.TrimPrefix(line, prefix)):
				default:
				}
			}
		}
		close(found)
	}()
	select {
	case v, ok := <-found:
		if !ok {
			t.Fatalf("%s exited before printing %q:\n%s", cmd, prefix, stderr.String())
		}
		return v
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not print %q:\n%s", cmd, prefix, stderr.String())
	}
	return ""
}

// SyncBuffer is a bytes.Buffer safe for a writer goroutine and a reader.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// StartNameServer runs Python's pyro4-ns on 127.0.0.1 with a free port (no broadcast) and
// returns its URI. Extra arguments (such as "-s", "sql:FILE") are passed on.
func StartNameServer(t testing.TB, extra ...string) string {
	t.Helper()
	return Start(t, nil, "URI = ", append([]string{"-m", "Pyro4.naming", "-n", "127.0.0.1", "-p", "0", "-x"}, extra...)...)
}
