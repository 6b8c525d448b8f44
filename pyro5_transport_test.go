package pyro_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/internal/pytest"
	"github.com/gopyro/pyro/pyrotest"
	"github.com/gopyro/pyro/pyval"
)

// TestPyro5PythonClientUnixSocketCompression: a Python Pyro5 client with compression on calls
// our echo server on a unix socket; large payloads travel compressed both ways.
func TestPyro5PythonClientUnixSocketCompression(t *testing.T) {
	sock := t.TempDir() + "/echo.sock"
	cfg := pyro.DaemonConfig{UnixSocket: sock}
	cfg.Compression = true
	_, uri := startGoEchoServer(t, cfg)
	script := `
import sys, Pyro5.api
Pyro5.config.COMPRESSION = True
p = Pyro5.api.Proxy(sys.argv[1])
big = "x" * 100000
assert p.echo(big) == big
print(p._pyroConnection.family(), p.echo("unix+zlib"))
`
	out := pytest.RunPyro5(t, nil, "-c", script, uri.String())
	if got := strings.TrimSpace(string(out)); got != "Unix unix+zlib" {
		t.Fatalf("python client said:\n%s", got)
	}
}

// TestHMACDaemonRefusesPyro5: Pyro5 has no HMAC, so a daemon that requires a key refuses Pyro5
// clients with a reason, while Pyro4 clients with the key get in.
func TestHMACDaemonRefusesPyro5(t *testing.T) {
	cfg := pyro.DaemonConfig{}
	cfg.HMACKey = []byte("s3cret")
	_, uri := startGoEchoServer(t, cfg)
	script := `
import sys, Pyro5.api, Pyro5.errors
try:
    Pyro5.api.Proxy(sys.argv[1]).echo("x")
except Pyro5.errors.CommunicationError as e:
    print(str(e).split("rejected: ", 1)[1])
`
	out := pytest.RunPyro5(t, nil, "-c", script, uri.String())
	if got := strings.TrimSpace(string(out)); !strings.HasPrefix(got, "this daemon requires an HMAC key: Pyro5 (protocol 502) has no HMAC") {
		t.Fatalf("python Pyro5 client said: %s", got)
	}
	ctx := context.Background()
	p := pyrotest.NewProxy(t, uri, pyro.WithHMACKey([]byte("s3cret"))) // auto: Pyro4, as the key needs
	if s, err := pyro.CallT[string](ctx, p, "echo", "signed"); err != nil || s != "signed" || p.WireProtocol() != pyro.Pyro4 {
		t.Fatalf("Pyro4 with the key: %q %v %v", s, err, p.WireProtocol())
	}
	p5 := pyrotest.NewProxy(t, uri, pyro.WithProtocol(pyro.Pyro5))
	if err := p5.Call(ctx, "echo", nil, "x"); !errors.Is(err, pyro.ErrConnectFailed) {
		t.Fatalf("Go Pyro5 proxy: %v", err)
	}
}

// TestPyro5SerializedBlob: a Python Pyro5 client sends a SerializedBlob (KEEPSERIALIZED); a Go
// dispatcher receives it undecoded and forwards it, still undecoded, to a Go listener reached
// over Pyro5, which decodes it.
func TestPyro5SerializedBlob(t *testing.T) {
	d := pyrotest.NewDaemon(t, pyro.DaemonConfig{})
	lisURI, _ := d.Register(&pyro5BlobSink{})
	fwd := pyrotest.NewProxy(t, lisURI, pyro.WithProtocol(pyro.Pyro5))
	dispURI, _ := d.Register(&pyro5BlobForwarder{to: fwd})
	script := `
import sys, Pyro5.api
from Pyro5.api import SerializedBlob
Pyro5.config.SERIALIZER = sys.argv[2]
p = Pyro5.api.Proxy(sys.argv[1])
print(p.process(SerializedBlob("topic", {"n": [1, 2, 3], "s": "text"})))
`
	for _, ser := range serializers {
		out := pytest.RunPyro5(t, nil, "-c", script, dispURI.String(), ser)
		want := "topic {'n': [1, 2, 3], 's': 'text'} via " + ser
		if ser == "marshal" {
			// Pyro5's marshal dumpsCall iterates the blob's data as an argument list: a dict
			// gives its keys, and that is what any receiver of this blob decodes.
			want = "topic ['n', 's'] via marshal"
		}
		if got := strings.TrimSpace(string(out)); got != want {
			t.Errorf("%s: python printed %q, want %q", ser, got, want)
		}
	}
}

type pyro5BlobForwarder struct{ to *pyro.Proxy }

func (f *pyro5BlobForwarder) Process(ctx context.Context, blob *pyro.SerializedBlob) (string, error) {
	var s string
	err := f.to.Call(ctx, "sink", &s, blob)
	return s, err
}

type pyro5BlobSink struct{}

func (pyro5BlobSink) Sink(ctx context.Context, blob *pyro.SerializedBlob) (string, error) {
	var data pyval.Raw
	if err := blob.Decode(&data); err != nil {
		return "", err
	}
	ci, _ := pyro.CallInfoFrom(ctx)
	return blob.Info.(string) + " " + pyval.Repr(data) + " via " + ci.Serializer, nil
}
