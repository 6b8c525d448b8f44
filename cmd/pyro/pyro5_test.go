package main

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gopyro/pyro/internal/pytest"
)

var (
	pyLocationRE = regexp.MustCompile(`\('127\.0\.0\.1', \d+\)|127\.0\.0\.1:\d+`)
	objectAddrRE = regexp.MustCompile(` at 0x[0-9a-f]+`)
)

// echo5Transcript runs the Pyro5 echo client of the module's testdata against uri.
func echo5Transcript(t *testing.T, uri, ser string, extra ...string) map[string]any {
	t.Helper()
	out := pytest.RunPyro5(t, nil, append([]string{"../../testdata/echo5_client.py", uri, ser}, extra...)...)
	out = pyLocationRE.ReplaceAll(out, []byte("ADDR"))
	out = objectAddrRE.ReplaceAll(out, nil)
	var tr map[string]any
	if err := json.Unmarshal(out, &tr); err != nil {
		t.Fatalf("transcript: %v\n%s", err, out)
	}
	return tr
}

// TestEchoServerServesPyro5 runs one Python Pyro5 client program against `pyro echoserver`
// and against Pyro5's own echo server and compares what it saw; then `pyro call` reaches
// Pyro5's echo server (auto-detected and explicit), and a Pyro5 client's shutdown() ends
// `pyro echoserver`.
func TestEchoServerServesPyro5(t *testing.T) {
	goURI, cmd := startPyro(t, "echo uri: ", "echoserver", "-H", "127.0.0.1", "-p", "0")
	pyURI := pytest.StartPyro5(t, nil, "echo uri: ", "-m", "Pyro5.utils.echoserver", "-H", "127.0.0.1", "-p", "0")
	for _, ser := range []string{"serpent", "msgpack"} {
		want := echo5Transcript(t, pyURI, ser)
		got := echo5Transcript(t, goURI, ser)
		for key, w := range want {
			wj, _ := json.Marshal(w)
			gj, _ := json.Marshal(got[key])
			if !bytes.Equal(wj, gj) {
				t.Errorf("%s %s:\n Pyro5 echo server: %s\n pyro echoserver:   %s", ser, key, wj, gj)
			}
		}
		if len(got) != len(want) {
			t.Errorf("%s: %d observations from pyro echoserver, %d from Pyro5's", ser, len(got), len(want))
		}
	}

	for _, proto := range []string{"auto", "pyro5", "5"} {
		stdout, stderr, code := runPyro("call", "-P", proto, pyURI, "echo", "[1, 'two', (3,)]")
		if code != 0 || strings.TrimSpace(stdout) != "[1, 'two', (3,)]" {
			t.Fatalf("pyro call -P %s echo: %d %q %q", proto, code, stdout, stderr)
		}
	}
	if _, stderr, code := runPyro("call", "-v", pyURI, "error"); code != 1 ||
		!strings.Contains(stderr, "ValueError: this is the generated error from echoserver echo() method") || !strings.Contains(stderr, "(Pyro5)") {
		t.Fatalf("pyro call error on Pyro5: exit %d %q", code, stderr)
	}
	if _, stderr, code := runPyro("call", "-P", "pyro4", pyURI, "echo", "1"); code != 1 || !strings.Contains(stderr, "another Pyro wire protocol") {
		t.Fatalf("pyro call -P pyro4 to a Pyro5 daemon: exit %d %q", code, stderr)
	}
	if _, stderr, code := runPyro("call", "-P", "pyro6", pyURI, "echo", "1"); code != 2 || !strings.Contains(stderr, "unknown wire protocol") {
		t.Fatalf("pyro call -P pyro6: exit %d %q", code, stderr)
	}
	if stdout, _, code := runPyro("call", "-P", "pyro5", goURI, "echo", "'go speaks 5'"); code != 0 || strings.TrimSpace(stdout) != "'go speaks 5'" {
		t.Fatalf("pyro call -P pyro5 to pyro echoserver: %d %q", code, stdout)
	}

	pytest.RunPyro5(t, nil, "-c", `import sys, Pyro5.api; Pyro5.api.Proxy(sys.argv[1]).shutdown()`, goURI)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("echoserver exit: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("echoserver did not exit after a Pyro5 client's shutdown()")
	}
}
