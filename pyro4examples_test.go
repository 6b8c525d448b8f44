package pyro_test

import (
	"bytes"
	"context"
	"fmt"
	"iter"
	"math/big"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/internal/pytest"
	"github.com/gopyro/pyro/naming"
	"github.com/gopyro/pyro/naming/nameserver"
	"github.com/gopyro/pyro/pyrotest"
	"github.com/gopyro/pyro/pyval"
)

// Pyro4's own example programs (Debian's pyro4-examples) are run unchanged: each example
// client talks once to the example's Python server and once to a Go twin of it, and must print
// the same.
const pyro4Examples = "/usr/share/doc/pyro4/examples"

// streamer is the Go twin of examples/streaming/server.py.
type streamer struct{}

func (streamer) List() []int { return []int{1, 2, 3, 4, 5, 6, 7, 8, 9} }

func (streamer) Iterator() iter.Seq[int] { return countTo(9, 0) }

func (streamer) Generator() iter.Seq[int] { return countTo(9, 0) }

func (streamer) SlowGenerator() iter.Seq[int] { return countTo(9, 50*time.Millisecond) }

func (streamer) Fibonacci() iter.Seq[*big.Int] {
	return func(yield func(*big.Int) bool) {
		a, b := big.NewInt(0), big.NewInt(1)
		for yield(new(big.Int).Set(a)) {
			a.Add(a, b)
			a, b = b, a
		}
	}
}

func countTo(n int, pause time.Duration) iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := 1; i <= n; i++ {
			time.Sleep(pause)
			if !yield(i) {
				return
			}
		}
	}
}

// thingy is the Go twin of examples/attributes/server.py.
type thingy struct{ value int }

func (t *thingy) Dunder() string             { return "yep" }
func (t *thingy) Len() int                   { return 200 }
func (t *thingy) GetValue() int              { return t.value }
func (t *thingy) PropValue() int             { return t.value }
func (t *thingy) SetPropValue(v int)         { t.value = v }
func (t *thingy) PropSub() map[string]string { return map[string]string{"name": "value"} }

var pyro4ExampleCases = []struct {
	name     string
	register func(d *pyro.Daemon) (pyro.URI, error)
}{
	{"streaming", func(d *pyro.Daemon) (pyro.URI, error) {
		return d.Register(streamer{}, pyro.WithID("example.streamer"))
	}},
	{"attributes", func(d *pyro.Daemon) (pyro.URI, error) {
		return d.RegisterFactory(pyro.Session, func() *thingy { return &thingy{value: 42} },
			pyro.WithID("example.attributes"), pyro.WithName("Dunder", "__dunder__"), pyro.WithName("Len", "__len__"),
			pyro.WithName("GetValue", "getValue"), pyro.WithAttributes("PropSub"))
	}},
}

func TestPyro4ExampleClientsAgainstGoServers(t *testing.T) {
	pytest.Require(t)
	for _, ex := range pyro4ExampleCases {
		t.Run(ex.name, func(t *testing.T) {
			dir := pyro4Examples + "/" + ex.name
			if _, err := os.Stat(dir + "/client.py"); err != nil {
				t.Fatalf("Pyro4's examples are missing (scripts/test installs pyro4-examples): %v", err)
			}
			pyURI := pytest.Start(t, nil, "    uri = ", dir+"/server.py")
			var goURI pyro.URI
			d := pyrotest.NewDaemon(t, pyro.DaemonConfig{Host: "127.0.0.1"})
			var err error
			if goURI, err = ex.register(d); err != nil {
				t.Fatal(err)
			}
			want := runExampleClient(t, dir, pyURI)
			got := runExampleClient(t, dir, goURI.String())
			if !bytes.Equal(want, got) {
				t.Fatalf("Pyro4's %s client printed\n%s\nagainst Python's server, and\n%s\nagainst ours", ex.name, want, got)
			}
			t.Logf("Pyro4's %s example client printed the same %d bytes against the Python and the Go server", ex.name, len(want))
		})
	}
}

func runExampleClient(t *testing.T, dir, uri string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := pytest.Command(ctx, dir+"/client.py")
	cmd.Stdin = bytes.NewBufferString(uri + "\n")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s/client.py against %s: %v\n%s%s", dir, uri, err, out, stderr.String())
	}
	// Error messages name the server's address, which differs between the two servers.
	return objectAddr.ReplaceAll(out, []byte("@ADDR"))
}

var objectAddr = regexp.MustCompile(`@(?:localhost|127\.0\.0\.1):\d+`)

// instance is the Go twin of examples/instancemode/server.py's three classes: msg returns
// an id that tells instances apart (and, in session mode, the correlation id of the session's
// first call).
type instance struct {
	id      int64
	session bool
	corr    string
}

var instanceIDs atomic.Int64

