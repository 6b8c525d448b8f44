package pyro_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/internal/tlstest"
	"github.com/gopyro/pyro/pyrotest"
)

// tlsWorld is one test's certificates: a CA with a server certificate (for localhost and
// 127.0.0.1) and a client's ("alice"), and an unrelated CA with a client ("mallory") and a
// server ("rogue") of its own.
type tlsWorld struct {
	dir                  string
	ca, other            *tlstest.CA
	server, alice        tlstest.Pair
	mallory, rogueServer tlstest.Pair
}

func newTLSWorld(t testing.TB) *tlsWorld {
	t.Helper()
	dir := t.TempDir()
	w := &tlsWorld{dir: dir, ca: tlstest.NewCA(t, dir, "test-ca"), other: tlstest.NewCA(t, dir, "other-ca")}
	w.server = w.ca.Issue(t, "pyro-test-server")
	w.alice = w.ca.Issue(t, "alice")
	w.mallory = w.other.Issue(t, "mallory")
	w.rogueServer = w.other.Issue(t, "rogue-server")
	return w
}

// serverConfig is a daemon's TLS configuration with the world's server certificate,
// trusting the world's CA for client certificates.
func (w *tlsWorld) serverConfig(t testing.TB, requireClientCert bool) *tls.Config {
	t.Helper()
	cfg, err := pyro.TLSFiles{Cert: w.server.CertFile, Key: w.server.KeyFile, CACerts: w.ca.CertFile, RequireClientCert: requireClientCert}.ServerConfig()
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// clientConfig is a proxy's TLS configuration trusting the world's CA, with the client
// certificate given (none for the zero Pair).
func (w *tlsWorld) clientConfig(t testing.TB, client tlstest.Pair) *tls.Config {
	t.Helper()
	cfg, err := pyro.TLSFiles{Cert: client.CertFile, Key: client.KeyFile, CACerts: w.ca.CertFile}.ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// tlsWho answers with the common name of the caller's TLS certificate, as the called method
// sees it through ConnInfo.
type tlsWho struct{}

func (tlsWho) Whoami(ctx context.Context) string {
	ci, ok := pyro.ConnInfoFrom(ctx)
	switch {
	case !ok || ci.TLS == nil:
		return "no TLS"
	case len(ci.TLS.PeerCertificates) == 0:
		return ""
	}
	return ci.TLS.PeerCertificates[0].Subject.CommonName
}

// serveTLSWho serves tlsWho as "tls.who" on a TLS daemon on 127.0.0.1. The handshake hook
// checks that ConnInfo.TLS is set before the Pyro handshake is answered.
func serveTLSWho(t testing.TB, cfg *tls.Config) pyro.URI {
	t.Helper()
	d := pyrotest.NewDaemon(t, pyro.DaemonConfig{Host: "127.0.0.1", TLSConfig: cfg, Logger: quietLogger(),
		Handshake: func(ctx context.Context, data any) (any, error) {
			if ci, _ := pyro.ConnInfoFrom(ctx); ci.TLS == nil || !ci.TLS.HandshakeComplete {
				return nil, errors.New("no TLS state in the handshake hook")
			}
			return "hello", nil
		}})
	uri, err := d.Register(tlsWho{}, pyro.WithID("tls.who"))
	if err != nil {
		t.Fatal(err)
	}
	return uri
}

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func whoami(t testing.TB, uri pyro.URI, opts ...pyro.ProxyOption) (string, error) {
	t.Helper()
	p, err := pyro.NewProxyURI(uri, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return pyro.CallT[string](ctx, p, "whoami")
}

// TestTLSGoProxyGoDaemon: mutual TLS between our proxy and daemon, in both wire protocols;
// the method sees the client certificate's identity.
func TestTLSGoProxyGoDaemon(t *testing.T) {
	w := newTLSWorld(t)
	uri := serveTLSWho(t, w.serverConfig(t, true))
	for _, proto := range []pyro.WireProtocol{pyro.Pyro4, pyro.Pyro5} {
		got, err := whoami(t, uri, pyro.WithTLSConfig(w.clientConfig(t, w.alice)), pyro.WithProtocol(proto))
		if err != nil || got != "alice" {
			t.Errorf("%s: whoami = %q, %v; want alice", proto, got, err)
		}
	}
	// Server certificate only: the daemon asks for no client certificate.
	uri = serveTLSWho(t, w.serverConfig(t, false))
	got, err := whoami(t, uri, pyro.WithTLSConfig(w.clientConfig(t, tlstest.Pair{})))
	if err != nil || got != "" {
		t.Errorf("one-way TLS: whoami = %q, %v; want \"\"", got, err)
	}
}

// TestTLSListenerAndDialerOfTheCaller: Serve on a tls.Listener of the caller's (no
// DaemonConfig.TLSConfig) still gives methods ConnInfo.TLS, and a proxy whose Dial returns
// TLS connections uses them as they are.
func TestTLSListenerAndDialerOfTheCaller(t *testing.T) {
	w := newTLSWorld(t)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", w.serverConfig(t, true))
	if err != nil {
		t.Fatal(err)
	}
	d, err := pyro.NewDaemon(pyro.DaemonConfig{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Attach(ln); err != nil {
		t.Fatal(err)
	}
	uri, err := d.Register(tlsWho{}, pyro.WithID("tls.who"))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- d.Serve(context.Background(), ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), pyrotest.ShutdownTimeout)
		defer cancel()
		if err := d.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		<-done
	})
	dialer := &tls.Dialer{Config: w.clientConfig(t, w.alice)}
	dialer.Config.ServerName = "localhost"
	if got, err := whoami(t, uri, pyro.WithDialer(dialer.DialContext)); err != nil || got != "alice" {
		t.Errorf("whoami = %q, %v; want alice", got, err)
	}
}

// TestTLSGoProxyRefused: what our proxy meets when TLS says no, and that the daemon goes
// on serving others.
func TestTLSGoProxyRefused(t *testing.T) {
	w := newTLSWorld(t)
	uri := serveTLSWho(t, w.serverConfig(t, true))
	cases := []struct {
		name string
		opts []pyro.ProxyOption
		want string
	}{
		{"no client certificate", []pyro.ProxyOption{pyro.WithTLSConfig(w.clientConfig(t, tlstest.Pair{}))}, "certificate required"},
		{"client certificate of another CA", []pyro.ProxyOption{pyro.WithTLSConfig(forceClientCert(w.clientConfig(t, w.mallory)))}, "unknown certificate authority"},
		{"server's CA not trusted", []pyro.ProxyOption{pyro.WithTLSConfig(mustClientConfig(t, pyro.TLSFiles{Cert: w.alice.CertFile, Key: w.alice.KeyFile, CACerts: w.other.CertFile}))}, "certificate signed by unknown authority"},
		{"no TLS", nil, "does the daemon require TLS?"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := whoami(t, uri, c.opts...)
			if err == nil {
				t.Fatalf("call succeeded (%q), want a refusal", got)
			}
			if !errors.Is(err, pyro.ErrCommunication) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v; want ErrCommunication saying %q", err, c.want)
			}
			t.Logf("refused: %v", err)
			if got, err := whoami(t, uri, pyro.WithTLSConfig(w.clientConfig(t, w.alice))); err != nil || got != "alice" {
				t.Errorf("after the refusal, a good client got %q, %v", got, err)
			}
		})
	}
	// A TLS proxy against a plain daemon fails in the TLS handshake.
	plain := pyrotest.Serve(t, tlsWho{}, pyro.WithID("tls.who"))
	if _, err := whoami(t, plain, pyro.WithTLSConfig(w.clientConfig(t, w.alice))); err == nil || !strings.Contains(err.Error(), "the daemon does not speak TLS") {
		t.Errorf("TLS proxy against a plain daemon: %v; want a TLS handshake error", err)
	}
}

