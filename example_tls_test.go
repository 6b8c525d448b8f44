package pyro_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"time"

	"github.com/gopyro/pyro"
)

// certGreeter greets the caller by its certificate's common name.
type certGreeter struct{}

func (certGreeter) Hello(ctx context.Context) string {
	ci, _ := pyro.ConnInfoFrom(ctx)
	if ci.TLS == nil || len(ci.TLS.PeerCertificates) == 0 {
		return "hello stranger"
	}
	return "hello " + ci.TLS.PeerCertificates[0].Subject.CommonName
}

// A daemon over mutual TLS: it requires a client certificate issued by its CA, and the method
// sees who called in ConnInfo.TLS. From PEM files, pyro.TLSFiles{...}.ServerConfig() and
// ClientConfig() build the same configurations, as Pyro's SSL_* settings do.
func ExampleDaemonConfig_tls() {
	ca, serverCert, aliceCert := exampleCertificates() // a CA, and what it issued to localhost and to "alice"
	trusted := x509.NewCertPool()
	trusted.AddCert(ca)

	d, err := pyro.NewDaemon(pyro.DaemonConfig{Host: "127.0.0.1", TLSConfig: &tls.Config{
		Certificates: []tls.Certificate{serverCert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    trusted,
	}})
	if err != nil {
		panic(err)
	}
	ln, err := d.Listen()
	if err != nil {
		panic(err)
	}
	uri, _ := d.Register(certGreeter{}, pyro.WithID("example.greeter"))
	go d.Serve(context.Background(), ln)
	defer d.Close()

	p, err := pyro.NewProxyURI(uri, pyro.WithTLSConfig(&tls.Config{
		Certificates: []tls.Certificate{aliceCert},
		RootCAs:      trusted, // the daemon's certificate is checked against the URI's host, 127.0.0.1
	}))
	if err != nil {
		panic(err)
	}
	defer p.Close()
	greeting, err := pyro.CallT[string](context.Background(), p, "hello")
	fmt.Println(greeting, err)

	stranger, _ := pyro.NewProxyURI(uri, pyro.WithTLSConfig(&tls.Config{RootCAs: trusted}))
	defer stranger.Close()
	_, err = pyro.CallT[string](context.Background(), stranger, "hello")
	fmt.Println(err != nil)
	// Output:
	// hello alice <nil>
	// true
}

// exampleCertificates makes, in memory, a CA and two certificates it issues: one for the
// server (localhost, 127.0.0.1) and one for the client "alice".
func exampleCertificates() (*x509.Certificate, tls.Certificate, tls.Certificate) {
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "example CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, _ := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	ca, _ := x509.ParseCertificate(caDER)
	issue := func(serial int64, name string) tls.Certificate {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
			DNSNames:    []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
		der, _ := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey)
		return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	}
	return ca, issue(2, "localhost"), issue(3, "alice")
}
