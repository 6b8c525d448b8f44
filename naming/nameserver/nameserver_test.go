package nameserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/echoserver"
	"github.com/gopyro/pyro/internal/pytest"
	"github.com/gopyro/pyro/naming"
	"github.com/gopyro/pyro/naming/nameserver"
	"github.com/gopyro/pyro/pyrotest"
)

// startNS runs our name server, on a free loopback port unless c says otherwise.
func startNS(t testing.TB, c nameserver.Config) *nameserver.Server {
	return pyrotest.NewNameServer(t, c)
}

func client(t testing.TB, uri pyro.URI) *naming.Client {
	return pyrotest.NewNameServerClient(t, uri)
}

// startEcho serves our echo server, for PYRONAME/PYROMETA proxies to reach.
func startEcho(t testing.TB) pyro.URI {
	t.Helper()
	d := pyrotest.NewDaemon(t, pyro.DaemonConfig{})
	uri, err := echoserver.New(io.Discard).Register(d)
	if err != nil {
		t.Fatal(err)
	}
	return uri
}

var portRE = regexp.MustCompile(`127\.0\.0\.1:\d+`)

func nsTranscript(t *testing.T, host string, port int, echoURI, ser string) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := pytest.Command(ctx, "testdata/ns_client.py", host, strconv.Itoa(port), echoURI, ser)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ns_client.py: %v\n%s", err, stderr.String())
	}
	out = portRE.ReplaceAll(out, []byte("ADDR"))
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return m
}

// TestPythonProgramsCannotTellNameServersApart runs the same Python Pyro4 program against
// pyro4-ns and against ours, per storage and serializer, and compares everything it saw,
// the order of what list() returns included.
func TestPythonProgramsCannotTellNameServersApart(t *testing.T) {
	echo := startEcho(t)
	for _, run := range []struct{ storage, ser string }{
		{"memory", "serpent"}, {"memory", "json"}, {"memory", "marshal"}, {"sql", "serpent"}, {"sql", "json"},
	} {
		ser := run.ser
		t.Run(run.storage+"/"+ser, func(t *testing.T) {
			var pyArgs []string
			var cfg nameserver.Config
			if run.storage == "sql" {
				dir := t.TempDir()
				pyArgs = []string{"-s", "sql:" + dir + "/py.db"}
				cfg.Storage = "sql:" + dir + "/go.db"
			}
			pyNS, err := pyro.ParseURI(pytest.StartNameServer(t, pyArgs...))
			if err != nil {
				t.Fatal(err)
			}
			goNS := startNS(t, cfg).URI()
			want := nsTranscript(t, pyNS.Host, pyNS.Port, echo.String(), ser)
			got := nsTranscript(t, goNS.Host, goNS.Port, echo.String(), ser)
			for key, w := range want {
				if ser == "marshal" && marshalBroken(w) {
					// Pyro4's marshal cannot send a URI inside a tuple ("unmarshallable
					// object"); ours answers. A known Pyro4 bug, not a compatibility goal.
					continue
				}
				if strings.HasPrefix(key, "list_regex_invalid") {
					// Python's re and Go's RE2 word their errors differently; the class matters.
					w, got[key] = errorClass(w), errorClass(got[key])
				}
				wj, _ := json.Marshal(w)
				gj, _ := json.Marshal(got[key])
				if !bytes.Equal(wj, gj) {
					t.Errorf("%s:\n pyro4-ns: %s\n ours:     %s", key, wj, gj)
				}
			}
			t.Logf("%s storage, %s: a Python program saw the same %d results from pyro4-ns and from ours", run.storage, ser, len(want))
		})
	}
}

var metaLineRE = regexp.MustCompile(`metadata: \[(.*)\]`)

// sortMetadata orders the tags nsc prints: they come from a Python set, in arbitrary order.
func sortMetadata(s string) string {
	return metaLineRE.ReplaceAllStringFunc(s, func(line string) string {
		items := strings.Split(metaLineRE.FindStringSubmatch(line)[1], ", ")
		slices.Sort(items)
		return "metadata: [" + strings.Join(items, ", ") + "]"
	})
}

func marshalBroken(v any) bool {
	m, _ := v.(map[string]any)
	return m["error"] == "builtins.ValueError" && m["str"] == "unmarshallable object"
}

func errorClass(v any) any {
	m, _ := v.(map[string]any)
	return m["error"]
}