// forceClientCert makes a client send its certificate even when the server's list of
// acceptable CAs does not name its issuer (Go's client would send none, and meet
// "certificate required"), as OpenSSL's clients do, so the daemon's verification is what
// refuses it.
func forceClientCert(cfg *tls.Config) *tls.Config {
	cert := cfg.Certificates[0]
	cfg.Certificates = nil
	cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }
	return cfg
}

func mustClientConfig(t testing.TB, f pyro.TLSFiles) *tls.Config {
	t.Helper()
	cfg, err := f.ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestTLSPlainClientsDoNotHarmOthers sends a TLS daemon what no TLS client sends (a Pyro
// CONNECT in the clear, garbage, silence) while a good client keeps calling: each bad
// connection is closed on its own, quickly, and the good client never notices.
func TestTLSPlainClientsDoNotHarmOthers(t *testing.T) {
	w := newTLSWorld(t)
	d := pyrotest.NewDaemon(t, pyro.DaemonConfig{Host: "127.0.0.1", TLSConfig: w.serverConfig(t, true),
		HandshakeTimeout: 500 * time.Millisecond, Logger: quietLogger()})
	uri, err := d.Register(tlsWho{}, pyro.WithID("tls.who"))
	if err != nil {
		t.Fatal(err)
	}
	good := pyrotest.NewProxy(t, uri, pyro.WithTLSConfig(w.clientConfig(t, w.alice)), pyro.WithSingleConnection())
	ctx := context.Background()
	if got, err := pyro.CallT[string](ctx, good, "whoami"); err != nil || got != "alice" {
		t.Fatalf("whoami = %q, %v", got, err)
	}
	inputs := map[string][]byte{
		"pyro4 connect": []byte("PYRO\x00\x30\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"),
		"pyro5 connect": append([]byte("PYRO\x01\xf6"), make([]byte, 34)...),
		"http":          []byte("GET / HTTP/1.0\r\n\r\n"),
		"tls garbage":   append([]byte{0x16, 0x03, 0x01, 0xff, 0xff}, bytes.Repeat([]byte{0xAA}, 4096)...),
		"silence":       nil,
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			nc, err := net.Dial("tcp", uri.Address())
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			nc.Write(in)
			nc.SetReadDeadline(time.Now().Add(5 * time.Second))
			start := time.Now()
			answer, err := readAll(nc)
			if errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("the daemon kept the connection open for %v", time.Since(start))
			}
			if bytes.Contains(answer, []byte("PYRO")) || bytes.Contains(answer, []byte("Traceback")) {
				t.Errorf("a plain client got a Pyro answer: %q", answer)
			}
			if got, err := pyro.CallT[string](ctx, good, "whoami"); err != nil || got != "alice" {
				t.Errorf("the good client, meanwhile: %q, %v", got, err)
			}
		})
	}
}

