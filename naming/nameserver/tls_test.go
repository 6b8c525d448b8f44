package nameserver_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/internal/pytest"
	"github.com/gopyro/pyro/internal/tlstest"
	"github.com/gopyro/pyro/naming"
	"github.com/gopyro/pyro/naming/nameserver"
	"github.com/gopyro/pyro/pyrotest"
)

// tlsNSScript registers a name and looks up another at a name server over TLS, as a Python
// Pyro program configured like Pyro's ssl example does: python3 -c SCRIPT 4|5 HOST PORT
// CACERTS CLIENTCERT CLIENTKEY REGISTER_NAME LOOKUP_NAME. It prints the URI it found and the
// sorted names the name server lists.
const tlsNSScript = `
import sys
version, host, port, cacerts, cert, key, mine, theirs = sys.argv[1:9]
if version == "4":
    import Pyro4 as api
    config = api.config
    locate = api.locateNS
else:
    import Pyro5.api as api, Pyro5
    config = Pyro5.config
    locate = api.locate_ns
config.SSL = True
config.SSL_CACERTS = cacerts
config.SSL_CLIENTCERT = cert
config.SSL_CLIENTKEY = key
ns = locate(host, int(port))
ns.register(mine, "PYRO:%s@127.0.0.1:1" % mine)
print("found:", ns.lookup(theirs))
print("names:", " ".join(sorted(ns.list())))
`

// TestTLSNameServer: our name server over mutual TLS, used by our naming client and by Python
// Pyro4's locateNS and Pyro5's locate_ns (register, lookup, list); a client without a
// certificate cannot reach it. Its entries are the daemons' plain URIs, as in Pyro.
func TestTLSNameServer(t *testing.T) {
	dir := t.TempDir()
	ca := tlstest.NewCA(t, dir, "ns-ca")
	server, client := ca.Issue(t, "localhost"), ca.Issue(t, "ns-user")
	srvCfg, err := pyro.TLSFiles{Cert: server.CertFile, Key: server.KeyFile, CACerts: ca.CertFile, RequireClientCert: true}.ServerConfig()
	if err != nil {
		t.Fatal(err)
	}
	cliCfg, err := pyro.TLSFiles{Cert: client.CertFile, Key: client.KeyFile, CACerts: ca.CertFile}.ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	s := pyrotest.NewNameServer(t, nameserver.Config{Daemon: pyro.DaemonConfig{TLSConfig: srvCfg}})
	port := s.URI().Port
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	nc, err := naming.Locate(ctx, "127.0.0.1", port, pyro.WithTLSConfig(cliCfg))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	goURI, _ := pyro.ParseURI("PYRO:go.thing@127.0.0.1:1")
	if err := nc.Register(ctx, "go.thing", goURI, naming.RegisterOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, version := range []string{"4", "5"} {
		args := []string{"-c", tlsNSScript, version, "127.0.0.1", strconv.Itoa(port), ca.CertFile, client.CertFile, client.KeyFile, "py" + version + ".thing", "go.thing"}
		var out []byte
		if version == "4" {
			pytest.Require(t)
			b, err := pytest.Command(ctx, args...).CombinedOutput()
			if err != nil {
				t.Fatalf("Pyro4: %v\n%s", err, b)
			}
			out = b
		} else {
			out = pytest.RunPyro5(t, nil, args...)
		}
		text := string(out)
		if !strings.Contains(text, "found: PYRO:go.thing@127.0.0.1:1") || !strings.Contains(text, "names: Pyro.NameServer go.thing") {
			t.Errorf("Python Pyro%s against our TLS name server:\n%s", version, text)
		}
		u, err := nc.Lookup(ctx, "py"+version+".thing")
		if err != nil || u.String() != "PYRO:py"+version+".thing@127.0.0.1:1" {
			t.Errorf("our client's lookup of Python Pyro%s's registration: %v, %v", version, u, err)
		}
	}
	nsEntry, err := nc.Lookup(ctx, pyro.NameServerObjectID)
	if err != nil || nsEntry != s.URI() {
		t.Errorf("the name server's own entry: %v, %v; want its plain URI %v", nsEntry, err, s.URI())
	}

	noCert, err := pyro.TLSFiles{CACerts: ca.CertFile}.ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := naming.Locate(ctx, "127.0.0.1", port, pyro.WithTLSConfig(noCert)); !errors.Is(err, pyro.ErrNaming) || !strings.Contains(err.Error(), "certificate required") {
		t.Errorf("a client without a certificate: %v; want it refused", err)
	}
	if _, err := naming.Locate(ctx, "127.0.0.1", port); err == nil {
		t.Error("a client without TLS found the name server")
	}
}

// TestTLSNamingClientAgainstPyro4NameServer: our naming client against pyro4-ns started with
// Pyro's PYRO_SSL* variables (mutual TLS), as a Pyro4 user would run it.
func TestTLSNamingClientAgainstPyro4NameServer(t *testing.T) {
	dir := t.TempDir()
	ca := tlstest.NewCA(t, dir, "ns-ca")
	server, client := ca.Issue(t, "localhost"), ca.Issue(t, "ns-user")
	env := []string{"PYRO_SSL=1", "PYRO_SSL_SERVERCERT=" + server.CertFile, "PYRO_SSL_SERVERKEY=" + server.KeyFile,
		"PYRO_SSL_CACERTS=" + ca.CertFile, "PYRO_SSL_REQUIRECLIENTCERT=1"}
	text := pytest.Start(t, env, "URI = ", "-m", "Pyro4.naming", "-n", "127.0.0.1", "-p", "0", "-x")
	nsURI, err := pyro.ParseURI(text)
	if err != nil {
		t.Fatal(err)
	}
	cliCfg, err := pyro.TLSFiles{Cert: client.CertFile, Key: client.KeyFile, CACerts: ca.CertFile}.ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	nc, err := naming.Locate(ctx, "127.0.0.1", nsURI.Port, pyro.WithTLSConfig(cliCfg))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	u, _ := pyro.ParseURI("PYRO:go.thing@127.0.0.1:1")
	if err := nc.Register(ctx, "go.thing", u, naming.RegisterOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, err := nc.Lookup(ctx, "go.thing"); err != nil || got != u {
		t.Errorf("lookup: %v, %v", got, err)
	}
	if _, err := naming.Locate(ctx, "127.0.0.1", nsURI.Port); err == nil {
		t.Error("a client without TLS found pyro4-ns")
	}
}
