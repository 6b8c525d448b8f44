package pyro_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/echoserver"
	"github.com/gopyro/pyro/internal/pytest"
	"github.com/gopyro/pyro/pyrotest"
)

// startPythonEchoServer runs the real pyro4-test-echoserver (accepting msgpack too) with the
// given arguments (default: loopback, a free port) and returns its URI.
func startPythonEchoServer(t testing.TB, env []string, args ...string) string {
	t.Helper()
	if len(args) == 0 {
		args = []string{"-H", "127.0.0.1", "-p", "0"}
	}
	env = append([]string{"PYRO_SERIALIZERS_ACCEPTED=serpent,json,marshal,msgpack"}, env...)
	return pytest.Start(t, env, "echo uri: ", append([]string{"-m", "Pyro4.test.echoserver"}, args...)...)
}

// startGoEchoServer serves our echo server on loopback.
func startGoEchoServer(t testing.TB, cfg pyro.DaemonConfig) (*echoserver.Server, pyro.URI) {
	t.Helper()
	echo := echoserver.New(io.Discard)
	var uri pyro.URI
	d := pyrotest.NewDaemon(t, cfg)
	var err error
	if uri, err = echo.Register(d); err != nil {
		t.Fatal(err)
	}
	return echo, uri
}

var locationRE = regexp.MustCompile(`\('127\.0\.0\.1', \d+\)|127\.0\.0\.1:\d+`)

// runEchoClient runs testdata/echo_client.py and returns its transcript, with addresses blanked.
func runEchoClient(t *testing.T, uri, ser string, extra ...string) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := pytest.Command(ctx, append([]string{"testdata/echo_client.py", uri, ser}, extra...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("echo client (%s) against %s: %v\n%s", ser, uri, err, stderr.String())
	}
	out = locationRE.ReplaceAll(out, []byte("ADDR"))
	var transcript map[string]any
	if err := json.Unmarshal(out, &transcript); err != nil {
		t.Fatalf("transcript: %v\n%s", err, out)
	}
	return transcript
}

// TestPythonClientCannotTellEchoServersApart drives pyro4-test-echoserver and our echo server
// with the same Python Pyro4 client, per serializer, and compares everything it observed.
func TestPythonClientCannotTellEchoServersApart(t *testing.T) {
	pyURI := startPythonEchoServer(t, nil)
	_, goURI := startGoEchoServer(t, pyro.DaemonConfig{})
	for _, ser := range serializers {
		t.Run(ser, func(t *testing.T) {
			extra := []string{}
			if ser == "serpent" {
				extra = append(extra, "timeout")
			}
			want := runEchoClient(t, pyURI, ser, extra...)
			got := runEchoClient(t, goURI.String(), ser, extra...)
			compareTranscripts(t, want, got)
			t.Logf("%s: Python client saw the same %d observations from both echo servers", ser, len(want))
		})
	}
}

func compareTranscripts(t *testing.T, want, got map[string]any) {
	t.Helper()
	if tw, ok := want["timeout"].(map[string]any); ok {
		// Elapsed times differ; both must be a TimeoutError.
		tg, _ := got["timeout"].(map[string]any)
		if fmt.Sprint(tw["error"]) != fmt.Sprint(tg["error"]) {
			t.Errorf("timeout: python %v, go %v", tw, tg)
		}
		delete(want, "timeout")
		delete(got, "timeout")
	}
	for key, w := range want {
		wj, _ := json.Marshal(w)
		gj, _ := json.Marshal(got[key])
		if !bytes.Equal(wj, gj) {
			t.Errorf("%s:\n python server: %s\n go server:     %s", key, wj, gj)
		}
	}
	for key := range got {
		if _, ok := want[key]; !ok {
			t.Errorf("unexpected observation %s", key)
		}
	}
}

// TestPythonClientUnixSocketHMACCompression: a Python client with an HMAC key and compression
// on calls our echo server on a unix socket; large payloads travel compressed both ways.
func TestPythonClientUnixSocketHMACCompression(t *testing.T) {
	sock := t.TempDir() + "/echo.sock"
	cfg := pyro.DaemonConfig{UnixSocket: sock}
	cfg.HMACKey = []byte("s3cret")
	cfg.Compression = true
	_, uri := startGoEchoServer(t, cfg)
	script := `
import sys, Pyro4
Pyro4.config.COMPRESSION = True
p = Pyro4.Proxy(sys.argv[1])
p._pyroHmacKey = b"s3cret"
big = "x" * 100000
assert p.echo(big) == big
print(p.echo("unix+hmac+zlib"))
q = Pyro4.Proxy(sys.argv[1])
try:
    q.echo("no key")
    print("accepted without key")
except Pyro4.errors.PyroError as e:
    print(type(e).__name__)
`
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := pytest.Command(ctx, "-c", script, uri.String()).CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "unix+hmac+zlib\nSecurityError" && got != "unix+hmac+zlib\nCommunicationError" {
		t.Fatalf("python client said:\n%s", got)
	}
}
