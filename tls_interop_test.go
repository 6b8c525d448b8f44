package pyro_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/internal/pytest"
	"github.com/gopyro/pyro/internal/tlstest"
)

// runTLSClient runs testdata/tls_client.py under Python Pyro4 ("4") or Pyro5 ("5") and
// returns what it printed: whoami's answers and the server certificate's common name, or
// the exception that stopped it.
func runTLSClient(t *testing.T, version string, uri pyro.URI, cacerts string, client tlstest.Pair) map[string]string {
	t.Helper()
	args := []string{"testdata/tls_client.py", version, uri.String(), cacerts, client.CertFile, client.KeyFile}
	var out []byte
	if version == "4" {
		pytest.Require(t)
		cmd := pytest.Command(t.Context(), args...)
		b, err := cmd.Output()
		if err != nil {
			t.Fatalf("%v: %v", cmd, err)
		}
		out = b
	} else {
		out = pytest.RunPyro5(t, nil, args...)
	}
	var seen map[string]string
	if err := json.Unmarshal(out, &seen); err != nil {
		t.Fatalf("tls_client.py: %v\n%s", err, out)
	}
	return seen
}

// TestTLSPythonClientsAgainstGoDaemon: Python Pyro4 and Pyro5 clients configured as Pyro's
// ssl example is, against our daemon requiring client certificates. With the right
// certificate the Go method sees its common name and returns it; without one, or with one of
// another CA, or trusting another CA, the connection is refused; the daemon serves on.
func TestTLSPythonClientsAgainstGoDaemon(t *testing.T) {
	w := newTLSWorld(t)
	uri := serveTLSWho(t, w.serverConfig(t, true))
	for _, version := range []string{"4", "5"} {
		t.Run("Pyro"+version, func(t *testing.T) {
			seen := runTLSClient(t, version, uri, w.ca.CertFile, w.alice)
			if seen["whoami"] != "alice" || seen["again"] != "alice" || seen["server"] != "pyro-test-server" {
				t.Fatalf("with alice's certificate: %v", seen)
			}
			refusals := []struct {
				name    string
				cacerts string
				client  tlstest.Pair
				want    string
			}{
				{"no client certificate", w.ca.CertFile, tlstest.Pair{}, "CERTIFICATE_REQUIRED"},
				{"client certificate of another CA", w.ca.CertFile, w.mallory, "UNKNOWN_CA"},
				{"daemon certificate of an untrusted CA", w.other.CertFile, w.alice, "CERTIFICATE_VERIFY_FAILED"},
			}
			for _, r := range refusals {
				seen := runTLSClient(t, version, uri, r.cacerts, r.client)
				if _, ok := seen["whoami"]; ok || !strings.Contains(strings.ToUpper(seen["message"]), r.want) {
					t.Errorf("%s: Python saw %v; want a refusal saying %s", r.name, seen, r.want)
				}
				t.Logf("%s: Python Pyro%s saw %s: %s", r.name, version, seen["error"], seen["message"])
			}
			if got, err := whoami(t, uri, pyro.WithTLSConfig(w.clientConfig(t, w.alice))); err != nil || got != "alice" {
				t.Errorf("after the refusals: %q, %v", got, err)
			}
		})
	}
}

// startPythonTLSDaemon runs testdata/tls_server.py (Pyro4 or Pyro5) with the world's server
// certificate, or cert when given, trusting the world's CA for client certificates.
func startPythonTLSDaemon(t *testing.T, version string, cert tlstest.Pair, cacerts string, require bool) pyro.URI {
	t.Helper()
	req := "0"
	if require {
		req = "1"
	}
	args := []string{"testdata/tls_server.py", version, cert.CertFile, cert.KeyFile, cacerts, req}
	var text string
	if version == "4" {
		text = pytest.Start(t, nil, "uri: ", args...)
	} else {
		text = pytest.StartPyro5(t, nil, "uri: ", args...)
	}
	u, err := pyro.ParseURI(text)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestTLSGoProxyAgainstPythonDaemons: our proxy against Python Pyro4's and Pyro5's SSL
// daemons, with and without client certificates; the Python method reads our certificate
// with getpeercert(). A daemon whose certificate our CA did not issue is refused.
func TestTLSGoProxyAgainstPythonDaemons(t *testing.T) {
	w := newTLSWorld(t)
	for _, version := range []string{"4", "5"} {
		t.Run("Pyro"+version, func(t *testing.T) {
			mutual := startPythonTLSDaemon(t, version, w.server, w.ca.CertFile, true)
			for _, proto := range []pyro.WireProtocol{pyro.AutoProtocol, pyro.Pyro4, pyro.Pyro5} {
				if (version == "4" && proto == pyro.Pyro5) || (version == "5" && proto == pyro.Pyro4) {
					continue
				}
				got, err := whoami(t, mutual, pyro.WithTLSConfig(w.clientConfig(t, w.alice)), pyro.WithProtocol(proto))
				if err != nil || got != "alice" {
					t.Errorf("%s with alice's certificate: %q, %v", proto, got, err)
				}
			}
			if _, err := whoami(t, mutual, pyro.WithTLSConfig(w.clientConfig(t, tlstest.Pair{}))); err == nil || !errors.Is(err, pyro.ErrCommunication) {
				t.Errorf("without a client certificate: %v; want a refusal", err)
			} else {
				t.Logf("without a client certificate: %v", err)
			}
			if _, err := whoami(t, mutual, pyro.WithTLSConfig(forceClientCert(w.clientConfig(t, w.mallory)))); err == nil || !errors.Is(err, pyro.ErrCommunication) {
				t.Errorf("with a certificate of another CA: %v; want a refusal", err)
			} else {
				t.Logf("with a certificate of another CA: %v", err)
			}
			if _, err := whoami(t, mutual); err == nil {
				t.Errorf("without TLS: no error")
			} else {
				t.Logf("without TLS: %v", err)
			}

			oneway := startPythonTLSDaemon(t, version, w.server, "", false)
			if got, err := whoami(t, oneway, pyro.WithTLSConfig(w.clientConfig(t, tlstest.Pair{}))); err != nil || got != "" {
				t.Errorf("server certificate only: %q, %v", got, err)
			}

			rogue := startPythonTLSDaemon(t, version, w.rogueServer, "", false)
			_, err := whoami(t, rogue, pyro.WithTLSConfig(w.clientConfig(t, w.alice)))
			if err == nil || !strings.Contains(err.Error(), "certificate signed by unknown authority") {
				t.Errorf("a daemon with another CA's certificate: %v; want it refused", err)
			}
		})
	}
}