// TestNSCAgainstOurNameServer runs pyro4-nsc verbs against both name servers and compares output.
func TestNSCAgainstOurNameServer(t *testing.T) {
	pyNS, err := pyro.ParseURI(pytest.StartNameServer(t))
	if err != nil {
		t.Fatal(err)
	}
	goNS := startNS(t, nameserver.Config{}).URI()
	verbs := [][]string{
		{"ping"},
		{"register", "demo.a", "PYRO:a@localhost:1111"},
		{"register", "demo.b", "PYRO:b@localhost:2222"},
		{"register", "demo.a", "PYRO:a@localhost:1111"},
		{"setmeta", "demo.a", "red", "green"},
		{"lookup", "demo.a"},
		{"lookup", "nope"},
		{"list", "demo"},
		{"listmatching", `demo\.b`},
		{"listmeta_all", "red", "green"},
		{"listmeta_any", "green", "blue"},
		{"setmeta", "demo.a"},
		{"remove", "demo.a"},
		{"remove", "demo.a"},
		{"list"},
	}
	run := func(u pyro.URI, verb []string) string {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := pytest.Command(ctx, append([]string{"-m", "Pyro4.nsc", "-n", u.Host, "-p", strconv.Itoa(u.Port)}, verb...)...)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("pyro4-nsc %v: %v", verb, err)
		}
		return sortMetadata(portRE.ReplaceAllString(string(out), "ADDR"))
	}
	for _, verb := range verbs {
		want, got := run(pyNS, verb), run(goNS, verb)
		if want != got {
			t.Errorf("pyro4-nsc %s:\n pyro4-ns:\n%s\n ours:\n%s", strings.Join(verb, " "), want, got)
		}
	}
}

// TestConcurrentRegistrations: 50 clients × 200 registrations at once, none lost.
func TestConcurrentRegistrations(t *testing.T) {
	for _, storage := range []string{"memory", "sql"} {
		t.Run(storage, func(t *testing.T) {
			opts := nameserver.Config{}
			if storage == "sql" {
				opts.Storage = "sql:" + t.TempDir() + "/ns.sqlite"
			}
			nsURI := startNS(t, opts).URI()
			ctx := context.Background()
			var wg sync.WaitGroup
			for i := range 50 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c, err := naming.Locate(ctx, nsURI.Host, nsURI.Port)
					if err != nil {
						t.Error(err)
						return
					}
					defer c.Close()
					for j := range 200 {
						u := pyro.URI{Protocol: "PYRO", Object: fmt.Sprintf("o%d_%d", i, j), Host: "localhost", Port: 1000 + j}
						if err := c.Register(ctx, fmt.Sprintf("client%d.obj%d", i, j), u, naming.RegisterOptions{Metadata: []string{fmt.Sprint("c", i)}}); err != nil {
							t.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			c := client(t, nsURI)
			n, err := c.Count(ctx)
			if err != nil || n != 50*200+1 {
				t.Fatalf("count = %d, %v; want %d", n, err, 50*200+1)
			}
			l, err := c.List(ctx, naming.Filter{})
			if err != nil || len(l) != n {
				t.Fatalf("list has %d entries, count says %d (%v)", len(l), n, err)
			}
			if l, _ := c.List(ctx, naming.Filter{MetadataAll: []string{"c7"}}); len(l) != 200 {
				t.Errorf("metadata c7: %d entries", len(l))
			}
		})
	}
}

// TestBadInputKeepsNameServerRunning sends malformed names, bad regexes and huge metadata.
func TestBadInputKeepsNameServerRunning(t *testing.T) {
	nsURI := startNS(t, nameserver.Config{}).URI()
	ctx := context.Background()
	c := client(t, nsURI)
	p := c.Proxy()
	var re *pyro.RemoteError
	cases := []struct {
		name  string
		call  func() error
		class string
	}{
		{"empty name", func() error { return p.Call(ctx, "register", nil, "", "PYRO:x@localhost:1") }, "Pyro4.errors.NamingError"},
		{"name with space", func() error { return p.Call(ctx, "register", nil, "a b", "PYRO:x@localhost:1") }, "Pyro4.errors.NamingError"},
		{"name not str", func() error { return p.Call(ctx, "register", nil, 5, "PYRO:x@localhost:1") }, "builtins.TypeError"},
		{"invalid uri", func() error { return p.Call(ctx, "register", nil, "x", "PYRO:nolocation") }, "Pyro4.errors.PyroError"},
		{"uri not str", func() error { return p.Call(ctx, "register", nil, "x", 5) }, "builtins.TypeError"},
		{"bad regex", func() error { return p.Call(ctx, "list", nil, pyro.Kwargs{"regex": "(?P<x"}) }, "Pyro4.errors.NamingError"},
		{"bad remove regex", func() error { return p.Call(ctx, "remove", nil, pyro.Kwargs{"regex": "["}) }, "Pyro4.errors.NamingError"},
		{"huge metadata", func() error {
			tags := make([]string, nameserver.MaxTags+1)
			for i := range tags {
				tags[i] = fmt.Sprint("t", i)
			}
			return p.Call(ctx, "register", nil, "x", "PYRO:x@localhost:1", false, tags)
		}, "Pyro4.errors.NamingError"},
		{"long tag", func() error {
			return p.Call(ctx, "set_metadata", nil, pyro.NameServerObjectID, []string{strings.Repeat("t", nameserver.MaxTagLen+1)})
		}, "Pyro4.errors.NamingError"},
		{"metadata not iterable", func() error { return p.Call(ctx, "register", nil, "x", "PYRO:x@localhost:1", false, 5) }, "builtins.TypeError"},
		{"two filters", func() error { return p.Call(ctx, "list", nil, pyro.Kwargs{"prefix": "a", "regex": "b"}) }, "builtins.ValueError"},
	}
	for _, tc := range cases {
		if err := tc.call(); !errors.As(err, &re) || re.Class != tc.class {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.class)
		}
	}
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("name server stopped: %v", err)
	}
	if n, _ := c.Count(ctx); n != 1 {
		t.Errorf("bad input registered something: count %d", n)
	}
}

