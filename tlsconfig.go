package pyro

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// TLSFiles names the PEM files of one side of a TLS setup, as Pyro's SSL_* settings do
// (SSL_SERVERCERT, SSL_SERVERKEY, SSL_SERVERKEYPASSWD, SSL_CACERTS, SSL_REQUIRECLIENTCERT on a
// server; SSL_CLIENTCERT, SSL_CLIENTKEY, SSL_CLIENTKEYPASSWD, SSL_CACERTS on a client).
// ServerConfig and ClientConfig turn them into a *tls.Config the way Pyro4's and Pyro5's
// socketutil build their ssl contexts.
type TLSFiles struct {
	// Cert is a PEM file with the certificate, then any intermediates. It may hold the
	// private key too (Key empty), as Python's load_cert_chain allows.
	Cert string
	// Key is the PEM file of the private key (Cert when empty): PKCS#8, PKCS#1 or SEC 1.
	Key string
	// KeyPassword decrypts an encrypted key: PKCS#8 "ENCRYPTED PRIVATE KEY" with PBES2
	// (PBKDF2 with HMAC-SHA1/224/256/384/512, then AES-128/192/256-CBC or DES-EDE3-CBC: what
	// OpenSSL writes), or a legacy "Proc-Type: 4,ENCRYPTED" PEM block. PKCS#12 files and
	// PKCS#8 keys encrypted with PBES1 or scrypt are not supported.
	KeyPassword string
	// CACerts is a PEM file of CA certificates to trust, or a directory whose files are
	// read as such (Python's capath wants OpenSSL's hashed names; any file name works here).
	CACerts string
	// RequireClientCert makes a server ask every client for a certificate and refuse the
	// connection without one that CACerts (or, without CACerts, the system's roots) vouch
	// for: mutual TLS, Pyro's SSL_REQUIRECLIENTCERT. Unused by ClientConfig.
	RequireClientCert bool
}

// ServerConfig returns the configuration of a daemon (DaemonConfig.TLSConfig): Cert and Key
// as its certificate and, with RequireClientCert, client certificates verified against
// CACerts. Without RequireClientCert no client certificate is asked for, as Pyro sets
// CERT_NONE. Unlike Python's default context, client certificates are checked against
// CACerts only when it is given, not against the system's roots as well: a daemon that
// requires them wants its own CA's.
func (f TLSFiles) ServerConfig() (*tls.Config, error) {
	if f.Cert == "" {
		return nil, errors.New("pyro: TLS server: no certificate file (SSL_SERVERCERT)")
	}
	cert, err := f.keyPair()
	if err != nil {
		return nil, fmt.Errorf("pyro: TLS server: %w", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if f.RequireClientCert {
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
		if f.CACerts != "" {
			if cfg.ClientCAs, err = loadCAs(nil, f.CACerts); err != nil {
				return nil, fmt.Errorf("pyro: TLS server: %w", err)
			}
		}
	}
	return cfg, nil
}

// ClientConfig returns the configuration of a proxy (ProxyConfig.TLSConfig): the daemon's
// certificate must be valid for the URI's host and issued by a CA of the system's roots or
// of CACerts (Python's create_default_context, plus load_verify_locations); Cert and Key, when
// given, are the client's certificate for daemons that require one.
func (f TLSFiles) ClientConfig() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if f.Cert != "" {
		cert, err := f.keyPair()
		if err != nil {
			return nil, fmt.Errorf("pyro: TLS client: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	if f.CACerts != "" {
		roots, err := x509.SystemCertPool()
		if err != nil {
			roots = nil // none on this system: CACerts alone
		}
		if cfg.RootCAs, err = loadCAs(roots, f.CACerts); err != nil {
			return nil, fmt.Errorf("pyro: TLS client: %w", err)
		}
	}
	return cfg, nil
}

// keyPair reads the certificate chain and its key, decrypting the key with KeyPassword.
func (f TLSFiles) keyPair() (tls.Certificate, error) {
	certPEM, err := os.ReadFile(f.Cert)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("certificate: %w", err)
	}
	keyFile := f.Key
	if keyFile == "" {
		keyFile = f.Cert
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("private key: %w", err)
	}
	keyPEM, err = decryptKeyPEM(keyPEM, f.KeyPassword)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("private key %s: %w", keyFile, err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("%s, %s: %w", f.Cert, keyFile, err)
	}
	return cert, nil
}

// loadCAs adds the certificates of a PEM file, or of every file in a directory, to pool
// (a new one when nil).
func loadCAs(pool *x509.CertPool, path string) (*x509.CertPool, error) {
	if pool == nil {
		pool = x509.NewCertPool()
	}
	files := []string{path}
	if st, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("CA certificates: %w", err)
	} else if st.IsDir() {
		entries, err := os.ReadDir(path)
		if err != nil {
			return nil, fmt.Errorf("CA certificates: %w", err)
		}
		files = files[:0]
		for _, e := range entries {
			if e.Type().IsRegular() {
				files = append(files, filepath.Join(path, e.Name()))
			}
		}
	}
	found := false
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("CA certificates: %w", err)
		}
		if pool.AppendCertsFromPEM(data) {
			found = true
		}
	}
	if !found {
		return nil, fmt.Errorf("CA certificates: no PEM certificate in %s", path)
	}
	return pool, nil
}

// decryptKeyPEM returns the PEM text with its private key block in the clear: an encrypted
// one decrypted with password, other blocks unchanged (the key may share a file with the
// certificates).
func decryptKeyPEM(data []byte, password string) ([]byte, error) {
	var out []byte
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		switch {
		case b.Type == "ENCRYPTED PRIVATE KEY":
			if password == "" {
				return nil, errNoKeyPassword
			}
			der, err := decryptPKCS8(b.Bytes, []byte(password))
			if err != nil {
				return nil, err
			}
			b = &pem.Block{Type: "PRIVATE KEY", Bytes: der}
		case b.Headers["Proc-Type"] == "4,ENCRYPTED":
			if password == "" {
				return nil, errNoKeyPassword
			}
			der, err := decryptLegacyPEM(b, []byte(password))
			if err != nil {
				return nil, err
			}
			b = &pem.Block{Type: b.Type, Bytes: der}
		}
		out = append(out, pem.EncodeToMemory(b)...)
	}
	if out == nil {
		return data, nil // not PEM: let X509KeyPair say so
	}
	return out, nil
}

var errNoKeyPassword = errors.New("the key is encrypted and no password is set (SSL_SERVERKEYPASSWD or SSL_CLIENTKEYPASSWD)")

// ErrKeyPassword means an encrypted private key did not decrypt with the password given.
var ErrKeyPassword = errors.New("pyro: wrong password for the private key")
