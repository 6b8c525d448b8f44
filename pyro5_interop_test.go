package pyro_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"math/big"
	"net"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/internal/pytest"
	"github.com/gopyro/pyro/pyrotest"
	"github.com/gopyro/pyro/pyval"
)

// startPyro5EchoServer runs Pyro5's own echo server (python -m Pyro5.utils.echoserver) on
// loopback at a free port and returns its URI.
func startPyro5EchoServer(t testing.TB) string {
	t.Helper()
	return pytest.StartPyro5(t, nil, "echo uri: ", "-m", "Pyro5.utils.echoserver", "-H", "127.0.0.1", "-p", "0")
}

var objectAddrRE = regexp.MustCompile(` at 0x[0-9a-f]+`)

// runEcho5Client runs testdata/echo5_client.py (Python Pyro5) and returns its transcript, with
// addresses blanked.
func runEcho5Client(t *testing.T, uri, ser string, extra ...string) map[string]any {
	t.Helper()
	out := pytest.RunPyro5(t, nil, append([]string{"testdata/echo5_client.py", uri, ser}, extra...)...)
	out = locationRE.ReplaceAll(out, []byte("ADDR"))
	out = objectAddrRE.ReplaceAll(out, nil)
	var transcript map[string]any
	if err := json.Unmarshal(out, &transcript); err != nil {
		t.Fatalf("transcript: %v\n%s", err, out)
	}
	return transcript
}

// TestPyro5ClientCannotTellEchoServersApart drives Pyro5's echo server and our echo server with
// the same Python Pyro5 client, per serializer, and compares everything it observed: values
// (URIs, proxies, exceptions, uuid, decimal, sets, bytes, datetimes, the classes Pyro5 refuses),
// errors and tracebacks, streams, attributes, oneway, batches, correlation ids and flags,
// pings, the daemon object, handshake refusals.
func TestPyro5ClientCannotTellEchoServersApart(t *testing.T) {
	pyURI := startPyro5EchoServer(t)
	_, goURI := startGoEchoServer(t, pyro.DaemonConfig{})
	for _, ser := range serializers {
		t.Run(ser, func(t *testing.T) {
			extra := []string{}
			if ser == "serpent" {
				extra = append(extra, "timeout")
			}
			want := runEcho5Client(t, pyURI, ser, extra...)
			got := runEcho5Client(t, goURI.String(), ser, extra...)
			compareTranscripts(t, want, got)
			t.Logf("%s: Python Pyro5 client saw the same %d observations from both echo servers", ser, len(want))
		})
	}
}

// TestGoProxyDrivesPyro5EchoServer calls Pyro5's own echo server from our proxy with every
// serializer: values, errors with tracebacks, oneway, streams, attributes, batches.
func TestGoProxyDrivesPyro5EchoServer(t *testing.T) {
	uri := startPyro5EchoServer(t)
	for _, ser := range serializers {
		for _, proto := range []pyro.WireProtocol{pyro.AutoProtocol, pyro.Pyro5} {
			if proto == pyro.Pyro5 && ser != "serpent" {
				continue
			}
			t.Run(ser+"/"+proto.String(), func(t *testing.T) {
				driveEchoServer5(t, uri, ser, proto)
			})
		}
	}
}