func TestStorageThatIsNotADatabase(t *testing.T) {
	path := t.TempDir() + "/not.db"
	if err := writeFile(path, "this is not a database, just text\n"); err != nil {
		t.Fatal(err)
	}
	_, err := nameserver.Start(nameserver.Config{Daemon: loopback(), Storage: "sql:" + path})
	if err == nil || !strings.Contains(err.Error(), "not") {
		t.Fatalf("opening a text file as storage: %v", err)
	}
}

// loopback is a daemon configuration for 127.0.0.1 and any free port.
func loopback() pyro.DaemonConfig { return pyro.DaemonConfig{Host: "127.0.0.1"} }

// TestBroadcastDiscovery: a name server bound to all interfaces answers GET_NSURI; both our
// BroadcastLookup and Python's locateNS find it (the datagrams go to 127.0.0.1 only, and the
// responder has a free port: BCPort -1).
func TestBroadcastDiscovery(t *testing.T) {
	cfg := pyro.DaemonConfig{Host: "0.0.0.0"}
	s := startNS(t, nameserver.Config{Daemon: cfg, BCHost: "127.0.0.1", BCPort: -1})
	bc := s.BroadcastAddr()
	if bc == nil {
		t.Fatal("no broadcast responder")
	}
	bcPort := bc.(*net.UDPAddr).Port
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	u, err := pyro.BroadcastLookup(ctx, bcPort, []string{"127.0.0.1"})
	if err != nil || u.Object != pyro.NameServerObjectID || u.Port != s.URI().Port || u.Host != "127.0.0.1" {
		t.Fatalf("broadcast lookup: %v %v", u, err)
	}
	// Python: NS_HOST points at a closed loopback port, so locateNS() falls back to broadcast.
	script := `import Pyro4; ns = Pyro4.locateNS(); print(ns._pyroUri.object, ns._pyroUri.port); ns.ping()`
	cmd := pytest.Command(ctx, "-c", script)
	cmd.Env = append(cmd.Env, "PYRO_NS_HOST=localhost", "PYRO_NS_PORT="+strconv.Itoa(closedPort(t)),
		"PYRO_BROADCAST_ADDRS=127.0.0.1", fmt.Sprintf("PYRO_NS_BCPORT=%d", bcPort))
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != fmt.Sprintf("Pyro.NameServer %d", s.URI().Port) {
		t.Fatalf("python locateNS via broadcast: %v\n%s", err, out)
	}
}

// closedPort returns a loopback TCP port nothing listens on.
func closedPort(t testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

func writeFile(path, content string) error { return os.WriteFile(path, []byte(content), 0o644) }

// TestAutoClean: with AutoClean on, a name whose address stops answering is removed, one that
// answers stays.
func TestAutoClean(t *testing.T) {
	s := startNS(t, nameserver.Config{AutoClean: 3 * time.Second, AutoCleanAfter: time.Second})
	c := client(t, s.URI())
	ctx := context.Background()
	alive := startEcho(t)
	dead := pyro.URI{Protocol: "PYRO", Object: "gone", Host: "127.0.0.1", Port: closedPort(t)}
	c.Register(ctx, "alive", alive, naming.RegisterOptions{})
	c.Register(ctx, "dead", dead, naming.RegisterOptions{})
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		l, err := c.List(ctx, naming.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := l["dead"]; !ok {
			if _, ok := l["alive"]; !ok {
				t.Fatal("autoclean removed a reachable registration")
			}
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatal("autoclean did not remove the unreachable registration")
}

// slowObject answers after a while.
type slowObject struct{}

func (slowObject) Work() string { time.Sleep(300 * time.Millisecond); return "ok" }

// TestShutdownIsGraceful: a call in flight on the name server's daemon is answered before
// Shutdown returns, and Serve then reports pyro.ErrDaemonClosed.
func TestShutdownIsGraceful(t *testing.T) {
	s, err := nameserver.Start(nameserver.Config{Daemon: loopback()})
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(context.Background()) }()
	uri, _ := s.Daemon().Register(slowObject{})
	p := pyrotest.NewProxy(t, uri)
	res := make(chan error, 1)
	go func() { _, err := pyro.CallT[string](context.Background(), p, "work"); res <- err }()
	time.Sleep(100 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-res; err != nil {
		t.Fatalf("call in flight during Shutdown: %v", err)
	}
	if err := <-served; !errors.Is(err, pyro.ErrDaemonClosed) {
		t.Fatalf("Serve: %v", err)
	}
}
