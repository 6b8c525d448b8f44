package nameserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/internal/pytest"
	"github.com/gopyro/pyro/naming/nameserver"
)

// startPyro5NS runs Pyro5's own name server on a free loopback port, without broadcast.
func startPyro5NS(t *testing.T, extra ...string) pyro.URI {
	t.Helper()
	line := pytest.StartPyro5(t, nil, "URI = ", append([]string{"-m", "Pyro5.nameserver", "-n", "127.0.0.1", "-p", "0", "-x"}, extra...)...)
	u, err := pyro.ParseURI(strings.TrimSpace(line))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func ns5Transcript(t *testing.T, ns pyro.URI, echoURI, ser string) map[string]any {
	t.Helper()
	out := pytest.RunPyro5(t, nil, "testdata/ns5_client.py", ns.Host, strconv.Itoa(ns.Port), echoURI, ser)
	out = portRE.ReplaceAll(out, []byte("ADDR"))
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return m
}

// TestPyro5ProgramsCannotTellNameServersApart runs the same Python Pyro5 program against
// Pyro5's name server and against ours, per storage and serializer, and compares everything
// it saw: return shapes (metadata as sets), exception classes and messages, and the order of
// what list() and yplookup() return.
func TestPyro5ProgramsCannotTellNameServersApart(t *testing.T) {
	echo := startEcho(t)
	for _, run := range []struct{ storage, ser string }{
		{"memory", "serpent"}, {"memory", "json"}, {"memory", "marshal"}, {"memory", "msgpack"}, {"sql", "serpent"},
	} {
		t.Run(run.storage+"/"+run.ser, func(t *testing.T) {
			var pyArgs []string
			var cfg nameserver.Config
			if run.storage == "sql" {
				dir := t.TempDir()
				pyArgs = []string{"-s", "sql:" + dir + "/py.db"}
				cfg.Storage = "sql:" + dir + "/go.db"
			}
			pyNS := startPyro5NS(t, pyArgs...)
			goNS := startNS(t, cfg).URI()
			want := ns5Transcript(t, pyNS, echo.String(), run.ser)
			got := ns5Transcript(t, goNS, echo.String(), run.ser)
			skipped := 0
			for key, w := range want {
				if pyro5Broken(w) {
					// Pyro5 fails to send what it means to: a registration without metadata
					// holds a frozenset, which its json and msgpack serializers refuse, and its
					// marshal cannot send a URI inside a tuple. Ours answers; known Pyro5
					// bugs, not compatibility goals.
					skipped++
					continue
				}
				if strings.HasPrefix(key, "list_regex_invalid") {
					// Python's re and Go's RE2 word their errors differently; the class matters.
					w, got[key] = errorClass(w), errorClass(got[key])
				}
				wj, _ := json.Marshal(w)
				gj, _ := json.Marshal(got[key])
				if !bytes.Equal(wj, gj) {
					t.Errorf("%s:\n Pyro5 ns: %s\n ours:     %s", key, wj, gj)
				}
			}
			t.Logf("%s storage, %s: a Python Pyro5 program saw the same %d results from Pyro5's name server and from ours (%d Pyro5 serializer failures not compared)", run.storage, run.ser, len(want)-skipped, skipped)
		})
	}
}

func pyro5Broken(v any) bool {
	m, _ := v.(map[string]any)
	msg, _ := m["str"].(string)
	return m["error"] == "builtins.ValueError" && msg == "unmarshallable object" ||
		m["error"] == "Pyro5.errors.SerializeError" && strings.Contains(msg, "frozenset")
}

// TestPyro5BroadcastDiscovery: Pyro5's locate_ns() finds our name server by broadcast (its
// request and answer are Pyro4's: "GET_NSURI", answered with the URI), and Pyro4's locateNS()
// finds the same one.
func TestPyro5BroadcastDiscovery(t *testing.T) {
	s := startNS(t, nameserver.Config{Daemon: pyro.DaemonConfig{Host: "0.0.0.0"}, BCHost: "127.0.0.1", BCPort: -1})
	bc := s.BroadcastAddr()
	if bc == nil {
		t.Fatal("no broadcast responder")
	}
	bcPort := bc.(*net.UDPAddr).Port
	want := fmt.Sprintf("Pyro.NameServer %d", s.URI().Port)
	// NS_HOST points at a closed loopback port, so locate_ns() falls back to broadcast.
	env := []string{"PYRO_NS_HOST=localhost", "PYRO_NS_PORT=" + strconv.Itoa(closedPort(t)),
		"PYRO_BROADCAST_ADDRS=127.0.0.1", fmt.Sprintf("PYRO_NS_BCPORT=%d", bcPort)}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	script := `from Pyro5.api import locate_ns; ns = locate_ns(); print(ns._pyroUri.object, ns._pyroUri.port); ns.ping(); print(ns.yplookup(meta_any={"class:Pyro5.nameserver.NameServer"}, return_metadata=False) and "yp")`
	cmd := exec.CommandContext(ctx, pytest.Interpreter, "-c", script)
	cmd.Env = append(pytest.Pyro5Env(t), env...)
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != want+"\nyp" {
		t.Fatalf("Pyro5 locate_ns via broadcast: %v\n%s", err, out)
	}
	cmd = pytest.Command(ctx, "-c", `import Pyro4; ns = Pyro4.locateNS(); print(ns._pyroUri.object, ns._pyroUri.port); ns.ping()`)
	cmd.Env = append(cmd.Env, env...)
	out, err = cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != want {
		t.Fatalf("Pyro4 locateNS via broadcast: %v\n%s", err, out)
	}
}

// pyro5Example is the directory of one of Pyro5's examples, run unchanged.
func pyro5Example(t *testing.T, name string) string {
	t.Helper()
	return pytest.Pyro5Example(t, name)
}

var (
	setRE   = regexp.MustCompile(`\{('[^']*'(?:, '[^']*')*)\}`)
	ownerRE = regexp.MustCompile(`owner \d+`)
)

// runPyro5NSMetadataExample runs Pyro5's ns-metadata client against the name server at ns
// and returns what it printed, with object ids and ports masked and the tags of each "meta:"
// line and each printed set sorted (both come from sets).
func runPyro5NSMetadataExample(t *testing.T, ns pyro.URI) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, pytest.Interpreter, "example.py")
	cmd.Dir = pyro5Example(t, "ns-metadata")
	cmd.Env = append(pytest.Pyro5Env(t), "PYRO_NS_HOST="+ns.Host, "PYRO_NS_PORT="+strconv.Itoa(ns.Port), "PYTHONHASHSEED=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("example.py: %v\n%s", err, out)
	}
	s := ownerRE.ReplaceAllString(normaliseNSMetadata(string(out)), "owner THREAD")
	return setRE.ReplaceAllStringFunc(s, func(set string) string {
		items := strings.Split(setRE.FindStringSubmatch(set)[1], ", ")
		slices.Sort(items)
		return "{" + strings.Join(items, ", ") + "}"
	})
}

// TestPyro5NSMetadataExample runs Pyro5's ns-metadata example client, unchanged, against
// Pyro5's name server and against ours and compares what it prints.
func TestPyro5NSMetadataExample(t *testing.T) {
	for _, storage := range []string{"memory", "sql"} {
		t.Run(storage, func(t *testing.T) {
			var pyArgs []string
			var cfg nameserver.Config
			if storage == "sql" {
				dir := t.TempDir()
				pyArgs = []string{"-s", "sql:" + dir + "/py.db"}
				cfg.Storage = "sql:" + dir + "/go.db"
			}
			want := runPyro5NSMetadataExample(t, startPyro5NS(t, pyArgs...))
			got := runPyro5NSMetadataExample(t, startNS(t, cfg).URI())
			if got != want {
				t.Errorf("Pyro5's ns-metadata example printed, against Pyro5's name server:\n%s\nagainst ours:\n%s", want, got)
			}
			if !strings.Contains(want, "all resource types:") {
				t.Errorf("the example did not run through:\n%s", want)
			}
		})
	}
}
