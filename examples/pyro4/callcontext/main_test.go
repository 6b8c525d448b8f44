package main

import (
	"maps"
	"regexp"
	"strings"
	"testing"

	"github.com/gopyro/pyro/examples/internal/extest"
)

func TestMain(m *testing.M) { extest.Main(m, main) }

// responseBytes matches the raw CORR and HMAC bytes in a printed dict of response
// annotations: a random correlation id and a signature over the message.
var responseBytes = regexp.MustCompile(`'(CORR|HMAC)': b(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")`)

// TestClient: the client's annotations (old style, by overriding the proxy, and new style,
// through the call context) reach the Go twin, and the twin's response annotations come back
// in the same order as Python's, HMAC-signed; both servers print the same values.
func TestClient(t *testing.T) {
	dir := extest.Dir(t, "callcontext")
	client := func(server *extest.Proc) string {
		t.Helper()
		r := extest.Run(t, extest.Python(nil, dir+"/client.py"), "PYRO:"+server.Line("PYRO:")+"\n\n", 0)
		// Correlation ids are random UUIDs; the client also prints them as raw bytes, and
		// the HMAC signature over them.
		return responseBytes.ReplaceAllString(extest.UUIDs(r.Stdout), "'$1': BYTES")
	}
	pyServer := extest.StartPython(t, nil, "PYRO:", dir+"/server.py")
	goServer := extest.StartGo(t, nil, "PYRO:")
	want, got := client(pyServer), client(goServer)
	extest.Same(t, "the client's output", want, got)
	for _, s := range []string{"DDAA -> b'custom response annotation set by the daemon'", "'DDAA': b'custom response"} {
		if !strings.Contains(got, s) {
			t.Errorf("the client did not print %q", s)
		}
	}

	const calls = 14 // 4 + 5 echoes, 2 oneway, 1 async; 1 echo and 1 oneway the new way
	// Every call prints its custom annotation last; oneway calls print after the client is done.
	pyServer.WaitFor("custom annotation 'XYZZ'", calls)
	goServer.WaitFor("custom annotation 'XYZZ'", calls)
	pyOut, goOut := pyServer.After("PYRO:"), goServer.After("PYRO:") // after the banner
	goLines := strings.Split(normalise(goOut), "\n")
	pyCounts, goCounts := countValues(pyOut, goLines), countValues(goOut, goLines)
	if !maps.Equal(pyCounts, goCounts) || goCounts["Got Message:"] != calls {
		t.Errorf("Python's server printed\n%s\nand ours\n%s\n(counts %v and %v)", pyServer.Stdout(), goServer.Stdout(), pyCounts, goCounts)
	}
	t.Logf("Pyro4's callcontext client printed the same %d bytes against both servers, which printed the same %d values", len(got), len(goCounts))
}

// normalise masks the client's address (its port differs between runs), the correlation ids
// (random) and the ids of the client's proxies that it sends in some messages (hello-<id(p)>,
// Python object addresses).
func normalise(s string) string {
	return extest.Replace(extest.UUIDs(extest.Addresses(s)), `hello-\d{6,}`, "hello-ID")
}

// countValues counts, in a server's output, how often each value the Go twin printed
// appears (each message, object id, client address, serializer id, XYZZ annotation) and how
// often each kind of line does. It counts values rather than comparing lines because the
// Python server prints more lines (its thread, daemon, seq and flags, which Go does not
// have) and prints one argument at a time, so its oneway threads may interleave their lines.
func countValues(out string, goLines []string) map[string]int {
	out = normalise(out)
	counts := map[string]int{}
	for _, l := range goLines {
		for _, p := range []string{"Got Message:", "  obj.pyroid: ", "  context.client_sock_addr: ", "  context.serializer_id: ",
			"  context.correlation_id:", "  custom annotation 'XYZZ':"} {
			if v, ok := strings.CutPrefix(l, p); ok {
				counts[p] = strings.Count(out, p)
				switch v = strings.TrimSpace(v); {
				case v == "UUID":
				case len(v) < 3: // too short to be told apart alone (the serializer id 1)
					counts[l] = strings.Count(out, l)
				default:
					counts[p+" "+v] = strings.Count(out, v)
				}
			}
		}
	}
	return counts
}
