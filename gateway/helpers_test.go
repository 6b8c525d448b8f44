package gateway_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/echoserver"
	"github.com/gopyro/pyro/gateway"
	"github.com/gopyro/pyro/internal/pytest"
	"github.com/gopyro/pyro/naming"
	"github.com/gopyro/pyro/naming/nameserver"
	"github.com/gopyro/pyro/pyrotest"
)

// nsAddr is where a test's name server listens.
type nsAddr struct {
	host string
	port int
}

func (a nsAddr) env() []string {
	return []string{"PYRO_NS_HOST=" + a.host, "PYRO_NS_PORT=" + strconv.Itoa(a.port)}
}

// startPyro5NS runs Pyro5's name server (Python) on a free loopback port.
func startPyro5NS(t testing.TB) nsAddr {
	t.Helper()
	line := pytest.StartPyro5(t, nil, "URI = ", "-m", "Pyro5.nameserver", "-n", "127.0.0.1", "-p", "0")
	u, err := pyro.ParseURI(line)
	if err != nil {
		t.Fatal(err)
	}
	return nsAddr{u.Host, u.Port}
}

// startGoNS runs our name server on a free loopback port.
func startGoNS(t testing.TB) nsAddr {
	t.Helper()
	s := pyrotest.NewNameServer(t, nameserver.Config{})
	return nsAddr{s.URI().Host, s.URI().Port}
}

// startPyro5Echo runs Pyro5's echo server, registered as test.echoserver.
func startPyro5Echo(t testing.TB, ns nsAddr) {
	t.Helper()
	pytest.StartPyro5(t, ns.env(), "echoserver running", "-m", "Pyro5.utils.echoserver", "-H", "127.0.0.1", "-n")
}

// startPyro5Values runs testdata/values5.py, registered as test.values.
func startPyro5Values(t testing.TB, ns nsAddr) {
	t.Helper()
	script, err := filepath.Abs(filepath.Join("testdata", "values5.py"))
	if err != nil {
		t.Fatal(err)
	}
	pytest.StartPyro5(t, ns.env(), "values ready", script)
}

// startGoEcho serves our echo server and registers it as test.echoserver.
func startGoEcho(t testing.TB, ns nsAddr) {
	t.Helper()
	d := pyrotest.NewDaemon(t, pyro.DaemonConfig{})
	uri, err := echoserver.New(io.Discard).Register(d)
	if err != nil {
		t.Fatal(err)
	}
	register(t, ns, echoserver.ObjectID, uri, nil)
}

func register(t testing.TB, ns nsAddr, name string, uri pyro.URI, meta []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := naming.Locate(ctx, ns.host, ns.port)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Register(ctx, name, uri, naming.RegisterOptions{Metadata: meta}); err != nil {
		t.Fatal(err)
	}
}

// startPyro5Gateway runs Pyro5's HTTP gateway (Python) in front of ns and returns its base
// URL ("http://127.0.0.1:port/").
func startPyro5Gateway(t testing.TB, ns nsAddr, args ...string) string {
	t.Helper()
	line := pytest.StartPyro5(t, ns.env(), "Pyro HTTP gateway running on ",
		append([]string{"-m", "Pyro5.utils.httpgateway", "-H", "127.0.0.1", "-p", "0"}, args...)...)
	return strings.TrimSuffix(line, "pyro/")
}

// startGoGateway serves our gateway in front of ns and returns its base URL.
func startGoGateway(t testing.TB, ns nsAddr, cfg gateway.Config) string {
	t.Helper()
	cfg.NSHost, cfg.NSPort = ns.host, ns.port
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil)) // the failures are what the tests ask for
	}
	gw, err := gateway.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gw)
	t.Cleanup(func() { srv.Close(); gw.Close() })
	return srv.URL + "/"
}

// answer is what a test compares of an HTTP answer.
type answer struct {
	status      int
	contentType string
	body        string
	header      http.Header
}

// do sends a request (GET without body, else POST) and reads the answer.
func do(t testing.TB, method, url string, header map[string]string, body string) answer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, url, err)
	}
	return answer{res.StatusCode, res.Header.Get("Content-Type"), string(b), res.Header}
}

func get(t testing.TB, url string) answer { return do(t, http.MethodGet, url, nil, "") }

// chromiumPath is Debian's chromium, which scripts/test installs.
const chromiumPath = "/usr/bin/chromium"

func requireChromium(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("the console test needs Debian's chromium at %s (apt-get install chromium; scripts/test installs it): %v", chromiumPath, err)
	}
}