func newInstance(session bool) func() *instance {
	return func() *instance { return &instance{id: 140000000 + instanceIDs.Add(1), session: session} }
}

func (i *instance) Msg(ctx context.Context, message string) any {
	if !i.session {
		return i.id
	}
	if i.corr == "" {
		if ci, ok := pyro.CallInfoFrom(ctx); ok {
			c := ci.CorrelationID
			i.corr = fmt.Sprintf("%x-%x-%x-%x-%x", c[0:4], c[4:6], c[6:8], c[8:10], c[10:16])
		}
	}
	return pyval.Tuple{i.id, i.corr}
}

var idLike = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\b\d{6,}\b`)

func mask(out string) string { return idLike.ReplaceAllString(out, "ID") }

// checkInstancePattern checks what the instancemode client printed: the session lines equal
// within each session and different between the two, the single lines all equal, and (when
// asked) the percall lines all different.
func checkInstancePattern(out string, percallDistinct bool) error {
	sections := map[string][]string{}
	var current string
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, "-----"):
			current = strings.Fields(strings.Trim(line, "-"))[0]
		case idLike.MatchString(line) && current != "":
			sections[current] = append(sections[current], line)
		}
	}
	p, se, si := sections["PERCALL"], sections["SESSION"], sections["SINGLE"]
	if len(p) != 3 || len(se) != 6 || len(si) != 6 {
		return fmt.Errorf("sections have %d, %d, %d values, want 3, 6, 6", len(p), len(se), len(si))
	}
	allSame := func(l []string) bool { return l[0] == l[len(l)-1] && l[1] == l[0] && l[len(l)-2] == l[0] }
	if !allSame(se[:3]) || !allSame(se[3:]) || se[0] == se[3] {
		return fmt.Errorf("session lines: %q", se)
	}
	if !allSame(si) {
		return fmt.Errorf("single lines: %q", si)
	}
	if percallDistinct && (p[0] == p[1] || p[1] == p[2] || p[0] == p[2]) {
		return fmt.Errorf("percall lines: %q", p)
	}
	return nil
}

// TestPyro4InstanceModeExample runs Pyro4's instancemode example client against its Python
// server and against Go objects registered with the same modes, each behind its own name
// server: which calls share an instance must be the same.
func TestPyro4InstanceModeExample(t *testing.T) {
	pytest.Require(t)
	dir := pyro4Examples + "/instancemode"
	run := func(nsPort int) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := pytest.Command(ctx, dir+"/client.py")
		cmd.Env = append(cmd.Env, "PYRO_NS_HOST=localhost", fmt.Sprintf("PYRO_NS_PORT=%d", nsPort))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("instancemode client: %v\n%s", err, out)
		}
		return string(out)
	}

	pyNS := startTestNS(t)
	pytest.Start(t, []string{"PYRO_NS_HOST=localhost", fmt.Sprintf("PYRO_NS_PORT=%d", pyNS.Port)}, "Pyro daemon running", dir+"/server.py")
	want := run(pyNS.Port)

	goNS := startTestNS(t)
	var uris []pyro.URI
	d := pyrotest.NewDaemon(t, pyro.DaemonConfig{Host: "127.0.0.1"})
	for _, r := range []struct {
		mode    pyro.InstanceMode
		name    string
		session bool
	}{{pyro.Single, "instance.single", false}, {pyro.Session, "instance.session", true}, {pyro.PerCall, "instance.percall", false}} {
		u, err := d.RegisterFactory(r.mode, newInstance(r.session), pyro.WithParams("Msg", "message"))
		if err != nil {
			t.Fatal(err)
		}
		uris = append(uris, u)
	}
	c, err := naming.Locate(context.Background(), goNS.Host, goNS.Port)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i, name := range []string{"instance.single", "instance.session", "instance.percall"} {
		if err := c.Register(context.Background(), name, uris[i], naming.RegisterOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	got := run(goNS.Port)
	if mask(want) != mask(got) {
		t.Fatalf("Pyro4's instancemode client printed\n%s\nagainst Python's server, and\n%s\nagainst ours", want, got)
	}
	// CPython reuses the id() of freed objects, so Python's percall ids may repeat; ours may not.
	for _, out := range []struct {
		who             string
		percallDistinct bool
		text            string
	}{{"Python's server", false, want}, {"ours", true, got}} {
		if err := checkInstancePattern(out.text, out.percallDistinct); err != nil {
			t.Errorf("%s: %v\n%s", out.who, err, out.text)
		}
	}
	t.Logf("Pyro4's instancemode example client saw the same instance patterns from the Python and the Go server")
}

// startTestNS runs our name server on loopback with a free port.
func startTestNS(t *testing.T) pyro.URI {
	return pyrotest.NewNameServer(t, nameserver.Config{}).URI()
}
