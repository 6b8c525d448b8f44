package pyro_test

// Annotations both ways between Go and Pyro4: a Go proxy against a Python daemon and its Go
// twin, a Python client against both. (Pyro4's own examples that use annotations, handshake,
// callcontext and usersession, run against Go twins in examples/pyro4.)

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/internal/pytest"
	"github.com/gopyro/pyro/pyrotest"
)

// transcript collects lines printed by concurrent goroutines.
type transcript struct {
	mu    sync.Mutex
	lines []string
}

func (t *transcript) printf(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, strings.Split(fmt.Sprintf(format, args...), "\n")...)
}

func (t *transcript) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines, "\n") + "\n"
}

// startPyServer runs a Python server, waits for the stdout line starting with prefix and
// returns the rest of that line and everything the server prints, as it prints it.
func startPyServer(t *testing.T, env []string, prefix string, args ...string) (string, *pytest.SyncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := pytest.Command(ctx, args...)
	cmd.Env = append(cmd.Env, env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, out := new(pytest.SyncBuffer), new(pytest.SyncBuffer)
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); cmd.Wait() })
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(out, line)
			if rest, ok := strings.CutPrefix(line, prefix); ok {
				select {
				case found <- strings.TrimSpace(rest):
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
		return v, out
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not print %q:\n%s", cmd, prefix, stderr.String())
	}
	return "", nil
}

// runPyClient runs a Python client with stdin and extra environment and returns its stdout
// and stderr; exit says whether it should succeed.
func runPyClient(t *testing.T, stdin string, env []string, ok bool, args ...string) (stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := pytest.Command(ctx, args...)
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdin = strings.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ok && err != nil || !ok && err == nil {
		t.Fatalf("%s: exit %v, want success %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, ok, o.String(), e.String())
	}
	return o.String(), e.String()
}

// waitForText waits until f() holds n lines containing sub.
func waitForText(t *testing.T, f func() string, sub string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(f(), sub) < n {
		if time.Now().After(deadline) {
			t.Fatalf("waited for %d lines with %q, got:\n%s", n, sub, f())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestPyro4HandshakeExample: the client, with the right and a wrong secret, prints the same
// against both servers, and the servers print the same about it (the peer's address in the

// annotatingTwin is the Go twin of testdata/annotations_server.py.
func annotatingTwin(t *testing.T, disconnects *transcript) pyro.URI {
	d := pyrotest.NewDaemon(t, pyro.DaemonConfig{
		ResponseAnnotations: func(context.Context) pyro.Annotations {
			return pyro.Annotations{"DAEM": []byte("daemon-wide")}
		},
		OnDisconnect: func(ctx context.Context) {
			ci, _ := pyro.ConnInfoFrom(ctx)
			disconnects.printf("%s", ci.RemoteAddr)
		},
	})
	uri, err := d.Register(&annotated{}, pyro.WithID("annotated"))
	if err != nil {
		t.Fatal(err)
	}
	return uri
}

// annotationsTranscript calls an annotating server from Go and writes what it saw: the
// annotations the method got, the reply's, and what the proxy's hook saw, in order.
func annotationsTranscript(t *testing.T, uri pyro.URI) string {
	ctx := context.Background()
	var out transcript
	show := func(a pyro.Annotations) string {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(a)) {
			parts = append(parts, k+"="+string(a[k]))
		}
		return "{" + strings.Join(parts, " ") + "}"
	}
	p := pyrotest.NewProxy(t, uri,
		pyro.WithAnnotationFunc(func(context.Context) pyro.Annotations { return pyro.Annotations{"USER": []byte("alice")} }),
		pyro.WithResponseAnnotationFunc(func(_ context.Context, kind pyro.ResponseKind, a pyro.Annotations) {
			out.printf("hook %d %s", kind, show(a))
		}))
	var got pyro.Annotations
	cctx := pyro.CaptureResponseAnnotations(pyro.WithAnnotations(ctx, pyro.Annotations{"CALL": []byte("1")}), &got)
	seen, err := pyro.CallT[map[string]string](cctx, p, "seen")
	out.printf("seen %v %v, reply %s", seen, err, show(got))
	seen, err = pyro.CallT[map[string]string](cctx, p, "seen")
	out.printf("seen %v %v, reply %s", seen, err, show(got))
	err = p.Call(cctx, "fail", nil)
	var re *pyro.RemoteError
	if !errors.As(err, &re) {
		t.Fatalf("fail: %v", err)
	}
	out.printf("fail %s %s, reply %s", re.Class, re.Message(), show(got))
	for range 2 {
		plain, err := pyro.CallT[string](cctx, p, "plain")
		out.printf("plain %v %v, reply %s", plain, err, show(got))
	}
	return out.String()
}

// TestAnnotationsInteropWithPyro4: a Go proxy's annotations reach a Python Pyro4 daemon and
// its reply annotations come back, exactly as with the Go twin; a Python client sees the same
// annotations, in the same order, from both daemons; and each of its connections ends in
// one OnDisconnect.
func TestAnnotationsInteropWithPyro4(t *testing.T) {
	pytest.Require(t)
	pyURI, _ := startPyServer(t, nil, "URI ", "testdata/annotations_server.py")
	var disconnects transcript
	goURI := annotatingTwin(t, &disconnects)
	py, err := pyro.ParseURI(pyURI)
	if err != nil {
		t.Fatal(err)
	}

	want, got := annotationsTranscript(t, py), annotationsTranscript(t, goURI)
	if want != got {
		t.Errorf("a Go client saw\n%s\nfrom Python's daemon, and\n%s\nfrom ours", want, got)
	}
	for _, s := range []string{"hook 2 {DAEM=daemon-wide}", "seen map[CALL:1 USER:alice] <nil>, reply {DAEM=daemon-wide RESP=re:alice}",
		"fail builtins.ValueError failed on purpose, reply {DAEM=daemon-wide}",
		"plain ok <nil>, reply {DAEM=daemon-wide RESP=lost}\nhook 5 {DAEM=daemon-wide}\nplain ok <nil>, reply {DAEM=daemon-wide}"} {
		if !strings.Contains(want, s) {
			t.Errorf("the transcript lacks %q:\n%s", s, want)
		}
	}

	pyClient := func(uri string) string {
		o, _ := runPyClient(t, "", nil, true, "testdata/annotations_client.py", uri)
		return o
	}
	before := strings.Count(disconnects.String(), "127.0.0.1")
	wantPy, gotPy := pyClient(pyURI), pyClient(goURI.String())
	if wantPy != gotPy {
		t.Errorf("a Python client saw\n%s\nfrom Python's daemon, and\n%s\nfrom ours", wantPy, gotPy)
	}
	// Pyro4's order, from its per-connection dict of response annotations: after the
	// handshake CORR and DAEM lead; after a result the method's come first; what a failing
	// call set goes with the next reply.
	for _, s := range []string{"response 5 ['CORR', 'DAEM', 'RESP']", "response 5 ['RESP', 'CORR', 'DAEM']",
		"custom [('DAEM', b'daemon-wide'), ('RESP', b'lost')]\nplain ok"} {
		if !strings.Contains(gotPy, s) {
			t.Errorf("the Python client did not see %q:\n%s", s, gotPy)
		}
	}
	waitForText(t, disconnects.String, "127.0.0.1", before+2)
	time.Sleep(50 * time.Millisecond)
	if n := strings.Count(disconnects.String(), "127.0.0.1"); n != before+2 {
		t.Errorf("the Python client's two connections made %d disconnects", n-before)
	}
}