// readAll reads until the peer closes (nil error on EOF or reset), or the deadline.
func readAll(nc net.Conn) ([]byte, error) {
	var buf bytes.Buffer
	_, err := buf.ReadFrom(nc)
	if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
		err = nil // a reset is a close too
	}
	return buf.Bytes(), err
}

// TestTLSFilesKeys reads keys as Pyro users have them: in the certificate's file, encrypted
// by openssl as PKCS#8 (PBES2) or in the traditional form, and says what is wrong otherwise.
func TestTLSFilesKeys(t *testing.T) {
	w := newTLSWorld(t)
	combined := filepath.Join(w.dir, "combined.pem")
	certPEM, _ := os.ReadFile(w.server.CertFile)
	keyPEM, _ := os.ReadFile(w.server.KeyFile)
	if err := os.WriteFile(combined, append(certPEM, keyPEM...), 0o600); err != nil {
		t.Fatal(err)
	}
	pkcs8 := tlstest.EncryptKey(t, w.server, "s3cret", false)
	legacy := tlstest.EncryptKey(t, w.server, "s3cret", true)
	ok := []pyro.TLSFiles{
		{Cert: combined},
		{Cert: w.server.CertFile, Key: pkcs8, KeyPassword: "s3cret"},
		{Cert: w.server.CertFile, Key: legacy, KeyPassword: "s3cret"},
		{Cert: w.server.CertFile, Key: tlstest.EncryptKeyPKCS8(t, w.server, "s3cret", "des3", "hmacWithSHA1"), KeyPassword: "s3cret"},
		{Cert: w.server.CertFile, Key: tlstest.EncryptKeyPKCS8(t, w.server, "s3cret", "aes-128-cbc", "hmacWithSHA512"), KeyPassword: "s3cret"},
		{Cert: w.server.CertFile, Key: w.server.KeyFile, KeyPassword: "ignored for a key in the clear"},
		{Cert: w.server.CertFile, Key: w.server.KeyFile, CACerts: w.dir, RequireClientCert: true}, // a directory of CAs
	}
	for _, f := range ok {
		cfg, err := f.ServerConfig()
		if err != nil {
			t.Errorf("%+v: %v", f, err)
			continue
		}
		// The key must really be the certificate's: serve with it and call.
		uri := serveTLSWho(t, cfg)
		if got, err := whoami(t, uri, pyro.WithTLSConfig(w.clientConfig(t, w.alice))); err != nil || got == "no TLS" {
			t.Errorf("%+v: whoami = %q, %v", f, got, err)
		}
	}
	bad := []struct {
		f    pyro.TLSFiles
		want string
	}{
		{pyro.TLSFiles{Cert: w.server.CertFile, Key: pkcs8, KeyPassword: "wrong"}, "wrong password"},
		{pyro.TLSFiles{Cert: w.server.CertFile, Key: legacy, KeyPassword: "wrong"}, "wrong password"},
		{pyro.TLSFiles{Cert: w.server.CertFile, Key: pkcs8}, "SSL_SERVERKEYPASSWD"},
		{pyro.TLSFiles{Cert: w.server.CertFile, Key: w.alice.KeyFile}, "private key does not match"},
		{pyro.TLSFiles{Cert: filepath.Join(w.dir, "missing.pem")}, "no such file"},
		{pyro.TLSFiles{}, "no certificate file"},
		{pyro.TLSFiles{Cert: w.server.CertFile, Key: w.server.KeyFile, CACerts: w.server.KeyFile, RequireClientCert: true}, "no PEM certificate"},
	}
	for _, b := range bad {
		_, err := b.f.ServerConfig()
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%+v: err = %v; want one saying %q", b.f, err, b.want)
		}
	}
	if _, err := (pyro.TLSFiles{Cert: w.server.CertFile, Key: pkcs8, KeyPassword: "wrong"}).ServerConfig(); !errors.Is(err, pyro.ErrKeyPassword) {
		t.Errorf("wrong password: %v is not ErrKeyPassword", err)
	}
}