func driveEchoServer5(t *testing.T, uri, ser string, proto pyro.WireProtocol) {
	ctx := context.Background()
	p, err := pyro.NewProxy(uri, pyro.WithSerializer(ser), pyro.WithProtocol(proto))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	methods, oneway, attrs, err := p.Metadata(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(methods, "echo") || !slices.Equal(oneway, []string{"oneway_echo", "oneway_slow"}) || !slices.Equal(attrs, []string{"verbose"}) {
		t.Fatalf("metadata: %v %v %v", methods, oneway, attrs)
	}
	if got := p.WireProtocol(); got != pyro.Pyro5 {
		t.Fatalf("WireProtocol() = %v, want Pyro5", got)
	}

	values := []any{nil, true, int64(-7), int64(math.MaxInt64), 2.5, "héllo €",
		[]any{int64(1), "a", []any{}}, pyval.DictOf("k", int64(1), "n", nil)}
	if ser != "json" {
		big70, _ := new(big.Int).SetString("1180591620717411303424", 10)
		values = append(values, big70, []byte{0, 1, 255})
	}
	if ser == "serpent" || ser == "marshal" {
		values = append(values, pyval.Tuple{int64(1), "x"}, pyval.NewSet(int64(1), int64(2)), complex(1, -2))
	}
	if ser == "msgpack" {
		// Pyro5's msgpack serializer rebuilds datetimes and dates (ext 0x32, 0x33) in calls too.
		values = append(values, complex(1, -2),
			time.Date(2024, 6, 28, 12, 30, 15, 250000000, time.FixedZone("", 2*3600)),
			pyval.Date{Year: 2024, Month: 2, Day: 29})
	}
	for _, v := range values {
		var got pyval.Raw
		if err := p.Call(ctx, "echo", &got, v); err != nil {
			t.Fatalf("echo(%s): %v", pyval.Repr(v), err)
		}
		if !pyval.Equal(got, v) {
			t.Errorf("echo(%s) = %s", pyval.Repr(v), pyval.Repr(got))
		}
	}

	// Pyro's own classes travel in Pyro5's spelling and come back as the Go types.
	u := pyro.URI{Protocol: pyro.ProtocolPyro, Object: "some.object", Host: "example.com", Port: 4321}
	if got, err := pyro.CallT[pyro.URI](ctx, p, "echo", u); err != nil || got != u {
		t.Errorf("echo(URI) = %v %v", got, err)
	}
	var raw pyval.Raw
	if err := p.Call(ctx, "echo", &raw, u); err != nil {
		t.Fatal(err)
	}
	if c, _ := pyval.ClassOf(raw); c != "Pyro5.core.URI" {
		t.Errorf("a URI came back as %s", pyval.Repr(raw))
	}
	other, _ := pyro.NewProxyURI(u)
	defer other.Close()
	if got, err := pyro.CallT[*pyro.Proxy](ctx, p, "echo", other); err != nil || got.URI() != u {
		t.Errorf("echo(proxy) = %v %v", got, err)
	} else {
		got.Close()
	}
	var re *pyro.RemoteError
	if err := p.Call(ctx, "echo", &re, pyro.NewError("Pyro4.errors.NamingError", "no such name")); err != nil ||
		re.Class != "Pyro5.errors.NamingError" || re.Message() != "no such name" || !errors.Is(re, pyro.ErrNaming) {
		t.Errorf("echo(NamingError value) = %v %v", re, err)
	}
	if s, err := pyro.CallT[string](ctx, p, "Echo", pyro.Kwargs{"message": "kw"}); err != nil || s != "kw" {
		t.Errorf("echo by keyword with the Go name: %q %v", s, err)
	}

	err = p.Call(ctx, "error", nil)
	if !errors.As(err, &re) || re.Class != "builtins.ValueError" || re.Message() != "this is the generated error from echoserver echo() method" ||
		!strings.Contains(strings.Join(re.Traceback, ""), "Traceback") || !strings.Contains(strings.Join(re.Traceback, ""), "echoserver.py") {
		t.Errorf("error(): %v %q", err, re.Traceback)
	}
	if err := p.Call(ctx, "_private", nil); !errors.Is(err, pyro.ErrNoSuchMethod) {
		t.Errorf("_private: %v", err)
	}
	if n, err := pyro.CallT[float64](ctx, p, "nan"); err != nil || !math.IsNaN(n) {
		t.Errorf("nan() = %v %v", n, err)
	}
	if n, err := pyro.CallT[float64](ctx, p, "inf"); err != nil || !math.IsInf(n, 1) {
		t.Errorf("inf() = %v %v", n, err)
	}

	var items []string
	for item, err := range p.Stream(ctx, "generator") {
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, item.(string))
	}
	if strings.Join(items, ",") != "one,two,three" {
		t.Errorf("generator = %v", items)
	}
	for item, err := range p.Stream(ctx, "generator") {
		if err != nil || item != "one" {
			t.Fatalf("first item: %v %v", item, err)
		}
		break // closes the stream (close_stream, oneway)
	}

	if err := p.SetAttr(ctx, "verbose", true); err != nil {
		t.Fatal(err)
	}
	var verbose bool
	if err := p.GetAttr(ctx, "verbose", &verbose); err != nil || !verbose {
		t.Errorf("verbose = %v %v", verbose, err)
	}
	if err := p.SetAttr(ctx, "verbose", false); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	if err := p.Call(ctx, "oneway_slow", nil); err != nil { // oneway from the metadata
		t.Fatal(err)
	}
	if err := p.Oneway(ctx, "echo", "ignored"); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("oneway calls blocked for %v", d)
	}

	if ser != "marshal" { // Pyro5's marshal cannot write a failed call's wrapper: the batch fails whole
		results, err := p.Batch().Add("echo", "a").Add("echo", int64(2)).Add("error").Add("echo", "never").Run(ctx)
		var be *pyro.BatchError
		if !errors.As(err, &be) || be.Index != 2 || len(results) != 2 || results[0] != "a" {
			t.Errorf("batch: %v %v", results, err)
		}
		if !errors.As(err, &re) || re.Class != "builtins.ValueError" {
			t.Errorf("batch error: %v", err)
		}
	} else if results, err := p.Batch().Add("echo", "a").Add("echo", int64(2)).Run(ctx); err != nil || len(results) != 2 {
		t.Errorf("marshal batch: %v %v", results, err)
	}
	if err := p.Batch().Add("echo", "x").RunOneway(ctx); err != nil {
		t.Errorf("oneway batch: %v", err)
	}

	loc := strings.SplitN(uri, "@", 2)[1]
	d, _ := pyro.NewProxy("PYRO:Pyro.Daemon@"+loc, pyro.WithSerializer(ser), pyro.WithProtocol(proto))
	defer d.Close()
	var registered []string
	if err := d.Call(ctx, "registered", &registered); err != nil || !slices.Contains(registered, "test.echoserver") {
		t.Errorf("daemon registered(): %v %v", registered, err)
	}
	var meta map[string][]string
	if err := d.Call(ctx, "get_metadata", &meta, "test.echoserver"); err != nil || !slices.Contains(meta["methods"], "generator") {
		t.Errorf("daemon get_metadata(): %v %v", meta, err)
	}
	nope, _ := pyro.NewProxy("PYRO:nope@"+loc, pyro.WithProtocol(proto))
	defer nope.Close()
	if err := nope.Bind(ctx); !errors.Is(err, pyro.ErrConnectFailed) || !strings.Contains(err.Error(), "unknown object") {
		t.Errorf("unknown object: %v", err)
	}
}

