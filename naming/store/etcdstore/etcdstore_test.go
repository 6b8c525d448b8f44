package etcdstore_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gopyro/pyro/internal/etcdtest"
	"github.com/gopyro/pyro/naming/store"
	"github.com/gopyro/pyro/naming/store/etcdstore"
)

func open(t *testing.T, c etcdstore.Config) *etcdstore.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := etcdstore.Open(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// eventually polls f until it returns nil or the deadline passes.
func eventually(t *testing.T, within time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %v", within, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func names(es []store.Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Name)
	}
	return out
}

// exercise runs the store's semantics over two stores on one etcd: what one writes the other
// reads, in Pyro4's order, with Pyro4's errors.
func exercise(t *testing.T, a, b *etcdstore.Store) {
	ctx := context.Background()
	for _, n := range []string{"x.b", "x.a", "y.c"} {
		if err := a.Register(ctx, n, "PYRO:"+n+"@h:1", []string{"t2", "t1", "t1"}, false); err != nil {
			t.Fatal(err)
		}
	}
	// The writer reads its own writes at once.
	if e, err := a.Lookup(ctx, "x.a"); err != nil || e.URI != "PYRO:x.a@h:1" || !slices.Equal(e.Metadata, []string{"t1", "t2"}) {
		t.Fatalf("lookup through the writer: %+v, %v", e, err)
	}
	if err := b.Register(ctx, "x.a", "PYRO:other@h:2", nil, true); !errors.Is(err, store.ErrExists) {
		t.Fatalf("safe register of a taken name through the other: %v", err)
	}
	eventually(t, 5*time.Second, func() error {
		l, err := b.List(ctx, store.Filter{Prefix: "x."})
		if err != nil {
			return err
		}
		if got := names(l); !slices.Equal(got, []string{"x.b", "x.a"}) {
			return fmt.Errorf("prefix list through the other store: %v", got)
		}
		return nil
	})
	// Re-registering keeps the place, as Pyro4's memory storage does; new metadata too.
	if err := b.Register(ctx, "x.b", "PYRO:x.b@h:9", nil, false); err != nil {
		t.Fatal(err)
	}
	if err := b.SetMetadata(ctx, "y.c", []string{"blue"}); err != nil {
		t.Fatal(err)
	}
	if err := b.SetMetadata(ctx, "nope", nil); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("set metadata of an unknown name: %v", err)
	}
	eventually(t, 5*time.Second, func() error {
		l, err := a.List(ctx, store.Filter{})
		if err != nil {
			return err
		}
		if got := names(l); !slices.Equal(got, []string{"x.b", "x.a", "y.c"}) || l[0].URI != "PYRO:x.b@h:9" || !slices.Equal(l[2].Metadata, []string{"blue"}) {
			return fmt.Errorf("list through the first store: %+v", l)
		}
		return nil
	})
	if n, err := a.RemoveMatching(ctx, store.Filter{Regex: `x\.`}, "x.a"); err != nil || n != 1 {
		t.Fatalf("remove matching: %d, %v", n, err)
	}
	if ok, err := a.Remove(ctx, "y.c"); err != nil || !ok {
		t.Fatalf("remove: %v, %v", ok, err)
	}
	if ok, err := a.Remove(ctx, "y.c"); err != nil || ok {
		t.Fatalf("second remove: %v, %v", ok, err)
	}
	eventually(t, 5*time.Second, func() error {
		n, err := b.Count(ctx)
		if err != nil || n != 1 {
			return fmt.Errorf("count through the other store: %d, %v", n, err)
		}
		if _, err := b.Lookup(ctx, "y.c"); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("removed name still found: %v", err)
		}
		return nil
	})
}

func TestTwoStoresOnACluster(t *testing.T) {
	c := etcdtest.StartCluster(t, 3)
	cfg := etcdstore.Config{Endpoints: c.Endpoints(), Prefix: "t1"}
	exercise(t, open(t, cfg), open(t, cfg))
}

// TestEtcd34 runs the same against Debian's etcd 3.4 server: operators run old servers too.
func TestEtcd34(t *testing.T) {
	ep := etcdtest.StartDebian(t)
	cfg := etcdstore.Config{Endpoints: []string{ep}}
	a, b := open(t, cfg), open(t, cfg)
	exercise(t, a, b)
	testLeases(t, a, b)
	// Reads stay available: progress notifications keep proving the copy current.
	time.Sleep(2 * etcdstore.DefaultStaleAfter)
	if _, err := b.Count(context.Background()); err != nil {
		t.Fatalf("a quiet store after 2×StaleAfter: %v", err)
	}
}

