// Package extest runs Pyro4's own example programs (Debian's pyro4-examples, unchanged), and
// Pyro5's (from Pyro5's source tree, ../shared/pyro5/examples beside the module root), against
// their Python servers and against the Go twins in examples/pyro4 and examples/pyro5, for the
// twins' tests. One Go twin often serves both: Pyro5's example is mostly Pyro4's, ported, and
// the daemon speaks both protocols.
//
// A Go twin is a package main. Its test binary doubles as the twin: TestMain calls Main, and
// StartGo runs the test binary again with the twin's arguments, so the twin runs exactly as
// `go run` would start it (its flags, the PYRO_* environment, its stdout), beside the Python
// server started the same way by StartPython. Clients run to completion with Run, or
// interactively with Start. The normalisers (Addresses, ObjectIDs, RemoteTracebackFrames, ...)
// each mask one thing that differs between two runs of the same program; a test says why it
// uses each.
//
// Nothing here skips: a missing Pyro4 or Pyro5, or a missing examples directory, fails the test
// (run scripts/test, which installs Pyro4's; Pyro5's come with its source tree).
package extest

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/internal/pytest"
	"github.com/gopyro/pyro/naming/nameserver"
	"github.com/gopyro/pyro/pyrotest"
)

// Examples is where Debian's pyro4-examples package installs Pyro4's example programs.
const Examples = "/usr/share/doc/pyro4/examples"

// runMainEnv, set in a re-executed test binary, makes Main run the package's main.
const runMainEnv = "EXTEST_RUN_MAIN"

// Timeout bounds every wait: a server's ready line, a client's run, a twin's shutdown.
const Timeout = time.Minute

// Main is a Go twin's TestMain: run as the twin (by StartGo) it calls main and exits 0 when
// main returns, otherwise it runs the tests.
//
//	func TestMain(m *testing.M) { extest.Main(m, main) }
func Main(m *testing.M, main func()) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// Dir returns the directory of one of Pyro4's examples (such as "banks"), failing the test
// when Python's Pyro4 or the examples are missing.
func Dir(t testing.TB, example string) string {
	t.Helper()
	pytest.Require(t)
	dir := filepath.Join(Examples, example)
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("Pyro4's examples are missing (scripts/test installs Debian's pyro4-examples): %v", err)
	}
	return dir
}

// Unpacked copies one of Pyro4's examples into a temporary directory with its *.gz files
// decompressed: Debian compresses some of the larger example sources (messagebus's
// messagebus.py), which Python cannot import compressed. Their contents are unchanged.
func Unpacked(t testing.TB, example string) string {
	t.Helper()
	src := Dir(t, example)
	dst := filepath.Join(t.TempDir(), example)
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		var r io.Reader = f
		if strings.HasSuffix(path, ".gz") {
			zr, err := gzip.NewReader(f)
			if err != nil {
				return err
			}
			r, target = zr, strings.TrimSuffix(target, ".gz")
		}
		data, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatalf("unpacking Pyro4's %s example: %v", example, err)
	}
	return dst
}

// GoNameServer starts our name server on loopback, stopped when the test ends.
func GoNameServer(t testing.TB) pyro.URI {
	t.Helper()
	return pyrotest.NewNameServer(t, nameserver.Config{}).URI()
}

// PythonNameServer starts Pyro4's name server (pyro4-ns) on loopback, killed when the test
// ends.
func PythonNameServer(t testing.TB) pyro.URI {
	t.Helper()
	uri, err := pyro.ParseURI(pytest.StartNameServer(t))
	if err != nil {
		t.Fatal(err)
	}
	return uri
}

// NSEnv is the environment that points a Pyro4 program, or a Go twin reading
// pyro.ProxyConfigFromEnv, at the name server ns.
func NSEnv(ns pyro.URI) []string {
	return []string{"PYRO_NS_HOST=" + ns.Host, fmt.Sprintf("PYRO_NS_PORT=%d", ns.Port)}
}

// Python prepares Debian's python3 with args (a script and its arguments) and extra
// environment, to run in the script's directory, as Pyro4's examples are meant to be run
// (set cmd.Dir to run it elsewhere).
func Python(env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(pytest.Interpreter, args...)
	cmd.Env = append(pytest.Env(), env...)
	if len(args) > 0 && strings.HasSuffix(args[0], ".py") {
		cmd.Dir = filepath.Dir(args[0])
	}
	return cmd
}

// Go prepares the Go twin of the calling test's package: the test binary, re-executed as the
// package's main (see Main), with args as its command-line arguments.
func Go(env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(pytest.Env(), env...), runMainEnv+"=1")
	return cmd
}

