// Package tlstest makes certificates for TLS tests at run time: certificate authorities and
// the server and client certificates they issue, as PEM files in a test's temporary
// directory. Nothing it makes is meant to outlive the test.
package tlstest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// CA is a certificate authority; CertFile is its certificate as PEM (what SSL_CACERTS names).
type CA struct {
	Cert     *x509.Certificate // the CA's certificate
	Key      crypto.Signer     // its private key, which signs what Issue makes
	CertFile string            // Cert as a PEM file
	dir      string
}

// Pair is an issued certificate's PEM files and its subject's common name.
type Pair struct {
	CertFile, KeyFile string // PEM: the certificate, its PKCS#8 key
	CommonName        string // the subject's CN
}

// nextSerial returns a random serial number, unique in practice, as CAs do.
func nextSerial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		panic(err)
	}
	return n.Add(n, big.NewInt(1))
}

// NewCA makes a self-signed CA named name, its certificate written to dir/name.pem.
func NewCA(t testing.TB, dir, name string) *CA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          nextSerial(),
		Subject:               pkix.Name{CommonName: name, Organization: []string{"pyro for Go tests"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	ca := &CA{Cert: cert, Key: key, CertFile: filepath.Join(dir, name+".pem"), dir: dir}
	writePEM(t, ca.CertFile, "CERTIFICATE", der)
	return ca
}

// Issue makes a certificate for commonName, valid for TLS servers and clients alike on
// localhost, 127.0.0.1 and ::1, written to dir/commonName.crt and .key (PKCS#8, unencrypted).
func (ca *CA) Issue(t testing.TB, commonName string) Pair {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: nextSerial(),
		Subject:      pkix.Name{CommonName: commonName, Organization: []string{"pyro for Go tests"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	p := Pair{CertFile: filepath.Join(ca.dir, commonName+".crt"), KeyFile: filepath.Join(ca.dir, commonName+".key"), CommonName: commonName}
	writePEM(t, p.CertFile, "CERTIFICATE", der)
	writePEM(t, p.KeyFile, "PRIVATE KEY", keyDER)
	return p
}

// EncryptKey writes the pair's key encrypted with password by the openssl command, as a
// user would make one: PKCS#8 with PBES2 (legacy false) or OpenSSL's traditional
// "Proc-Type: 4,ENCRYPTED" form (legacy true). It returns the new file's path.
func EncryptKey(t testing.TB, p Pair, password string, legacy bool) string {
	t.Helper()
	out := p.KeyFile + ".enc"
	args := []string{"pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", p.KeyFile, "-out", out, "-passout", "pass:" + password}
	if legacy {
		out = p.KeyFile + ".legacy"
		args = []string{"ec", "-aes256", "-in", p.KeyFile, "-out", out, "-passout", "pass:" + password} // traditional by default
	}
	if b, err := exec.Command("openssl", args...).CombinedOutput(); err != nil {
		t.Fatalf("openssl %v: %v\n%s", args, err, b)
	}
	return out
}

func writePEM(t testing.TB, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// EncryptKeyPKCS8 writes the pair's key as openssl pkcs8 -topk8 -v2 cipher -v2prf prf
// encrypts it with password (cipher such as "des3" or "aes-128-cbc", prf such as
// "hmacWithSHA1"), and returns the new file's path.
func EncryptKeyPKCS8(t testing.TB, p Pair, password, cipher, prf string) string {
	t.Helper()
	out := p.KeyFile + "." + cipher + "." + prf
	args := []string{"pkcs8", "-topk8", "-v2", cipher, "-v2prf", prf, "-in", p.KeyFile, "-out", out, "-passout", "pass:" + password}
	if b, err := exec.Command("openssl", args...).CombinedOutput(); err != nil {
		t.Fatalf("openssl %v: %v\n%s", args, err, b)
	}
	return out
}
