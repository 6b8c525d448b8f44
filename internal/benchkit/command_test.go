package benchkit_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/gopyro/pyro/internal/benchkit"
	"github.com/gopyro/pyro/internal/pytest"
)

func TestCommandTable(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := benchkit.Command(context.Background(), []string{"--calls", "200", "--rounds", "2", "-c", "1,2", "-s", "msgpack", "-v", "--payloads", "none", "--batch", "0"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"with msgpack", benchkit.RowRaw, benchkit.RowGoGo, benchkit.RowNetRPC, "× raw", "allocs/call"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// Three row kinds for each of two caller counts.
	if n := strings.Count(out, benchkit.RowGoGo); n != 2 {
		t.Errorf("%d Go rows, want 2:\n%s", n, out)
	}
	if strings.Contains(out, "Python Pyro4") {
		t.Errorf("Python rows without --python:\n%s", out)
	}
	if !strings.Contains(stderr.String(), "round 2 of 2") {
		t.Errorf("-v printed no progress:\n%s", stderr.String())
	}
}

func TestCommandPython(t *testing.T) {
	pytest.Require(t)
	var stdout, stderr bytes.Buffer
	code := benchkit.Command(context.Background(), []string{"--calls", "40", "--rounds", "1", "--callers", "1", "--python", "--payloads", "none", "--batch", "0"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr.String())
	}
	for _, want := range []string{benchkit.RowPyGo, benchkit.RowPyPy, benchkit.RowPy5Go, benchkit.RowPy5Py5} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout.String())
		}
	}
}

func TestCommandUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--callers", "0"},
		{"--callers", "1,x"},
		{"--rounds", "0"},
		{"--duration", "-1s"},
		{"extra"},
		{"--no-such-flag"},
	} {
		var stdout, stderr bytes.Buffer
		if code := benchkit.Command(context.Background(), args, &stdout, &stderr); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	var stdout, stderr bytes.Buffer
	if code := benchkit.Command(context.Background(), []string{"--help"}, &stdout, &stderr); code != 0 || !strings.Contains(stderr.String(), "--callers") {
		t.Errorf("--help: exit %d, output:\n%s", code, stderr.String())
	}
	// A target that is not there is an error, not a hang.
	stderr.Reset()
	if code := benchkit.Command(context.Background(), []string{"--calls", "10", "--target", "PYRO:x@127.0.0.1:1"}, &stdout, &stderr); code != 1 {
		t.Errorf("unreachable target: exit %d, stderr:\n%s", code, stderr.String())
	}
}
