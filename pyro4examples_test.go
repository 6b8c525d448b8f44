package pyro_test

import (
	"bytes"
	"context"
	"iter"
	"math/big"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/internal/pytest"
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
			serveWith(t, pyro.Config{Host: "127.0.0.1"}, func(d *pyro.Daemon) {
				var err error
				if goURI, err = ex.register(d); err != nil {
					t.Fatal(err)
				}
			})
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