// Result is what a program that ran to completion printed, and its exit code.
type Result struct {
	Stdout, Stderr string
	Code           int
}

// Run runs a prepared command to completion with stdin, failing the test if it exceeds
// Timeout or exits with a code other than wantCode.
func Run(t testing.TB, cmd *exec.Cmd, stdin string, wantCode int) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	c := exec.CommandContext(ctx, cmd.Path, cmd.Args[1:]...)
	c.Env, c.Dir = cmd.Env, cmd.Dir
	c.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	err := c.Run()
	r := Result{Stdout: stdout.String(), Stderr: stderr.String(), Code: c.ProcessState.ExitCode()}
	if ctx.Err() != nil {
		t.Fatalf("%s did not finish within %v\nstdout:\n%s\nstderr:\n%s", describe(cmd), Timeout, r.Stdout, r.Stderr)
	}
	if r.Code != wantCode {
		t.Fatalf("%s exited with %v, want status %d\nstdout:\n%s\nstderr:\n%s", describe(cmd), err, wantCode, r.Stdout, r.Stderr)
	}
	return r
}

func describe(cmd *exec.Cmd) string {
	if cmd.Path == os.Args[0] {
		return "the Go twin " + strings.Join(cmd.Args[1:], " ")
	}
	return strings.Join(cmd.Args[1:], " ")
}

// Proc is a running program: a server, or a client driven step by step.
type Proc struct {
	t      testing.TB
	cmd    *exec.Cmd
	isGo   bool
	stdin  io.WriteCloser
	stdout *pytest.SyncBuffer
	stderr *pytest.SyncBuffer
	done   chan struct{} // closed when the process has exited
	err    error         // cmd.Wait's, once done
	waited bool          // Wait checked the exit code
}

// Start starts a prepared command with its stdin on a pipe (Send writes it) and, unless
// ready is empty, waits until its stdout contains ready. When the test ends a Go twin is
// interrupted and must exit with status 0 and no data race reported; a Python program is
// killed.
func Start(t testing.TB, cmd *exec.Cmd, ready string) *Proc {
	t.Helper()
	p := &Proc{t: t, cmd: cmd, isGo: cmd.Path == os.Args[0], stdout: new(pytest.SyncBuffer), stderr: new(pytest.SyncBuffer), done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	var err error
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", describe(cmd), err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(p.stop)
	if ready != "" {
		p.WaitFor(ready, 1)
	}
	return p
}

// StartPython starts a Python program (a server, usually) and waits until it printed ready.
func StartPython(t testing.TB, env []string, ready string, args ...string) *Proc {
	t.Helper()
	return Start(t, Python(env, args...), ready)
}

// StartGo starts the Go twin of the test's package and waits until it printed ready.
func StartGo(t testing.TB, env []string, ready string, args ...string) *Proc {
	t.Helper()
	return Start(t, Go(env, args...), ready)
}

// Stdout returns what the program printed on stdout so far.
func (p *Proc) Stdout() string { return p.stdout.String() }

// Stderr returns what the program printed on stderr so far.
func (p *Proc) Stderr() string { return p.stderr.String() }

// Line returns the rest of the first stdout line that starts with prefix, trimmed (a URI the
// program printed, say), failing the test if there is none yet.
func (p *Proc) Line(prefix string) string {
	p.t.Helper()
	for _, l := range strings.Split(p.Stdout(), "\n") {
		if rest, ok := strings.CutPrefix(l, prefix); ok {
			return strings.TrimSpace(rest)
		}
	}
	p.t.Fatalf("%s printed no line starting with %q:\n%s", describe(p.cmd), prefix, p.Stdout())
	return ""
}

// After returns what the program printed on stdout after the first occurrence of marker (a
// server's output after its banner), or all of it without one.
func (p *Proc) After(marker string) string {
	out := p.Stdout()
	if _, rest, ok := strings.Cut(out, marker); ok {
		return rest
	}
	return out
}

// Send writes text to the program's stdin.
func (p *Proc) Send(text string) {
	p.t.Helper()
	if _, err := io.WriteString(p.stdin, text); err != nil {
		p.t.Fatalf("%s: writing %q to its stdin: %v\nstdout:\n%s\nstderr:\n%s", describe(p.cmd), text, err, p.Stdout(), p.Stderr())
	}
}

// WaitFor waits until the program's stdout contains text n times, failing the test after
// Timeout or when the program exits first.
func (p *Proc) WaitFor(text string, n int) {
	p.t.Helper()
	p.waitUntil(fmt.Sprintf("print %q %d times", text, n), func() bool { return strings.Count(p.Stdout(), text) >= n })
}

// WaitForStderr is WaitFor on stderr.
func (p *Proc) WaitForStderr(text string, n int) {
	p.t.Helper()
	p.waitUntil(fmt.Sprintf("print %q on stderr %d times", text, n), func() bool { return strings.Count(p.Stderr(), text) >= n })
}

func (p *Proc) waitUntil(what string, ok func() bool) {
	p.t.Helper()
	deadline := time.Now().Add(Timeout)
	for !ok() {
		select {
		case <-p.done:
			if ok() {
				return
			}
			p.t.Fatalf("%s exited (%v) before it did %s\nstdout:\n%s\nstderr:\n%s", describe(p.cmd), p.err, what, p.Stdout(), p.Stderr())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s did not %s within %v\nstdout:\n%s\nstderr:\n%s", describe(p.cmd), what, Timeout, p.Stdout(), p.Stderr())
		}
	}
}

// Wait closes the program's stdin and waits for it to exit, failing the test unless it exits
// with wantCode within Timeout. It returns what the program printed.
func (p *Proc) Wait(wantCode int) Result {
	p.t.Helper()
	p.stdin.Close()
	select {
	case <-p.done:
	case <-time.After(Timeout):
		p.t.Fatalf("%s did not exit within %v\nstdout:\n%s\nstderr:\n%s", describe(p.cmd), Timeout, p.Stdout(), p.Stderr())
	}
	p.waited = true
	r := Result{Stdout: p.Stdout(), Stderr: p.Stderr(), Code: p.cmd.ProcessState.ExitCode()}
	if r.Code != wantCode {
		p.t.Fatalf("%s exited with %v, want status %d\nstdout:\n%s\nstderr:\n%s", describe(p.cmd), p.err, wantCode, r.Stdout, r.Stderr)
	}
	return r
}

// Interrupt sends the program SIGINT (Ctrl-C) and waits for it to exit, returning what it
// printed: a Go twin withdraws its names from the name server and exits with status 0.
func (p *Proc) Interrupt() Result {
	p.t.Helper()
	p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(Timeout):
		p.cmd.Process.Kill()
		<-p.done
		p.t.Errorf("%s did not exit within %v of an interrupt\nstdout:\n%s\nstderr:\n%s", describe(p.cmd), Timeout, p.Stdout(), p.Stderr())
	}
	return Result{Stdout: p.Stdout(), Stderr: p.Stderr(), Code: p.cmd.ProcessState.ExitCode()}
}

