package pyro_test

// Pyro4's handshake, callcontext and usersession examples, run unchanged against their Python
// servers and against Go twins of them: the twins use the handshake hook and ConnInfo,
// OnDisconnect, custom annotations both ways, and a Session factory that reads its user from
// the annotations of the call that made it.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/internal/pytest"
	"github.com/gopyro/pyro/naming"
	"github.com/gopyro/pyro/pyrotest"
	"github.com/gopyro/pyro/pyval"
)

// pyAddr formats an address as Python's socket.getpeername() prints: ('127.0.0.1', 50918).
func pyAddr(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return fmt.Sprintf("('%s', %d)", ta.IP, ta.Port)
	}
	return fmt.Sprintf("'%s'", a)
}

// pyUUID formats a 16-byte correlation id as Python's str(uuid.UUID).
func pyUUID(c []byte) string {
	if len(c) != 16 {
		return "None"
	}
	return fmt.Sprintf("%x-%x-%x-%x-%x", c[0:4], c[4:6], c[6:8], c[8:10], c[10:16])
}

// transcript collects what a Go twin prints, as its Python server would print it.
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

// newHandshakeTwin is the Go twin of examples/handshake/server.py: the handshake hook
// checks a secret and answers with a list; OnDisconnect reports the client. It returns the
// daemon object's URI.
func newHandshakeTwin(t *testing.T, out *transcript) pyro.URI {
	const secretCode = "pancakes"
	d := pyrotest.NewDaemon(t, pyro.DaemonConfig{
		Host: "localhost",
		Handshake: func(ctx context.Context, data any) (any, error) {
			conn, _ := pyro.ConnInfoFrom(ctx)
			out.printf("Daemon received handshake request from: %s", pyAddr(conn.RemoteAddr))
			out.printf("Handshake data: %s", data)
			if data == secretCode {
				out.printf("Secret code okay! Connection accepted.")
				return []string{"how", "are", "you", "doing"}, nil
			}
			out.printf("Secret code wrong! Connection refused.")
			return nil, pyro.NewError("builtins.ValueError", "wrong secret code, connection refused")
		},
		OnDisconnect: func(ctx context.Context) {
			conn, _ := pyro.ConnInfoFrom(ctx)
			out.printf("Daemon client disconnects: %s", pyAddr(conn.RemoteAddr))
		},
	})
	return d.URIFor(pyro.DaemonObjectID)
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

// pyPorts masks the ports in Python's address tuples and Pyro URIs.
var pyPorts = regexp.MustCompile(`(\('(?:localhost|127\.0\.0\.1)', )\d+\)|(@(?:localhost|127\.0\.0\.1):)\d+`)

func maskPorts(s string) string { return pyPorts.ReplaceAllString(s, "${1}${2}PORT)") }

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
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
// handshake hook and at disconnect, nothing at disconnect for a refused client).
func TestPyro4HandshakeExample(t *testing.T) {
	pytest.Require(t)
	dir := pyro4Examples + "/handshake"
	pyURI, pyOut := startPyServer(t, nil, "PYRO:", dir+"/server.py")
	var goOut transcript
	goURI := newHandshakeTwin(t, &goOut)

	type run struct{ stdout, stderrLast string }
	client := func(uri, secret string, ok bool) run {
		o, e := runPyClient(t, uri+"\n"+secret+"\n", nil, ok, dir+"/client.py")
		r := run{stdout: maskPorts(o)}
		if !ok {
			r.stderrLast = maskPorts(lastLine(e))
		}
		return r
	}
	for _, c := range []struct {
		secret string
		ok     bool
	}{{"pancakes", true}, {"waffles", false}} {
		want := client("PYRO:"+pyURI, c.secret, c.ok)
		got := client(goURI.String(), c.secret, c.ok)
		if want != got {
			t.Errorf("secret %q: the client printed\n%+v\nagainst Python's server and\n%+v\nagainst ours", c.secret, want, got)
		}
		if c.ok { // the servers report the hang-up before the next client comes
			waitForText(t, pyOut.String, "Daemon client disconnects", 1)
			waitForText(t, goOut.String, "Daemon client disconnects", 1)
		}
	}
	// Python's server prints its banner first; the rest is about the two clients.
	_, pyLog, _ := strings.Cut(pyOut.String(), "pancakes\n")
	if want, got := maskPorts(pyLog), maskPorts(goOut.String()); want != got {
		t.Errorf("Python's server printed\n%s\nand ours\n%s", want, got)
	}
	if !strings.Contains(goOut.String(), "Daemon client disconnects: ('127.0.0.1',") {
		t.Errorf("the Go twin did not see the client's address at disconnect:\n%s", goOut.String())
	}
	t.Logf("both servers printed:\n%s", maskPorts(goOut.String()))
}

// echoServer is the Go twin of examples/callcontext/server.py's EchoServer: it prints what
// the call context says of each call, its custom XYZZ annotation included.
type echoServer struct{ out *transcript }

func (e *echoServer) Echo(ctx context.Context, message string) string {
	ci, _ := pyro.CallInfoFrom(ctx)
	var b strings.Builder
	fmt.Fprintf(&b, "\nGot Message: %s\n", message)
	fmt.Fprintf(&b, "  context.client_sock_addr:  %s\n", pyAddr(ci.RemoteAddr))
	fmt.Fprintf(&b, "  context.correlation_id: %s", pyUUID(ci.CorrelationID))
	if v, ok := ci.Annotations["XYZZ"]; ok {
		fmt.Fprintf(&b, "\n  custom annotation 'XYZZ': %s", pyval.Repr(v))
	}
	e.out.printf("%s", b.String())
	return message
}

func (e *echoServer) Oneway(ctx context.Context, message string) { e.Echo(ctx, message) }

// newCallContextTwin is the Go twin of examples/callcontext/server.py: the HMAC key, the
// daemon-wide DDAA response annotation (Pyro4's CustomDaemon.annotations) and the echo object
// with its oneway method.
func newCallContextTwin(t *testing.T, out *transcript) pyro.URI {
	d := pyrotest.NewDaemon(t, pyro.DaemonConfig{
		Host:      "localhost",
		Transport: pyro.Transport{HMACKey: []byte("secr3t_k3y")},
		ResponseAnnotations: func(context.Context) pyro.Annotations {
			return pyro.Annotations{"DDAA": []byte("custom response annotation set by the daemon")}
		},
	})
	uri, err := d.Register(&echoServer{out: out}, pyro.WithID("example.context"), pyro.WithOneway("Oneway"),
		pyro.WithParams("Echo", "message"), pyro.WithParams("Oneway", "message"))
	if err != nil {
		t.Fatal(err)
	}
	return uri
}

// responseBytes masks the raw CORR and HMAC bytes in a printed dict of response annotations:
// they differ with every run (a random correlation id, a signature over it).
var responseBytes = regexp.MustCompile(`'(CORR|HMAC)': b(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")`)

// callContextCounts counts, in a server's output, how often each value the Go twin printed
// appears (each message, client address, XYZZ annotation) and how often each kind of line
// does. It counts values rather than comparing lines because the Python server prints one
// argument at a time, so its oneway threads may interleave their lines.
func callContextCounts(out string, goLines []string) map[string]int {
	out = mask(maskPorts(out))
	counts := map[string]int{}
	for _, l := range goLines {
		for _, p := range []string{"Got Message:", "  context.client_sock_addr:", "  context.correlation_id:", "  custom annotation 'XYZZ':"} {
			if v, ok := strings.CutPrefix(l, p); ok {
				counts[p] = strings.Count(out, p)
				if v = strings.TrimSpace(v); v != "ID" {
					counts[p+" "+v] = strings.Count(out, v)
				}
			}
		}
	}
	return counts
}

// TestPyro4CallContextExample: the client's annotations (old style, by overriding the proxy,
// and new style, through the call context) reach the Go twin, and the twin's response
// annotations come back in the same order as Python's, HMAC-signed.
func TestPyro4CallContextExample(t *testing.T) {
	pytest.Require(t)
	dir := pyro4Examples + "/callcontext"
	pyURI, pyOut := startPyServer(t, nil, "PYRO:", dir+"/server.py")
	var goOut transcript
	goURI := newCallContextTwin(t, &goOut)
	client := func(uri string) string {
		o, _ := runPyClient(t, uri+"\n\n", nil, true, dir+"/client.py")
		return responseBytes.ReplaceAllString(mask(o), "'$1': BYTES")
	}
	want, got := client("PYRO:"+pyURI), client(goURI.String())
	if want != got {
		t.Fatalf("Pyro4's callcontext client printed\n%s\nagainst Python's server, and\n%s\nagainst ours", want, got)
	}
	for _, s := range []string{"DDAA -> b'custom response annotation set by the daemon'", "'DDAA': b'custom response"} {
		if !strings.Contains(got, s) {
			t.Errorf("the client did not print %q", s)
		}
	}
	const calls = 14 // 4 + 5 echoes, 2 oneway, 1 async; 1 echo and 1 oneway the new way
	// Every call prints its custom annotation last; oneway calls print after the client is done.
	waitForText(t, pyOut.String, "custom annotation 'XYZZ'", calls)
	waitForText(t, goOut.String, "custom annotation 'XYZZ'", calls)
	goLines := strings.Split(mask(maskPorts(goOut.String())), "\n")
	pyCounts, goCounts := callContextCounts(pyOut.String(), goLines), callContextCounts(goOut.String(), goLines)
	if !maps.Equal(pyCounts, goCounts) || goCounts["Got Message:"] != calls {
		t.Errorf("Python's server printed\n%s\nand ours\n%s\n(counts %v and %v)", pyOut.String(), goOut.String(), pyCounts, goCounts)
	}
	t.Logf("Pyro4's callcontext client printed the same %d bytes against both servers, which printed the same %d values", len(got), len(goCounts))
}

// userDatabase is the Go twin of examples/usersession/database.py's DummyDatabase: a
// key-value store with artificial delays, shared by every user and connection.
type userDatabase struct {
	mu      sync.Mutex
	storage map[string]any
	allowed []string
	out     *transcript
}

func (db *userDatabase) set(key string, value any) {
	time.Sleep(rand.N(100 * time.Millisecond))
	db.mu.Lock()
	defer db.mu.Unlock()
	db.storage[key] = value
}

func (db *userDatabase) get(key string) (any, error) {
	time.Sleep(rand.N(100 * time.Millisecond))
	db.mu.Lock()
	defer db.mu.Unlock()
	v, ok := db.storage[key]
	if !ok {
		return nil, pyro.NewError("builtins.KeyError", "%s", pyval.Repr(key))
	}
	return v, nil
}

// dbConnection is database.py's Connection: only one caller may use it at a time, and a
// second one at the same moment is an error (that is the point of the example).
type dbConnection struct {
	db   *userDatabase
	user string
	busy sync.Mutex
}

func (c *dbConnection) store(key string, value any, user string) error {
	user = cmpOr(user, c.user)
	if !slices.Contains(c.db.allowed, user) {
		return pyro.NewError("builtins.AssertionError", "access denied")
	}
	if !c.busy.TryLock() {
		return pyro.NewError("builtins.RuntimeError", "ERROR: concurrent connection access (write) by multiple different threads")
	}
	defer c.busy.Unlock()
	c.db.out.printf("DB: user %s stores: %s = %v", user, key, value)
	c.db.set(key, value)
	return nil
}

func (c *dbConnection) retrieve(key, user string) (any, error) {
	user = cmpOr(user, c.user)
	if !slices.Contains(c.db.allowed, user) {
		return nil, pyro.NewError("builtins.AssertionError", "access denied")
	}
	if !c.busy.TryLock() {
		return nil, pyro.NewError("builtins.RuntimeError", "ERROR: concurrent connection access (read) by multiple different threads")
	}
	defer c.busy.Unlock()
	c.db.out.printf("DB: user %s retrieve: %s", user, key)
	return c.db.get(key)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// userOfCall reads the USER annotation of the call ctx belongs to.
func userOfCall(ctx context.Context) string {
	ci, _ := pyro.CallInfoFrom(ctx)
	return string(ci.Annotations["USER"])
}

// singletonDatabase is usersession's SingletonDatabase: one instance, one database
// connection, the user taken from each call's USER annotation. Concurrent clients collide
// on its connection.
type singletonDatabase struct{ conn *dbConnection }

func (s *singletonDatabase) Store(ctx context.Context, key string, value any) error {
	return s.conn.store(key, value, userOfCall(ctx))
}

func (s *singletonDatabase) Retrieve(ctx context.Context, key string) (any, error) {
	return s.conn.retrieve(key, userOfCall(ctx))
}

func (s *singletonDatabase) Ping() string { return "hi" }

// sessionDatabase is usersession's SessionboundDatabase: one instance per connection, made
// for the user named by the USER annotation of the call that needed it.
type sessionDatabase struct{ conn *dbConnection }

func (s *sessionDatabase) Store(key string, value any) error { return s.conn.store(key, value, "") }

func (s *sessionDatabase) Retrieve(key string) (any, error) { return s.conn.retrieve(key, "") }

func (s *sessionDatabase) Ping() string { return "hi" }

// registerUserSessionTwin is the Go twin of examples/usersession/server.py: both databases,
// registered in the name server under the example's names.
func registerUserSessionTwin(t *testing.T, ns pyro.URI, out *transcript) {
	db := &userDatabase{storage: map[string]any{}, allowed: []string{"user123", "admin"}, out: out}
	d := pyrotest.NewDaemon(t, pyro.DaemonConfig{})
	single, err := d.RegisterFactory(pyro.Single, func() *singletonDatabase {
		out.printf("[SingletonDatabase] new instance and connection")
		return &singletonDatabase{conn: &dbConnection{db: db}}
	}, pyro.WithParams("Store", "key", "value"), pyro.WithParams("Retrieve", "key"))
	if err != nil {
		t.Fatal(err)
	}
	session, err := d.RegisterFactory(pyro.Session, func(ctx context.Context) *sessionDatabase {
		user := userOfCall(ctx)
		out.printf("[SessionboundDatabase] new instance and connection for user: %s", user)
		return &sessionDatabase{conn: &dbConnection{db: db, user: user}}
	}, pyro.WithParams("Store", "key", "value"), pyro.WithParams("Retrieve", "key"))
	if err != nil {
		t.Fatal(err)
	}
	c := pyrotest.NewNameServerClient(t, ns)
	for name, uri := range map[string]pyro.URI{"example.usersession.singletondb": single, "example.usersession.sessiondb": session} {
		if err := c.Register(context.Background(), name, uri, naming.RegisterOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

var (
	threadNum     = regexp.MustCompile(`(\[Thread-\d+\] num=)\d+`)
	concurrentErr = regexp.MustCompile(`^RuntimeError: ERROR: concurrent connection access \((read|write)\) by multiple different threads$`)
)

// userSessionRun is what the usersession client printed, normalised: its four sections.
type userSessionRun struct {
	sections []string // headers and, for the first three, the lines under them, sorted
	// The fourth section shows the singleton's threading problem: how many of the 6 calls
	// collide differs from run to run, so only the sum is fixed.
	lastLines, lastErrors int
}

// parseUserSession splits the client's output into sections. Within a section the two
// threads print in any order (and, as print writes the newline apart, sometimes on one
// line), and the numbers they read depend on which thread stored last (the database is
// shared), so results are picked out by pattern, sorted and their numbers masked.
func parseUserSession(t *testing.T, stdout, stderr string) userSessionRun {
	t.Helper()
	var r userSessionRun
	parts := strings.Split(stdout, "\n***** ")
	if len(parts) != 5 || strings.TrimSpace(parts[0]) != "" {
		t.Fatalf("the client printed %d sections, want 4:\n%s", len(parts)-1, stdout)
	}
	for i, part := range parts[1:] {
		header, body, _ := strings.Cut(part, "\n")
		r.sections = append(r.sections, "***** "+header)
		results := threadNum.FindAllString(body, -1)
		if rest := strings.ReplaceAll(threadNum.ReplaceAllString(body, ""), "enter to start: ", ""); strings.TrimSpace(rest) != "" {
			t.Errorf("unexpected output in section %d: %q", i+1, rest)
		}
		if i == 3 {
			r.lastLines = len(results)
			continue
		}
		for k := range results {
			results[k] = threadNum.ReplaceAllString(results[k], "${1}N")
		}
		slices.Sort(results)
		r.sections = append(r.sections, strings.Join(results, "\n"))
	}
	// traceback.print_exc writes whole lines, so stderr's lines are intact.
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "Traceback") {
			r.lastErrors++
		}
		if strings.Contains(l, "Error") && !strings.HasPrefix(l, "Traceback") && !strings.HasPrefix(l, " ") && !concurrentErr.MatchString(l) {
			t.Errorf("unexpected error from the client: %q", l)
		}
	}
	return r
}

// TestPyro4UserSessionExample: the client's USER annotation reaches both databases; the
// session-bound one is made once per proxy connection for that user (a factory reading the
// annotations of the call that made it), the singleton reads it on every call.
func TestPyro4UserSessionExample(t *testing.T) {
	pytest.Require(t)
	dir := pyro4Examples + "/usersession"
	run := func(ns pyro.URI) userSessionRun {
		env := []string{"PYRO_NS_HOST=" + ns.Host, fmt.Sprintf("PYRO_NS_PORT=%d", ns.Port)}
		o, e := runPyClient(t, "\n\n", env, true, dir+"/client.py")
		return parseUserSession(t, o, e)
	}
	pyNS := startTestNS(t)
	_, pyOut := startPyServer(t, []string{"PYRO_NS_HOST=" + pyNS.Host, fmt.Sprintf("PYRO_NS_PORT=%d", pyNS.Port)},
		"Pyro daemon running", dir+"/server.py")
	want := run(pyNS)

	goNS := startTestNS(t)
	var goOut transcript
	registerUserSessionTwin(t, goNS, &goOut)
	got := run(goNS)

	if !slices.Equal(want.sections, got.sections) {
		t.Errorf("Pyro4's usersession client printed\n%s\nagainst Python's server, and\n%s\nagainst ours",
			strings.Join(want.sections, "\n"), strings.Join(got.sections, "\n"))
	}
	t.Logf("the concurrent singleton section: %d results and %d collisions against Python's server, %d and %d against ours",
		want.lastLines, want.lastErrors, got.lastLines, got.lastErrors)
	for who, r := range map[string]userSessionRun{"Python's server": want, "ours": got} {
		if r.lastLines+r.lastErrors != 6 {
			t.Errorf("against %s the concurrent singleton section had %d results and %d errors, want 6 in all", who, r.lastLines, r.lastErrors)
		}
	}
	// Both servers made the same instances: two sessions in each of the first and third
	// sections, each for the user the annotations named, and one singleton. (Python's threads
	// may run their prints together, so occurrences are counted, not lines.)
	for who, out := range map[string]string{"Python's server": pyOut.String(), "ours": goOut.String()} {
		sessions := strings.Count(out, "[SessionboundDatabase] new instance and connection for user: user123")
		singles := strings.Count(out, "[SingletonDatabase] new instance and connection")
		if sessions != 4 || singles != 1 || strings.Count(out, "new instance") != 5 {
			t.Errorf("%s made %d sessions for user123 and %d singletons, want 4 and 1:\n%s", who, sessions, singles, out)
		}
	}
}

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
