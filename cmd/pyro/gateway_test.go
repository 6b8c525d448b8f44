package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/echoserver"
	"github.com/gopyro/pyro/naming"
	"github.com/gopyro/pyro/naming/nameserver"
	"github.com/gopyro/pyro/pyrotest"
)

// TestGatewayCommand runs `pyro gateway` as a process, finding the name server through
// PYRO_NS_HOST/PYRO_NS_PORT and its key in PYRO_HTTPGATEWAY_KEY, as Pyro's gateway does.
func TestGatewayCommand(t *testing.T) {
	ns := pyrotest.NewNameServer(t, nameserver.Config{})
	d := pyrotest.NewDaemon(t, pyro.DaemonConfig{})
	uri, err := echoserver.New(io.Discard).Register(d)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	nsc := pyrotest.NewNameServerClient(t, ns.URI())
	if err := nsc.Register(ctx, "test.echoserver", uri, naming.RegisterOptions{}); err != nil {
		t.Fatal(err)
	}

	cmd := pyroCmd(context.Background(), "gateway", "-H", "127.0.0.1", "-p", "0", "-e", `test\.`)
	cmd.Env = append(cmd.Env, "PYRO_NS_HOST=127.0.0.1", "PYRO_NS_PORT="+strconv.Itoa(ns.URI().Port), "PYRO_HTTPGATEWAY_KEY=k3y")
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	type started struct{ url, printed string }
	base := make(chan started, 1)
	go func() {
		var printed strings.Builder
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			printed.WriteString(sc.Text() + "\n")
			if url, ok := strings.CutPrefix(sc.Text(), "Pyro HTTP gateway running on "); ok {
				base <- started{url, printed.String()}
			}
		}
		close(base)
	}()
	var st started
	select {
	case s, ok := <-base:
		if !ok {
			t.Fatal("pyro gateway exited before serving")
		}
		st = s
	case <-time.After(30 * time.Second):
		t.Fatal("pyro gateway did not say where it serves")
	}
	url := st.url
	if !strings.Contains(st.printed, "Connected to name server at:  PYRO:Pyro.NameServer@127.0.0.1:") {
		t.Errorf("pyro gateway printed:\n%s", st.printed)
	}

	fetch := func(path, key string) (int, string) {
		req, _ := http.NewRequestWithContext(ctx, "GET", url+path, nil)
		if key != "" {
			req.Header.Set("X-Pyro-Gateway-Key", key)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := fetch("pyro/test.echoserver/echo?message=over+http", "k3y"); code != 200 || body != `"over http"` {
		t.Errorf("call with the key: %d %s", code, body)
	}
	if code, body := fetch("pyro/test.echoserver/echo?message=x", ""); code != 403 {
		t.Errorf("call without the key: %d %s", code, body)
	}
	if code, body := fetch("", ""); code != 200 || !strings.Contains(body, "<title>Pyro gateway console</title>") {
		t.Errorf("console: %d %.200s", code, body)
	}
}

func TestGatewayKeyTwice(t *testing.T) {
	t.Setenv("PYRO_HTTPGATEWAY_KEY", "a")
	if _, stderr, code := runPyro("gateway", "-g", "b"); code != 2 || !strings.Contains(stderr, "don't use -g and PYRO_HTTPGATEWAY_KEY at the same time") {
		t.Errorf("-g and PYRO_HTTPGATEWAY_KEY: exit %d %q", code, stderr)
	}
	if _, stderr, code := runPyro("gateway", "-e", "("); code != 2 || !strings.Contains(stderr, "expose pattern") {
		t.Errorf("bad -e: exit %d %q", code, stderr)
	}
}

// TestGatewayMetrics: `pyro gateway --metrics` counts its HTTP requests by status and its
// calls through the proxies' metrics, per target.
func TestGatewayMetrics(t *testing.T) {
	ns := pyrotest.NewNameServer(t, nameserver.Config{})
	d := pyrotest.NewDaemon(t, pyro.DaemonConfig{})
	uri, err := echoserver.New(io.Discard).Register(d)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := pyrotest.NewNameServerClient(t, ns.URI()).Register(ctx, "test.echoserver", uri, naming.RegisterOptions{}); err != nil {
		t.Fatal(err)
	}
	env := []string{"PYRO_NS_HOST=127.0.0.1", "PYRO_NS_PORT=" + strconv.Itoa(ns.URI().Port)}
	got := startObservedEnv(t, env, []string{"gateway", "-H", "127.0.0.1", "-p", "0", "-e", `test\.`, "--metrics", "127.0.0.1:0"},
		"metrics on ", "Pyro HTTP gateway running on ")
	metrics, base := got[0], got[1]
	for _, path := range []string{"pyro/test.echoserver/echo?message=a", "pyro/test.echoserver/echo?message=b", "pyro/test.nope/echo", "pyro/other/echo"} {
		res, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	scrapeMetrics(t, metrics) // lints the exposition
	waitMetric(t, metrics, 2, "pyro_gateway_requests_total", "code", "200", "method", "get")
	waitMetric(t, metrics, 1, "pyro_gateway_requests_total", "code", "404", "method", "get") // an unknown name
	waitMetric(t, metrics, 1, "pyro_gateway_requests_total", "code", "403", "method", "get") // outside --expose
	waitMetric(t, metrics, 2, "pyro_client_calls_total", "target", uri.String(), "method", "echo", "outcome", "ok")
}
