package nameserver_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/internal/etcdtest"
	"github.com/gopyro/pyro/naming"
	"github.com/gopyro/pyro/naming/nameserver"
	"github.com/gopyro/pyro/naming/store/etcdstore"
)

// The etcd storage in the same benchmarks: a 1-member and a 3-member in-process etcd
// (every registration is committed by a quorum, each member syncing its log), and two name
// servers on the 3-member one, the benchmark's client using the first.
func init() {
	nsKinds = append(nsKinds,
		nsKind{"go-etcd-1member-1ns", func(b *testing.B) pyro.URI { return startEtcdNS(b, 1, 1) }},
		nsKind{"go-etcd-3members-2ns", func(b *testing.B) pyro.URI { return startEtcdNS(b, 3, 2) }},
	)
}

// startEtcdNS starts an etcd cluster of members and nss name servers on it, and returns the
// first name server's URI.
func startEtcdNS(tb testing.TB, members, nss int) pyro.URI {
	tb.Helper()
	c := etcdtest.StartCluster(tb, members)
	var first pyro.URI
	for i := range nss {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		st, err := etcdstore.Open(ctx, etcdstore.Config{Endpoints: c.Endpoints()})
		cancel()
		if err != nil {
			tb.Fatal(err)
		}
		s := startNS(tb, nameserver.Config{Store: st, NoBroadcast: true})
		if i == 0 {
			first = s.URI()
		}
	}
	return first
}

// TestEtcdStorageThroughTheNameServer: a name server on etcd storage, started by its -s
// syntax, serves the Go client, leases included; a memory name server refuses leases clearly.
func TestEtcdStorageThroughTheNameServer(t *testing.T) {
	c := etcdtest.StartCluster(t, 1)
	s := startNS(t, nameserver.Config{Storage: "etcd:" + c.Endpoints()[0] + "/nstest", NoBroadcast: true})
	cl := client(t, s.URI())
	ctx := context.Background()
	lease, err := cl.GrantLease(ctx, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	target := pyro.URI{Protocol: "PYRO", Object: "x", Host: "127.0.0.1", Port: 1}
	if err := cl.Register(ctx, "with.lease", target, naming.RegisterOptions{Lease: lease}); err != nil {
		t.Fatal(err)
	}
	if ttl, err := lease.Renew(ctx); err != nil || ttl <= 0 || ttl > 5*time.Second {
		t.Fatalf("renew: %v, %v", ttl, err)
	}
	if err := lease.Revoke(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Lookup(ctx, "with.lease"); err == nil {
		t.Fatal("name of a revoked lease still there")
	}
	if _, err := lease.Renew(ctx); !errors.Is(err, naming.ErrLeaseLost) {
		t.Fatalf("renewing a revoked lease: %v", err)
	}
	if u, err := cl.Lookup(ctx, pyro.NameServerObjectID); err != nil || u != s.URI() {
		t.Fatalf("the name server's own entry: %v, %v", u, err)
	}

	mem := client(t, startNS(t, nameserver.Config{NoBroadcast: true}).URI())
	if _, err := mem.GrantLease(ctx, time.Second); !errors.Is(err, pyro.ErrNaming) || !strings.Contains(err.Error(), "no leases") {
		t.Fatalf("lease from a memory name server: %v", err)
	}
	if _, err := nameserver.OpenStorage("etcd:"); err == nil {
		t.Fatal("etcd: without endpoints opened")
	}
}

// TestLeaseBadInput: wrong lease arguments raise Python's exceptions, never a crash.
func TestLeaseBadInput(t *testing.T) {
	c := etcdtest.StartCluster(t, 1)
	s := startNS(t, nameserver.Config{Storage: "etcd:" + c.Endpoints()[0] + "/badlease", NoBroadcast: true})
	p := client(t, s.URI()).Proxy()
	ctx := context.Background()
	for _, tc := range []struct {
		method string
		args   []any
		class  string
	}{
		{"lease_grant", []any{"ten"}, "builtins.TypeError"},
		{"lease_grant", []any{-1}, "builtins.ValueError"},
		{"lease_grant", []any{0}, "builtins.ValueError"},
		{"lease_grant", []any{1e12}, "builtins.ValueError"},
		{"lease_keepalive", []any{42}, "Pyro4.errors.NamingError"},
		{"lease_revoke", []any{42}, "Pyro4.errors.NamingError"},
		{"register_leased", []any{"n", "PYRO:x@h:1", 42}, "Pyro4.errors.NamingError"},
		{"register_leased", []any{"n", "not a uri", 42}, "Pyro4.errors.PyroError"},
		{"register_leased", []any{"bad name", "PYRO:x@h:1", 42}, "Pyro4.errors.NamingError"},
	} {
		err := p.Call(ctx, tc.method, nil, tc.args...)
		var re *pyro.RemoteError
		if !errors.As(err, &re) || re.Class != tc.class {
			t.Errorf("%s%v: %v, want %s", tc.method, tc.args, err, tc.class)
		}
	}
}

// TestAutocleanLeavesLeasedNames: on etcd storage autoclean removes an unreachable plain
// registration, as Pyro4's does, and leaves a leased one to its lease.
func TestAutocleanLeavesLeasedNames(t *testing.T) {
	c := etcdtest.StartCluster(t, 1)
	s := startNS(t, nameserver.Config{Storage: "etcd:" + c.Endpoints()[0] + "/autoclean", NoBroadcast: true,
		AutoClean: 3 * time.Second, AutoCleanAfter: 100 * time.Millisecond})
	cl := client(t, s.URI())
	ctx := context.Background()
	dead := pyro.URI{Protocol: "PYRO", Object: "x", Host: "127.0.0.1", Port: 1}
	lease, err := cl.GrantLease(ctx, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.Register(ctx, "leased.dead", dead, naming.RegisterOptions{Lease: lease}); err != nil {
		t.Fatal(err)
	}
	if err := cl.Register(ctx, "plain.dead", dead, naming.RegisterOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := cl.Lookup(ctx, "plain.dead"); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("autoclean did not remove the unreachable plain registration in 30s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, err := cl.Lookup(ctx, "leased.dead"); err != nil {
		t.Errorf("autoclean removed a leased registration: %v", err)
	}
}