// TestWireProtocolChoice: an explicit protocol the daemon does not speak fails with
// ErrWrongProtocol; AutoProtocol finds Pyro5 with one extra handshake the first time and
// none after (it remembers the address), and a Go daemon is spoken to in Pyro4.
func TestWireProtocolChoice(t *testing.T) {
	py5 := startPyro5EchoServer(t)
	py4 := startPythonEchoServer(t, nil)
	_, goURI := startGoEchoServer(t, pyro.DaemonConfig{})
	ctx := context.Background()
	for _, c := range []struct {
		uri   string
		proto pyro.WireProtocol
	}{{py5, pyro.Pyro4}, {py4, pyro.Pyro5}} {
		p, _ := pyro.NewProxy(c.uri, pyro.WithProtocol(c.proto))
		err := p.Call(ctx, "echo", nil, "x")
		if !errors.Is(err, pyro.ErrWrongProtocol) || !errors.Is(err, pyro.ErrCommunication) {
			t.Errorf("%v to the other protocol's daemon: %v", c.proto, err)
		}
		p.Close()
	}

	var mu sync.Mutex
	dials := map[string]int{}
	counting := pyro.WithDialer(func(ctx context.Context, network, addr string) (net.Conn, error) {
		mu.Lock()
		dials[addr]++
		mu.Unlock()
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	})
	addr := strings.SplitN(py5, "@", 2)[1]
	for i := range 2 {
		p, _ := pyro.NewProxy(py5, counting)
		if s, err := pyro.CallT[string](ctx, p, "echo", "auto"); err != nil || s != "auto" || p.WireProtocol() != pyro.Pyro5 {
			t.Fatalf("auto, proxy %d: %q %v %v", i, s, err, p.WireProtocol())
		}
		p.Close()
	}
	if dials[addr] != 3 {
		t.Errorf("two auto proxies to a Pyro5 daemon dialed %d times, want 3 (one fallback, then remembered)", dials[addr])
	}
	for _, u := range []string{py4, goURI.String()} {
		p, _ := pyro.NewProxy(u)
		if s, err := pyro.CallT[string](ctx, p, "echo", "auto"); err != nil || s != "auto" || p.WireProtocol() != pyro.Pyro4 {
			t.Errorf("auto to %s: %q %v %v", u, s, err, p.WireProtocol())
		}
		p.Close()
	}
	// An HMAC key needs Pyro4: explicit Pyro5 is refused at once.
	if _, err := pyro.NewProxy(py5, pyro.WithProtocol(pyro.Pyro5), pyro.WithHMACKey([]byte("k"))); err == nil {
		t.Error("Pyro5 with an HMAC key: no error")
	}
}

