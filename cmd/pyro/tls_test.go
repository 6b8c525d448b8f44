package main

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/internal/pytest"
	"github.com/gopyro/pyro/internal/tlstest"
)

// TestTLSCommands runs the README's mutual-TLS how-to: `pyro ns` and `pyro echoserver -n`
// configured by Pyro's PYRO_SSL* variables, `pyro nsc` and `pyro call` with the same ones,
// Python Pyro4's nsc and a Pyro4 client by name alongside, and a client without a
// certificate refused with a message that says so.
func TestTLSCommands(t *testing.T) {
	dir := t.TempDir()
	ca := tlstest.NewCA(t, dir, "ca")
	server, client := ca.Issue(t, "localhost"), ca.Issue(t, "operator")
	env := []string{
		"PYRO_SSL=1",
		"PYRO_SSL_SERVERCERT=" + server.CertFile, "PYRO_SSL_SERVERKEY=" + server.KeyFile,
		"PYRO_SSL_REQUIRECLIENTCERT=1", "PYRO_SSL_CACERTS=" + ca.CertFile,
		"PYRO_SSL_CLIENTCERT=" + client.CertFile, "PYRO_SSL_CLIENTKEY=" + client.KeyFile,
	}
	start := func(prefix string, extraEnv []string, args ...string) string {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		cmd := pyroCmd(ctx, args...)
		cmd.Env = append(append(cmd.Env, env...), extraEnv...)
		return pytest.StartCmd(t, cmd, cancel, prefix)
	}
	nsURI, err := pyro.ParseURI(start("URI = ", nil, "ns", "-n", "127.0.0.1", "-p", "0", "-x"))
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(nsURI.Port)
	echoURI := start("echo uri: ", []string{"PYRO_NS_HOST=127.0.0.1", "PYRO_NS_PORT=" + port}, "echoserver", "-H", "127.0.0.1", "-p", "0", "-n")

	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("PYRO_NS_PORT", port)
	if out, errOut, code := runPyro("nsc", "-n", "127.0.0.1", "-p", port, "list"); code != 0 || !strings.Contains(out, "test.echoserver --> "+echoURI) {
		t.Fatalf("pyro nsc list over TLS: %d\n%s%s", code, out, errOut)
	}
	if out, errOut, code := runPyro("call", "PYRONAME:test.echoserver@127.0.0.1", "echo", "'over TLS'"); code != 0 || strings.TrimSpace(out) != "'over TLS'" {
		t.Fatalf("pyro call by name over TLS: %d %q %q", code, out, errOut)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	nsc := pytest.Command(ctx, "-m", "Pyro4.nsc", "-n", "127.0.0.1", "-p", port, "list")
	nsc.Env = append(nsc.Env, env...)
	if out, err := nsc.CombinedOutput(); err != nil || !strings.Contains(string(out), "test.echoserver --> "+echoURI) {
		t.Errorf("Pyro4's nsc against pyro ns over TLS: %v\n%s", err, out)
	}
	py := pytest.Command(ctx, "-c", `import sys, Pyro4; print(Pyro4.Proxy("PYRONAME:test.echoserver@127.0.0.1:"+sys.argv[1]).echo("from Pyro4"))`, port)
	py.Env = append(py.Env, env...)
	if out, err := py.CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "from Pyro4" {
		t.Errorf("a Pyro4 client by name over TLS: %v\n%s", err, out)
	}

	// A client needs no server certificate; a server does not start without one.
	os.Unsetenv("PYRO_SSL_SERVERCERT")
	if out, errOut, code := runPyro("nsc", "-n", "127.0.0.1", "-p", port, "list"); code != 0 || !strings.Contains(out, "test.echoserver") {
		t.Errorf("pyro nsc with client settings only: %d\n%s%s", code, out, errOut)
	}
	if _, errOut, code := runPyro("echoserver", "-H", "127.0.0.1", "-p", "0"); code != 2 || !strings.Contains(errOut, "PYRO_SSL_SERVERCERT") {
		t.Errorf("echoserver with PYRO_SSL and no certificate: exit %d, %q", code, errOut)
	}
	// Without a client certificate the daemon refuses, and pyro call says why.
	os.Unsetenv("PYRO_SSL_CLIENTCERT")
	os.Unsetenv("PYRO_SSL_CLIENTKEY")
	_, errOut, code := runPyro("call", echoURI, "echo", "'no certificate'")
	if code != 1 || !strings.Contains(errOut, "certificate required") {
		t.Errorf("pyro call without a client certificate: exit %d, %q", code, errOut)
	}
	t.Logf("refused: %s", strings.TrimSpace(errOut))
}
