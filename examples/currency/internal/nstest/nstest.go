// Package nstest starts name servers and Python programs for the currency example's tests.
package nstest

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/internal/pytest"
	"github.com/gopyro/pyro/naming"
)

// StartGoNS runs our name server (package naming) on a free loopback port, without
// broadcast, until the test ends, and returns its URI.
func StartGoNS(t testing.TB) pyro.URI {
	t.Helper()
	cfg := pyro.DefaultConfig()
	cfg.Host = "127.0.0.1"
	cfg.Port = -1
	s, err := naming.Start(naming.Options{Config: cfg, NoBroadcast: true})
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(context.Background())
	t.Cleanup(func() { s.Close() })
	return s.URI()
}

// StartPythonNS runs Python Pyro4's name server on a free loopback port, without broadcast,
// until the test ends, and returns its URI. It fails the test when Python Pyro4 is missing.
func StartPythonNS(t testing.TB) pyro.URI {
	t.Helper()
	line := pytest.StartNameServer(t)
	u, err := pyro.ParseURI(line)
	if err != nil {
		t.Fatalf("name server URI %q: %v", line, err)
	}
	return u
}

// StartAndRead starts a program and waits for its output line starting with prefix,
// returning the rest of that line. cancel (which should kill cmd) and Wait run when the test
// ends. Unlike pytest.Start it takes the caller's *exec.Cmd, so a test can signal the process.
func StartAndRead(t testing.TB, cmd *exec.Cmd, cancel func(), prefix string) string {
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
			if rest, ok := strings.CutPrefix(sc.Text(), prefix); ok {
				found <- strings.TrimSpace(rest)
				break
			}
		}
		close(found)
		io.Copy(io.Discard, stdout)
	}()
	select {
	case s, ok := <-found:
		if !ok {
			t.Fatalf("%s exited before printing %q:\n%s", cmd, prefix, stderr)
		}
		return s
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not print %q:\n%s", cmd, prefix, stderr)
	}
	return ""
}

// SyncBuffer is a bytes.Buffer safe for concurrent writes and reads.
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
