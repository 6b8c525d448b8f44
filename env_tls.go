package pyro

import (
	"crypto/tls"
	"fmt"
	"os"
)

// The PYRO_SSL* variables, read as Pyro4 and Pyro5 read their SSL settings: nothing happens
// unless PYRO_SSL is true; a daemon then needs PYRO_SSL_SERVERCERT, and a proxy trusts the
// system's roots plus PYRO_SSL_CACERTS.

// tlsEnabled reads PYRO_SSL.
func (e *envReader) tlsEnabled() bool {
	var on bool
	e.boolean("SSL", &on)
	return on
}

// tlsServer sets a daemon's TLSConfig (and ClientTLSConfig, for the proxies it makes) from
// PYRO_SSL_SERVERCERT, _SERVERKEY, _SERVERKEYPASSWD, _CACERTS and _REQUIRECLIENTCERT.
func (e *envReader) tlsServer(c *DaemonConfig) {
	if !e.tlsEnabled() {
		return
	}
	f := TLSFiles{
		Cert:        os.Getenv("PYRO_SSL_SERVERCERT"),
		Key:         os.Getenv("PYRO_SSL_SERVERKEY"),
		KeyPassword: os.Getenv("PYRO_SSL_SERVERKEYPASSWD"),
		CACerts:     os.Getenv("PYRO_SSL_CACERTS"),
	}
	e.boolean("SSL_REQUIRECLIENTCERT", &f.RequireClientCert)
	if f.Cert == "" {
		e.errs = append(e.errs, "PYRO_SSL is set but PYRO_SSL_SERVERCERT is not: a TLS daemon needs a certificate")
	} else if cfg, err := f.ServerConfig(); err != nil {
		e.errs = append(e.errs, fmt.Sprintf("PYRO_SSL_SERVERCERT=%q: %v", f.Cert, err))
	} else {
		c.TLSConfig = cfg
	}
	c.ClientTLSConfig = e.clientTLS()
}

// tlsClient sets a proxy's TLSConfig from PYRO_SSL_CLIENTCERT, _CLIENTKEY, _CLIENTKEYPASSWD
// and _CACERTS when PYRO_SSL is true.
func (e *envReader) tlsClient(dst **tls.Config) {
	if e.tlsEnabled() {
		*dst = e.clientTLS()
	}
}

// clientTLS builds the client side's configuration from the variables (nil on an error,
// which it records).
func (e *envReader) clientTLS() *tls.Config {
	f := TLSFiles{
		Cert:        os.Getenv("PYRO_SSL_CLIENTCERT"),
		Key:         os.Getenv("PYRO_SSL_CLIENTKEY"),
		KeyPassword: os.Getenv("PYRO_SSL_CLIENTKEYPASSWD"),
		CACerts:     os.Getenv("PYRO_SSL_CACERTS"),
	}
	cfg, err := f.ClientConfig()
	if err != nil {
		e.errs = append(e.errs, fmt.Sprintf("PYRO_SSL_CLIENTCERT=%q, PYRO_SSL_CACERTS=%q: %v", f.Cert, f.CACerts, err))
		return nil
	}
	return cfg
}