// stop ends the program when the test ends: a Go twin by an interrupt, after which it must
// have exited with status 0 and reported no data race (the race detector prints its reports
// on stderr as they happen); anything else is killed.
func (p *Proc) stop() {
	select {
	case <-p.done:
	default:
		if !p.isGo {
			p.cmd.Process.Kill()
			<-p.done
			return
		}
		p.Interrupt()
	}
	if p.isGo {
		if code := p.cmd.ProcessState.ExitCode(); code != 0 && !p.waited {
			p.t.Errorf("the Go twin %s exited with status %d\nstdout:\n%s\nstderr:\n%s", strings.Join(p.cmd.Args[1:], " "), code, p.Stdout(), p.Stderr())
		}
		if strings.Contains(p.Stderr(), "DATA RACE") {
			p.t.Errorf("the Go twin reported a data race:\n%s", p.Stderr())
		}
	}
}

var (
	addressRE  = regexp.MustCompile(`(?:localhost|127\.0\.0\.1):\d+`)
	pyAddrRE   = regexp.MustCompile(`\('(?:localhost|127\.0\.0\.1)', \d+\)`)
	objectIDRE = regexp.MustCompile(`\bobj_[0-9a-f]{32}\b`)
	uuidRE     = regexp.MustCompile(`\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b`)
)

// Addresses masks loopback addresses: host:port in URIs and messages becomes ADDR, and
// Python's address tuples ('127.0.0.1', 50918) become ('ADDR'). Ports are picked freely by
// each run, and a Go daemon and a Python one may name loopback differently.
func Addresses(s string) string {
	return addressRE.ReplaceAllString(pyAddrRE.ReplaceAllString(s, "('ADDR')"), "ADDR")
}

// ObjectIDs masks the random object ids Pyro4 and Go daemons give objects registered without
// an id (obj_ and 32 hex digits).
func ObjectIDs(s string) string { return objectIDRE.ReplaceAllString(s, "obj_ID") }

// UUIDs masks UUIDs in their printed form: correlation ids and message ids, random by design.
func UUIDs(s string) string { return uuidRE.ReplaceAllString(s, "UUID") }