// TestTLSFromEnv reads Pyro's PYRO_SSL* variables.
func TestTLSFromEnv(t *testing.T) {
	w := newTLSWorld(t)
	t.Setenv("PYRO_SSL", "true")
	t.Setenv("PYRO_SSL_SERVERCERT", w.server.CertFile)
	t.Setenv("PYRO_SSL_SERVERKEY", w.server.KeyFile)
	t.Setenv("PYRO_SSL_CACERTS", w.ca.CertFile)
	t.Setenv("PYRO_SSL_REQUIRECLIENTCERT", "yes")
	t.Setenv("PYRO_SSL_CLIENTCERT", w.alice.CertFile)
	t.Setenv("PYRO_SSL_CLIENTKEY", w.alice.KeyFile)
	dc, err := pyro.DaemonConfigFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if dc.TLSConfig == nil || dc.TLSConfig.ClientAuth != tls.RequireAndVerifyClientCert || dc.ClientTLSConfig == nil {
		t.Fatalf("daemon TLS from env: %+v", dc.TLSConfig)
	}
	pc, err := pyro.ProxyConfigFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	uri := serveTLSWho(t, dc.TLSConfig)
	if got, err := whoami(t, uri, pyro.WithConfig(pc)); err != nil || got != "alice" {
		t.Errorf("env-configured proxy against env-configured daemon: %q, %v", got, err)
	}

	t.Setenv("PYRO_SSL_SERVERKEY", tlstest.EncryptKey(t, w.server, "pw", false))
	t.Setenv("PYRO_SSL_SERVERKEYPASSWD", "pw")
	if dc, err := pyro.DaemonConfigFromEnv(); err != nil || dc.TLSConfig == nil {
		t.Errorf("an encrypted key and PYRO_SSL_SERVERKEYPASSWD: %v", err)
	}
	t.Setenv("PYRO_SSL_SERVERKEYPASSWD", "nope")
	if _, err := pyro.DaemonConfigFromEnv(); !errors.Is(err, pyro.ErrKeyPassword) && (err == nil || !strings.Contains(err.Error(), "wrong password")) {
		t.Errorf("a wrong PYRO_SSL_SERVERKEYPASSWD: %v", err)
	}

	t.Setenv("PYRO_SSL_SERVERCERT", "")
	if _, err := pyro.DaemonConfigFromEnv(); err == nil || !strings.Contains(err.Error(), "PYRO_SSL_SERVERCERT") {
		t.Errorf("PYRO_SSL without a server certificate: %v", err)
	}
	if _, err := pyro.ProxyConfigFromEnv(); err != nil {
		t.Errorf("a proxy needs no server certificate: %v", err)
	}
	t.Setenv("PYRO_SSL", "0")
	if dc, err := pyro.DaemonConfigFromEnv(); err != nil || dc.TLSConfig != nil {
		t.Errorf("PYRO_SSL=0: %v, %v", dc.TLSConfig, err)
	}
}

