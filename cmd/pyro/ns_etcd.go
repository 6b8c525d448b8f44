package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/gopyro/pyro/naming/store"
	"github.com/gopyro/pyro/naming/store/etcdstore"
)

// etcdFlags are etcdctl's connection flags, for `pyro ns -s etcd:...`, named with an
// "etcd-" prefix (--key is the HMAC key's); each falls back on etcdctl's environment
// variable (ETCDCTL_CACERT, ETCDCTL_CERT, ETCDCTL_KEY, ETCDCTL_USER, ETCDCTL_PASSWORD), so an
// etcdctl setup works as is.
type etcdFlags struct {
	cacert, cert, key, user, password string
	insecureSkipVerify                bool
}

func addEtcdFlags(fs *flag.FlagSet) *etcdFlags {
	f := &etcdFlags{}
	fs.StringVar(&f.cacert, "etcd-cacert", "", "etcd storage: verify etcd's certificate with this CA bundle (env ETCDCTL_CACERT)")
	fs.StringVar(&f.cert, "etcd-cert", "", "etcd storage: client certificate file (env ETCDCTL_CERT)")
	fs.StringVar(&f.key, "etcd-key", "", "etcd storage: client key file (env ETCDCTL_KEY)")
	fs.StringVar(&f.user, "etcd-user", "", "etcd storage: username[:password] for etcd auth (env ETCDCTL_USER)")
	fs.StringVar(&f.password, "etcd-password", "", "etcd storage: password, if not in --user (env ETCDCTL_PASSWORD)")
	fs.BoolVar(&f.insecureSkipVerify, "etcd-insecure-skip-tls-verify", false, "etcd storage: do not verify etcd's certificate")
	return f
}

func envOr(v, name string) string {
	if v != "" {
		return v
	}
	return os.Getenv(name)
}

// open opens the etcd store that storage names, or returns nil for another storage.
func (f *etcdFlags) open(ctx context.Context, storage string) (store.Store, error) {
	spec, ok := strings.CutPrefix(storage, "etcd:")
	if !ok {
		if f.cacert != "" || f.cert != "" || f.key != "" || f.user != "" {
			return nil, errors.New("--etcd-* flags are for etcd storage (-s etcd:...)")
		}
		return nil, nil
	}
	c, err := etcdstore.ParseSpec(spec)
	if err != nil {
		return nil, err
	}
	cacert, cert, key := envOr(f.cacert, "ETCDCTL_CACERT"), envOr(f.cert, "ETCDCTL_CERT"), envOr(f.key, "ETCDCTL_KEY")
	if cacert != "" || cert != "" || f.insecureSkipVerify || strings.Contains(spec, "https://") {
		t := &tls.Config{InsecureSkipVerify: f.insecureSkipVerify}
		if cacert != "" {
			pem, err := os.ReadFile(cacert)
			if err != nil {
				return nil, fmt.Errorf("--etcd-cacert: %w", err)
			}
			t.RootCAs = x509.NewCertPool()
			if !t.RootCAs.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("--etcd-cacert %s: no PEM certificate in it", cacert)
			}
		}
		if (cert == "") != (key == "") {
			return nil, errors.New("--etcd-cert and --etcd-key go together")
		}
		if cert != "" {
			pair, err := tls.LoadX509KeyPair(cert, key)
			if err != nil {
				return nil, fmt.Errorf("--etcd-cert/--etcd-key: %w", err)
			}
			t.Certificates = []tls.Certificate{pair}
		}
		c.TLS = t
	}
	c.Username, c.Password, _ = strings.Cut(envOr(f.user, "ETCDCTL_USER"), ":")
	if c.Password == "" {
		c.Password = envOr(f.password, "ETCDCTL_PASSWORD")
	}
	return etcdstore.Open(ctx, c)
}