// Replace masks every match of the regular expression re with repl (with $1 expansion).
func Replace(s, re, repl string) string { return regexp.MustCompile(re).ReplaceAllString(s, repl) }

// RemoteTracebackFrames masks the frames of the remote tracebacks that Pyro4's
// getPyroTraceback and excepthook print: between " | Traceback (most recent call last):"
// and the exception line that ends the block, the lines name the server's source (Python
// files and line numbers, or the Go method), so they become " |   FRAMES". The header, the
// exception line and everything around the block stay.
func RemoteTracebackFrames(s string) string {
	lines := strings.Split(s, "\n")
	var out []string
	for i := 0; i < len(lines); i++ {
		out = append(out, lines[i])
		if strings.TrimSpace(lines[i]) != "| Traceback (most recent call last):" {
			continue
		}
		// The block's exception line is its last " | " line before " +--- End".
		end := i + 1
		for end < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[end]), "+--- End of remote traceback") {
			end++
		}
		if end-1 > i+1 {
			out = append(out, " |   FRAMES")
		}
		i = end - 2 // the loop appends the exception line next
	}
	return strings.Join(out, "\n")
}

// Same fails the test unless want (what a client printed against Python's server) and got
// (against the Go twin) are equal, showing both and the first line that differs.
func Same(t testing.TB, what, want, got string) bool {
	t.Helper()
	if want == got {
		return true
	}
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	line := 0
	for line < len(wl) && line < len(gl) && wl[line] == gl[line] {
		line++
	}
	first := func(l []string) string {
		if line < len(l) {
			return fmt.Sprintf("%q", l[line])
		}
		return "(end)"
	}
	t.Errorf("%s differs from line %d: %s against Python's server, %s against the Go twin\n--- against Python's server:\n%s\n--- against the Go twin:\n%s",
		what, line+1, first(wl), first(gl), want, got)
	return false
}

// Dir5 returns the directory of one of Pyro5's examples (such as "attributes"), failing the
// test when Python's Pyro5 or its examples are missing.
func Dir5(t testing.TB, example string) string {
	t.Helper()
	return pytest.Pyro5Example(t, example)
}

// Python5 is Python for Pyro5: the same python3 with Pyro5 importable and no PYRO_*
// variables but env's (Pyro5 refuses the ones it does not know; it reads PYRO_NS_HOST and
// PYRO_NS_PORT as Pyro4 does).
func Python5(t testing.TB, env []string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := Python(nil, args...)
	cmd.Env = append(pytest.Pyro5Env(t), env...)
	return cmd
}

// StartPython5 starts a Pyro5 program (a server, usually) and waits until it printed ready.
func StartPython5(t testing.TB, env []string, ready string, args ...string) *Proc {
	t.Helper()
	return Start(t, Python5(t, env, args...), ready)
}

// Pyro5NameServer starts Pyro5's name server (python3 -m Pyro5.nameserver) on loopback,
// killed when the test ends.
func Pyro5NameServer(t testing.TB) pyro.URI {
	t.Helper()
	line := pytest.StartPyro5(t, nil, "URI = ", "-m", "Pyro5.nameserver", "-n", "127.0.0.1", "-p", "0", "-x")
	uri, err := pyro.ParseURI(strings.TrimSpace(line))
	if err != nil {
		t.Fatal(err)
	}
	return uri
}

// Pyro picks Pyro4's or Pyro5's examples, Python and name server, for tests that run the
// same way for both (V5 for Pyro5).
type Pyro struct{ V5 bool }

// Name is "Pyro4" or "Pyro5".
func (p Pyro) Name() string {
	if p.V5 {
		return "Pyro5"
	}
	return "Pyro4"
}

// Dir is Dir or Dir5.
func (p Pyro) Dir(t testing.TB, example string) string {
	t.Helper()
	if p.V5 {
		return Dir5(t, example)
	}
	return Dir(t, example)
}

// NameServer is PythonNameServer or Pyro5NameServer.
func (p Pyro) NameServer(t testing.TB) pyro.URI {
	t.Helper()
	if p.V5 {
		return Pyro5NameServer(t)
	}
	return PythonNameServer(t)
}

// Python is Python or Python5.
func (p Pyro) Python(t testing.TB, env []string, args ...string) *exec.Cmd {
	t.Helper()
	if p.V5 {
		return Python5(t, env, args...)
	}
	return Python(env, args...)
}

// StartPython is StartPython or StartPython5.
func (p Pyro) StartPython(t testing.TB, env []string, ready string, args ...string) *Proc {
	t.Helper()
	return Start(t, p.Python(t, env, args...), ready)
}