// tlsRelay calls whoami on the proxy it is given.
type tlsRelay struct{}

func (tlsRelay) Ask(ctx context.Context, p *pyro.Proxy) (string, error) {
	return pyro.CallT[string](ctx, p, "whoami")
}

// TestTLSProxiesADaemonReceives: a proxy that arrives in a call (a callback) connects with
// the daemon's ClientTLSConfig, and the daemon it reaches sees the receiving daemon's
// certificate; ProxyFor's proxies too.
func TestTLSProxiesADaemonReceives(t *testing.T) {
	w := newTLSWorld(t)
	target := serveTLSWho(t, w.serverConfig(t, true))
	relayCert := w.ca.Issue(t, "relay-daemon")
	d := pyrotest.NewDaemon(t, pyro.DaemonConfig{Host: "127.0.0.1", TLSConfig: w.serverConfig(t, true),
		ClientTLSConfig: w.clientConfig(t, relayCert), Logger: quietLogger()})
	relay, err := d.Register(tlsRelay{}, pyro.WithID("tls.relay"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Register(tlsWho{}, pyro.WithID("tls.who")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	caller := pyrotest.NewProxy(t, relay, pyro.WithTLSConfig(w.clientConfig(t, w.alice)))
	targetProxy := pyrotest.NewProxy(t, target, pyro.WithTLSConfig(w.clientConfig(t, w.alice)))
	if got, err := pyro.CallT[string](ctx, caller, "ask", targetProxy); err != nil || got != "relay-daemon" {
		t.Errorf("relayed whoami = %q, %v; want relay-daemon", got, err)
	}
	self, err := d.ProxyFor("tls.who")
	if err != nil {
		t.Fatal(err)
	}
	defer self.Close()
	if got, err := pyro.CallT[string](ctx, self, "whoami"); err != nil || got != "relay-daemon" {
		t.Errorf("ProxyFor's whoami = %q, %v; want relay-daemon", got, err)
	}
}
