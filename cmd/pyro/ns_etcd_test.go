package main

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/internal/etcdtest"
	"github.com/gopyro/pyro/internal/tlstest"
	"github.com/gopyro/pyro/naming"
)

// TestNSOnEtcd: two `pyro ns -s etcd:...` processes serve one registry; `pyro nsc` prints the
// same through either.
func TestNSOnEtcd(t *testing.T) {
	c := etcdtest.StartCluster(t, 1)
	spec := "etcd:" + strings.Join(c.Endpoints(), ",") + "/cmdtest"
	var ns [2]pyro.URI
	for i := range ns {
		args := []string{"ns", "-n", "127.0.0.1", "-p", "0", "-x", "-s", spec}
		if i == 1 {
			args = append(args, "--metrics", "127.0.0.1:0") // its store wrapped by the metrics
		}
		s, _ := startPyro(t, "URI = ", args...)
		u, err := pyro.ParseURI(s)
		if err != nil {
			t.Fatal(err)
		}
		ns[i] = u
	}
	nsc := func(u pyro.URI, args ...string) string {
		t.Helper()
		out, errOut, code := runPyro(append([]string{"nsc", "-n", u.Host, "-p", strconv.Itoa(u.Port)}, args...)...)
		if code != 0 {
			t.Fatalf("pyro nsc %v: exit %d\n%s%s", args, code, out, errOut)
		}
		return out
	}
	nsc(ns[0], "register", "cmd.echo", "PYRO:echo@127.0.0.1:9999")
	nsc(ns[1], "setmeta", "cmd.echo", "blue", "green")
	deadline := time.Now().Add(10 * time.Second)
	for {
		a, b := nsc(ns[0], "list"), nsc(ns[1], "list")
		if a == b && strings.Contains(a, "cmd.echo --> PYRO:echo@127.0.0.1:9999") && strings.Contains(a, "green") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pyro nsc list differs:\n%s\n---\n%s", a, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Leases reach etcd through the metrics' wrapper of the store too.
	ctx := context.Background()
	c1, err := naming.NewClientURI(ns[1])
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	lease, err := c1.GrantLease(ctx, 5*time.Second)
	if err != nil {
		t.Fatalf("lease through the name server with metrics on: %v", err)
	}
	if err := c1.Register(ctx, "cmd.leased", pyro.URI{Protocol: pyro.ProtocolPyro, Object: "x", Host: "127.0.0.1", Port: 9}, naming.RegisterOptions{Lease: lease}); err != nil {
		t.Fatal(err)
	}
	if err := lease.Revoke(ctx); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); strings.Contains(nsc(ns[0], "list"), "cmd.leased"); {
		if time.Now().After(deadline) {
			t.Fatal("cmd.leased still listed after its lease was revoked")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestNSEtcdBadInput: a malformed spec, TLS flags without etcd, and an etcd that is not
// there each end `pyro ns` with a clear error.
func TestNSEtcdBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-s", "etcd:"}, "invalid storage spec"},
		{[]string{"-s", "etcd:a:1,,b:2"}, "empty endpoint"},
		{[]string{"--etcd-cacert", "/nonexistent"}, "for etcd storage"},
		{[]string{"-s", "etcd:127.0.0.1:1", "--etcd-cert", "c.pem"}, "--etcd-cert and --etcd-key go together"},
		{[]string{"-s", "etcd:127.0.0.1:1", "--etcd-cacert", "/nonexistent"}, "--etcd-cacert"},
		{[]string{"-s", "etcd:127.0.0.1:1"}, "does not answer"},
	} {
		start := time.Now()
		_, errOut, code := runPyro(append([]string{"ns", "-n", "127.0.0.1", "-p", "0", "-x"}, tc.args...)...)
		if code != 1 || !strings.Contains(errOut, tc.want) {
			t.Errorf("pyro ns %v: exit %d, stderr %q, want %q", tc.args, code, errOut, tc.want)
		}
		if d := time.Since(start); d > 15*time.Second {
			t.Errorf("pyro ns %v took %s", tc.args, d)
		}
	}
}

// TestNSEtcdAuth: with etcd's auth on, `pyro ns` logs in with --etcd-user or ETCDCTL_USER,
// and a wrong password ends it with etcd's error.
func TestNSEtcdAuth(t *testing.T) {
	c := etcdtest.StartCluster(t, 1)
	if err := c.EnableAuth("root", "s3cret"); err != nil {
		t.Fatal(err)
	}
	spec := "etcd:" + c.Endpoints()[0] + "/authtest"
	_, errOut, code := runPyro("ns", "-n", "127.0.0.1", "-p", "0", "-x", "-s", spec, "--etcd-user", "root:wrong")
	if code != 1 || !strings.Contains(errOut, "authentication failed") {
		t.Errorf("wrong password: exit %d, stderr %q", code, errOut)
	}
	s, _ := startPyro(t, "URI = ", "ns", "-n", "127.0.0.1", "-p", "0", "-x", "-s", spec, "--etcd-user", "root", "--etcd-password", "s3cret")
	u, err := pyro.ParseURI(s)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("ETCDCTL_USER", "root:s3cret")
	s2, _ := startPyro(t, "URI = ", "ns", "-n", "127.0.0.1", "-p", "0", "-x", "-s", spec)
	u2, err := pyro.ParseURI(s2)
	if err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runPyro("nsc", "-n", u.Host, "-p", strconv.Itoa(u.Port), "register", "auth.x", "PYRO:x@127.0.0.1:1")
	if code != 0 {
		t.Fatalf("register through an authenticated name server: %d\n%s%s", code, out, errOut)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, _, _ := runPyro("nsc", "-n", u2.Host, "-p", strconv.Itoa(u2.Port), "lookup", "auth.x")
		if strings.Contains(out, "PYRO:x@127.0.0.1:1") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("lookup through the ETCDCTL_USER name server: %s", out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestNSEtcdTLS: against an etcd that requires client certificates, `pyro ns` connects with
// --etcd-cacert/--etcd-cert/--etcd-key (or ETCDCTL_CACERT, ...) and not without them.
func TestNSEtcdTLS(t *testing.T) {
	ca := tlstest.NewCA(t, t.TempDir(), "etcd-ca")
	server, client := ca.Issue(t, "etcd-server"), ca.Issue(t, "pyro-ns")
	certs := struct{ CA, ClientCert, ClientKey string }{ca.CertFile, client.CertFile, client.KeyFile}
	c := etcdtest.StartClusterTLS(t, server.CertFile, server.KeyFile, ca.CertFile)
	spec := "etcd:" + c.Endpoints()[0] + "/tlstest"
	if _, errOut, code := runPyro("ns", "-n", "127.0.0.1", "-p", "0", "-x", "-s", spec, "--etcd-cacert", certs.CA); code != 1 || !strings.Contains(errOut, "does not answer") {
		t.Errorf("without a client certificate: exit %d, stderr %q", code, errOut)
	}
	s, _ := startPyro(t, "URI = ", "ns", "-n", "127.0.0.1", "-p", "0", "-x", "-s", spec,
		"--etcd-cacert", certs.CA, "--etcd-cert", certs.ClientCert, "--etcd-key", certs.ClientKey)
	u, err := pyro.ParseURI(s)
	if err != nil {
		t.Fatal(err)
	}
	if out, errOut, code := runPyro("nsc", "-n", u.Host, "-p", strconv.Itoa(u.Port), "register", "tls.x", "PYRO:x@127.0.0.1:1"); code != 0 {
		t.Fatalf("register through a TLS name server: %d\n%s%s", code, out, errOut)
	}
	t.Setenv("ETCDCTL_CACERT", certs.CA)
	t.Setenv("ETCDCTL_CERT", certs.ClientCert)
	t.Setenv("ETCDCTL_KEY", certs.ClientKey)
	s2, _ := startPyro(t, "URI = ", "ns", "-n", "127.0.0.1", "-p", "0", "-x", "-s", spec)
	u2, err := pyro.ParseURI(s2)
	if err != nil {
		t.Fatal(err)
	}
	if out, _, _ := runPyro("nsc", "-n", u2.Host, "-p", strconv.Itoa(u2.Port), "lookup", "tls.x"); !strings.Contains(out, "PYRO:x@127.0.0.1:1") {
		t.Errorf("lookup through the ETCDCTL_* name server: %s", out)
	}
}