func testLeases(t *testing.T, a, b *etcdstore.Store) {
	ctx := context.Background()
	id, ttl, err := a.GrantLease(ctx, 1500*time.Millisecond)
	if err != nil || ttl != 2*time.Second {
		t.Fatalf("grant: %v, %v", ttl, err)
	}
	if err := a.RegisterLeased(ctx, "leased", "PYRO:l@h:1", nil, false, id); err != nil {
		t.Fatal(err)
	}
	if err := a.Register(ctx, "plain", "PYRO:l@h:1", nil, false); err != nil {
		t.Fatal(err)
	}
	if !a.Leased("leased") || a.Leased("plain") {
		t.Errorf("Leased: leased %v, plain %v", a.Leased("leased"), a.Leased("plain"))
	}
	if _, err := b.KeepAliveLease(ctx, id); err != nil {
		t.Fatalf("keepalive through the other store: %v", err)
	}
	eventually(t, 10*time.Second, func() error {
		if _, err := b.Lookup(ctx, "leased"); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("leased name not gone yet: %v", err)
		}
		return nil
	})
	if _, err := a.KeepAliveLease(ctx, id); !errors.Is(err, store.ErrNoLease) {
		t.Fatalf("keepalive of an expired lease: %v", err)
	}
	if err := a.RegisterLeased(ctx, "leased", "PYRO:l@h:1", nil, false, id); !errors.Is(err, store.ErrNoLease) {
		t.Fatalf("register with an expired lease: %v", err)
	}
	id2, _, _ := a.GrantLease(ctx, 30*time.Second)
	b.RegisterLeased(ctx, "leased2", "PYRO:l@h:1", nil, false, id2)
	if err := b.RevokeLease(ctx, id2); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Lookup(ctx, "leased2"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("name of a revoked lease, through the revoker: %v", err)
	}
}

func TestLeases(t *testing.T) {
	c := etcdtest.StartCluster(t, 1)
	cfg := etcdstore.Config{Endpoints: c.Endpoints()}
	testLeases(t, open(t, cfg), open(t, cfg))
}

// TestOwned: the owned entry of a closed store is replaced by a live store's.
func TestOwned(t *testing.T) {
	c := etcdtest.StartCluster(t, 1)
	cfg := etcdstore.Config{Endpoints: c.Endpoints()}
	a, b := open(t, cfg), open(t, cfg)
	ctx := context.Background()
	if err := b.RegisterOwned(ctx, "Pyro.NameServer", "PYRO:Pyro.NameServer@b:1", nil); err != nil {
		t.Fatal(err)
	}
	if err := a.RegisterOwned(ctx, "Pyro.NameServer", "PYRO:Pyro.NameServer@a:1", nil); err != nil {
		t.Fatal(err)
	}
	a.Close()
	eventually(t, 10*time.Second, func() error {
		e, err := b.Lookup(ctx, "Pyro.NameServer")
		if err != nil || e.URI != "PYRO:Pyro.NameServer@b:1" {
			return fmt.Errorf("after the owner closed: %+v, %v", e, err)
		}
		return nil
	})
}

// TestQuorumLossAndReturn: one member down changes nothing; the whole cluster down makes
// reads fail with ErrStale within StaleAfter (not stale answers) and writes fail; when it
// returns, the store catches up by itself.
func TestQuorumLossAndReturn(t *testing.T) {
	c := etcdtest.StartCluster(t, 3)
	cfg := etcdstore.Config{Endpoints: c.Endpoints(), StaleAfter: time.Second, RequestTimeout: 2 * time.Second}
	a, b := open(t, cfg), open(t, cfg)
	ctx := context.Background()
	c.Stop(0)
	if err := a.Register(ctx, "one.down", "PYRO:x@h:1", nil, false); err != nil {
		t.Fatalf("register with one member down: %v", err)
	}
	eventually(t, 10*time.Second, func() error { _, err := b.Lookup(ctx, "one.down"); return err })
	c.StopAll()
	stopped := time.Now()
	eventually(t, 10*time.Second, func() error {
		if _, err := b.Lookup(ctx, "one.down"); !errors.Is(err, etcdstore.ErrStale) {
			return fmt.Errorf("lookup with etcd down: %v", err)
		}
		return nil
	})
	if d := time.Since(stopped); d > 3*time.Second {
		t.Errorf("reads went on %s after etcd stopped (bound 1s + a progress interval)", d)
	}
	if err := a.Register(ctx, "all.down", "PYRO:x@h:1", nil, false); err == nil {
		t.Fatal("register acknowledged with etcd down")
	}
	c.StartAll()
	eventually(t, 30*time.Second, func() error { return a.Register(ctx, "back", "PYRO:x@h:1", nil, false) })
	eventually(t, 30*time.Second, func() error { _, err := b.Lookup(ctx, "back"); return err })
}

func TestParseSpec(t *testing.T) {
	for _, tc := range []struct {
		spec   string
		eps    []string
		prefix string
		bad    bool
	}{
		{"127.0.0.1:2379", []string{"127.0.0.1:2379"}, "", false},
		{"127.0.0.1:2379,127.0.0.1:22379/pyro", []string{"127.0.0.1:2379", "127.0.0.1:22379"}, "pyro", false},
		{"https://e1:2379,https://e2:2379/apps/pyro/", []string{"https://e1:2379", "https://e2:2379"}, "apps/pyro", false},
		{"", nil, "", true},
		{"a:1,,b:2", nil, "", true},
		{"a:1/", nil, "", true},
		{"ftp://a:1", nil, "", true},
	} {
		c, err := etcdstore.ParseSpec(tc.spec)
		if tc.bad {
			if !errors.Is(err, etcdstore.ErrInvalidSpec) {
				t.Errorf("%q: %v, want ErrInvalidSpec", tc.spec, err)
			}
			continue
		}
		if err != nil || !slices.Equal(c.Endpoints, tc.eps) || c.Prefix != tc.prefix {
			t.Errorf("%q: %+v, %v", tc.spec, c, err)
		}
	}
}

func TestOpenUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	_, err := etcdstore.Open(ctx, etcdstore.Config{Endpoints: []string{"127.0.0.1:1"}, DialTimeout: time.Second})
	if err == nil || time.Since(start) > 4*time.Second {
		t.Fatalf("open of nothing: %v after %s", err, time.Since(start))
	}
}