// A session counter and a shared one, to show that Pyro4 and Pyro5 clients meet the same
// registry and instance modes.
type sessionCounter struct{ n int }

func (s *sessionCounter) Next() int { s.n++; return s.n }

type sharedTotal struct {
	mu sync.Mutex
	n  int
}

func (s *sharedTotal) Add(k int) int { s.mu.Lock(); defer s.mu.Unlock(); s.n += k; return s.n }

const mixedClient = `
import sys, Pyro4, Pyro5.api
uri, sess, shared = sys.argv[1:4]
p4, p5 = Pyro4.Proxy(uri), Pyro5.api.Proxy(uri)
s4, s5 = Pyro4.Proxy(sess), Pyro5.api.Proxy(sess)
t4, t5 = Pyro4.Proxy(shared), Pyro5.api.Proxy(shared)
for p in (p4, p5, s4, s5, t4, t5):
    p._pyroBind()
print("connected", flush=True)
sys.stdin.readline()
for i in range(3):
    print(p4.echo("four %d" % i), p5.echo("five %d" % i), s4.next(), s5.next(), flush=True)
for p in (p4, p5):
    try:
        p.error()
    except ValueError as e:
        print(type(e).__name__, e)
print(sorted([t4.add(1), t5.add(10)]))
`

// TestPyro4AndPyro5ClientsAtOnce: one Go daemon serves a Python Pyro4 client and a Python
// Pyro5 client connected at the same time (and Go proxies of both protocols), each calling
// the same objects: the echo server (whose error text follows each caller's protocol), a
// Session object (one instance per connection, whatever its protocol) and a Single one.
func TestPyro4AndPyro5ClientsAtOnce(t *testing.T) {
	var mu sync.Mutex
	open := map[pyro.WireProtocol]int{}
	cfg := pyro.DaemonConfig{
		Handshake: func(ctx context.Context, data any) (any, error) {
			ci, _ := pyro.ConnInfoFrom(ctx)
			mu.Lock()
			open[ci.Protocol]++
			mu.Unlock()
			return "hello", nil
		},
		OnDisconnect: func(ctx context.Context) {
			ci, _ := pyro.ConnInfoFrom(ctx)
			mu.Lock()
			open[ci.Protocol]--
			mu.Unlock()
		},
	}
	echo, uri := startGoEchoServer(t, cfg)
	_ = echo
	d := pyrotest.NewDaemon(t, cfg)
	sessURI, err := d.RegisterFactory(pyro.Session, func() *sessionCounter { return &sessionCounter{} })
	if err != nil {
		t.Fatal(err)
	}
	sharedURI, _ := d.Register(&sharedTotal{})

	pytest.RequirePyro5(t)
	pytest.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, pytest.Interpreter, "-c", mixedClient, uri.String(), sessURI.String(), sharedURI.String())
	cmd.Env = pytest.Pyro5Env(t)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	stderr := new(pytest.SyncBuffer)
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	sc := bufio.NewScanner(stdout)
	if !sc.Scan() || sc.Text() != "connected" {
		t.Fatalf("python client: %q\n%s", sc.Text(), stderr)
	}
	mu.Lock()
	four, five := open[pyro.Pyro4], open[pyro.Pyro5]
	mu.Unlock()
	if four != 3 || five != 3 {
		t.Fatalf("connections open at once: %d Pyro4, %d Pyro5; want 3 and 3", four, five)
	}

	// Go proxies of both protocols call alongside, concurrently.
	var wg sync.WaitGroup
	for _, proto := range []pyro.WireProtocol{pyro.Pyro4, pyro.Pyro5} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := pyrotest.NewProxy(t, uri, pyro.WithProtocol(proto))
			for i := range 20 {
				if s, err := pyro.CallT[string](ctx, p, "echo", proto.String()); err != nil || s != proto.String() {
					t.Errorf("%v call %d: %q %v", proto, i, s, err)
					return
				}
			}
		}()
	}
	io.WriteString(stdin, "go\n")
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	wg.Wait()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("python client: %v\n%s", err, stderr)
	}
	want := []string{
		"four 0 five 0 1 1", "four 1 five 1 2 2", "four 2 five 2 3 3",
		"ValueError expected error from echoserver error() method",
		"ValueError this is the generated error from echoserver echo() method",
		"[1, 11]",
	}
	if !slices.Equal(lines, want) {
		t.Fatalf("python client printed:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}
