// Package nstest starts name servers and Python programs for the currency example's tests.
package nstest

import (
	"os/exec"
	"testing"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/internal/pytest"
	"github.com/gopyro/pyro/naming/nameserver"
	"github.com/gopyro/pyro/pyrotest"
)

// StartGoNS runs our name server (package naming/nameserver) on a free loopback port,
// without broadcast, until the test ends, and returns its URI.
func StartGoNS(t testing.TB) pyro.URI {
	t.Helper()
	return pyrotest.NewNameServer(t, nameserver.Config{}).URI()
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

// StartAndRead starts cmd and returns the text after prefix on its output (see pytest.StartCmd).
func StartAndRead(t testing.TB, cmd *exec.Cmd, cancel func(), prefix string) string {
	t.Helper()
	return pytest.StartCmd(t, cmd, cancel, prefix)
}

// SyncBuffer is a bytes.Buffer safe for concurrent writes and reads.
type SyncBuffer = pytest.SyncBuffer
