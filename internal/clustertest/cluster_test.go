package clustertest

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/internal/etcdtest"
	"github.com/gopyro/pyro/internal/pytest"
	"github.com/gopyro/pyro/naming"
	"github.com/gopyro/pyro/pyrotest"
)

// cluster is a 3-member etcd and two name server processes on it.
type cluster struct {
	etcd   *etcdtest.Cluster
	ns     [2]pyro.URI
	nsProc [2]*exec.Cmd
}

func startCluster(t *testing.T) *cluster {
	pytest.Require(t)
	c := &cluster{etcd: etcdtest.StartCluster(t, 3)}
	spec := strings.Join(c.etcd.Endpoints(), ",") + "/clustertest"
	for i := range c.ns {
		c.nsProc[i] = child("ns", spec)
		u, err := pyro.ParseURI(startChild(t, c.nsProc[i], "URI = "))
		if err != nil {
			t.Fatal(err)
		}
		c.ns[i] = u
	}
	return c
}

// both is the address list of the two name servers, for LocateNS and PYRO_NS_HOST.
func (c *cluster) both() string {
	return c.ns[0].Address() + "," + c.ns[1].Address()
}

// python runs a Pyro4 script with the name server's host and port as argv[1], argv[2].
func python(t *testing.T, ns pyro.URI, script string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := pytest.Command(ctx, append([]string{"-c", script, ns.Host, strconv.Itoa(ns.Port)}, args...)...)
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("python: %v\n%s%s", err, out, stderr)
	}
	return string(out)
}

const pyPrelude = `
import sys, Pyro4
Pyro4.config.SERIALIZER = "serpent"
ns = Pyro4.Proxy("PYRO:Pyro.NameServer@%s:%s" % (sys.argv[1], sys.argv[2]))
`

// eventually polls f until it returns nil, failing the test after within.
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
		time.Sleep(50 * time.Millisecond)
	}
}

// TestNameServersOnEtcd tells the story of issue 12 on one cluster, step by step.
func TestNameServersOnEtcd(t *testing.T) {
	c := startCluster(t)
	ctx := context.Background()

	t.Run("PythonRegistersThroughOneLooksUpThroughTheOther", func(t *testing.T) {
		python(t, c.ns[0], pyPrelude+`
ns.register("py.echo", "PYRO:echo@127.0.0.1:9999", metadata={"blue", "py"})
ns.register("py.other", "PYRO:other@127.0.0.1:9999")
print("ok")`)
		// The other name server may lag by the watch's delay; Python sees it within the bound.
		out := python(t, c.ns[1], pyPrelude+`
import time
deadline = time.time() + 5
while True:
    try:
        uri, meta = ns.lookup("py.echo", return_metadata=True)
        break
    except Pyro4.errors.NamingError:
        if time.time() > deadline: raise
        time.sleep(0.05)
print(uri, sorted(meta))
print(sorted(ns.list(prefix="py.").keys()))
print(sorted(ns.list(metadata_all=["blue"]).keys()))
`)
		want := "PYRO:echo@127.0.0.1:9999 ['blue', 'py']\n['py.echo', 'py.other']\n['py.echo']\n"
		if out != want {
			t.Errorf("through the other name server:\n%s\nwant:\n%s", out, want)
		}
	})

	t.Run("NscSameOutputThroughEither", func(t *testing.T) {
		var outs [2]string
		for i, ns := range c.ns {
			cctx, cancel := context.WithTimeout(ctx, time.Minute)
			cmd := pytest.Command(cctx, "-m", "Pyro4.nsc", "-n", ns.Host, "-p", strconv.Itoa(ns.Port), "listmeta_all", "blue")
			out, err := cmd.Output()
			cancel()
			if err != nil {
				t.Fatalf("Pyro4.nsc: %v", err)
			}
			outs[i] = string(out)
		}
		if outs[0] != outs[1] || !strings.Contains(outs[0], "py.echo") {
			t.Errorf("nsc listmeta_all blue differs:\n%s\n---\n%s", outs[0], outs[1])
		}
		// Both name it the same live name server.
		for _, ns := range c.ns {
			cl, _ := naming.NewClientURI(ns)
			u, err := cl.Lookup(ctx, pyro.NameServerObjectID)
			cl.Close()
			if err != nil || (u != c.ns[0] && u != c.ns[1]) {
				t.Errorf("Pyro.NameServer through %s: %v, %v", ns, u, err)
			}
		}
	})

	t.Run("EightConcurrentProcesses", func(t *testing.T) {
		// Each process registers its own names and races for shared ones (safe=True):
		// every acknowledged name must be there once, every shared one won by one process.
		script := pyPrelude + `
me = sys.argv[3]
for i in range(40):
    ns.register("own.%s.%d" % (me, i), "PYRO:o@127.0.0.1:1")
    print("ack own.%s.%d" % (me, i))
    try:
        ns.register("shared.%d" % i, "PYRO:%s@127.0.0.1:1" % me, safe=True)
        print("won shared.%d" % i)
    except Pyro4.errors.NamingError:
        pass
`
		var mu sync.Mutex
		acked, won := map[string]int{}, map[string]int{}
		var wg sync.WaitGroup
		for p := range 8 {
			wg.Go(func() {
				for line := range strings.Lines(python(t, c.ns[p%2], script, strconv.Itoa(p))) {
					kind, name, _ := strings.Cut(strings.TrimSpace(line), " ")
					mu.Lock()
					if kind == "ack" {
						acked[name]++
					} else {
						won[name]++
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(acked) != 8*40 {
			t.Fatalf("%d names acknowledged, want %d", len(acked), 8*40)
		}
		for i := range 40 {
			if n := won["shared."+strconv.Itoa(i)]; n != 1 {
				t.Errorf("shared.%d won by %d processes", i, n)
			}
		}
		for _, ns := range c.ns {
			cl, _ := naming.NewClientURI(ns)
			eventually(t, 5*time.Second, func() error {
				l, err := cl.ListWithMetadata(ctx, naming.Filter{Regex: `(own|shared)\.`})
				if err != nil {
					return err
				}
				seen := map[string]int{}
				for _, e := range l {
					seen[e.Name]++
				}
				for name := range acked {
					if seen[name] != 1 {
						return fmt.Errorf("through %s: %s listed %d times", ns, name, seen[name])
					}
				}
				if len(l) != 8*40+40 {
					return fmt.Errorf("through %s: %d names listed, want %d", ns, len(l), 8*40+40)
				}
				return nil
			})
			cl.Close()
		}
	})

	t.Run("OneEtcdMemberDown", func(t *testing.T) {
		c.etcd.Stop(0)
		defer func() {
			if err := c.etcd.Start(0); err != nil {
				t.Fatal(err)
			}
		}()
		for i, ns := range c.ns {
			cl, _ := naming.NewClientURI(ns)
			name := "member.down." + strconv.Itoa(i)
			// The name server's etcd client may need a moment to leave the dead member.
			eventually(t, 15*time.Second, func() error {
				return cl.Register(ctx, name, pyro.URI{Protocol: "PYRO", Object: "x", Host: "h", Port: 1}, naming.RegisterOptions{})
			})
			other, _ := naming.NewClientURI(c.ns[1-i])
			eventually(t, 5*time.Second, func() error { _, err := other.Lookup(ctx, name); return err })
			cl.Close()
			other.Close()
		}
	})

	t.Run("LeasedNameOfKilledOwnerVanishes", func(t *testing.T) {
		const ttl = 2 * time.Second
		owner := child("leaser", c.both(), "leased.worker", strconv.Itoa(int(ttl.Seconds())))
		startChild(t, owner, "REGISTERED ")
		cl, _ := naming.NewClientURI(c.ns[1])
		defer cl.Close()
		// Alive, its keepalives hold the name beyond the TTL.
		time.Sleep(2 * ttl)
		if _, err := cl.Lookup(ctx, "leased.worker"); err != nil {
			t.Fatalf("leased name of a live owner after 2×TTL: %v", err)
		}
		owner.Process.Signal(syscall.SIGKILL)
		killed := time.Now()
		eventually(t, 3*ttl, func() error {
			if _, err := cl.Lookup(ctx, "leased.worker"); !errors.Is(err, pyro.ErrNaming) || !strings.Contains(err.Error(), "unknown name") {
				return fmt.Errorf("leased name after its owner was killed: %v", err)
			}
			return nil
		})
		// etcd expires a lease at most its TTL after the last renewal (checking every 0.5 s),
		// then commits the revocation and the watch delivers it: allow 2 s for those on a
		// loaded machine.
		d := time.Since(killed)
		t.Logf("leased name vanished %s after SIGKILL (TTL %s)", d.Round(time.Millisecond), ttl)
		if d > ttl+2*time.Second {
			t.Errorf("leased name vanished %s after SIGKILL, TTL %s", d, ttl)
		}
	})

	t.Run("OneNameServerKilledGoClientFailsOver", func(t *testing.T) {
		cl, err := naming.Locate(ctx, c.both(), 0)
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		if got := cl.Proxy().URI(); got != c.ns[0] {
			t.Fatalf("the client uses %s, want the first of the list %s", got, c.ns[0])
		}
		// A PYRONAME proxy finds the name server through PYRO_NS_HOST's list.
		nsHostProxy := func() *pyro.Proxy {
			p, _ := pyro.NewProxy("PYRONAME:py.echo", pyro.WithNameServer(c.both(), 0))
			return p
		}
		c.nsProc[0].Process.Signal(syscall.SIGKILL)
		c.nsProc[0].Wait()
		start := time.Now()
		for i := range 20 {
			name := "after.failover." + strconv.Itoa(i)
			if err := cl.Register(ctx, name, pyro.URI{Protocol: "PYRO", Object: "x", Host: "h", Port: 1}, naming.RegisterOptions{}); err != nil {
				t.Fatalf("register %d after the first name server died: %v", i, err)
			}
			if _, err := cl.Lookup(ctx, name); err != nil {
				t.Fatalf("lookup %d after the first name server died: %v", i, err)
			}
		}
		if d := time.Since(start); d > pyro.NSTryTimeout+2*time.Second {
			t.Errorf("failing over took %s", d)
		}
		if got := cl.Proxy().URI(); got != c.ns[1] {
			t.Errorf("after failover the client uses %s, want %s", got, c.ns[1])
		}
		p := nsHostProxy()
		defer p.Close()
		if err := p.Bind(ctx); err == nil || !strings.Contains(err.Error(), "9999") {
			// py.echo's address has no daemon: resolving worked (the error names its port).
			t.Errorf("PYRONAME through the list: %v", err)
		}
	})

	t.Run("WholeEtcdDownThenBack", func(t *testing.T) {
		cl, _ := naming.NewClientURI(c.ns[1])
		defer cl.Close()
		c.etcd.StopAll()
		eventually(t, 10*time.Second, func() error {
			_, err := cl.Lookup(ctx, "py.echo")
			if err == nil || !strings.Contains(err.Error(), "lost contact with etcd") {
				return fmt.Errorf("lookup with etcd down: %v", err)
			}
			return nil
		})
		err := cl.Register(ctx, "while.down", pyro.URI{Protocol: "PYRO", Object: "x", Host: "h", Port: 1}, naming.RegisterOptions{})
		if !errors.Is(err, pyro.ErrNaming) || !strings.Contains(err.Error(), "etcd") {
			t.Errorf("register with etcd down: %v", err)
		}
		c.etcd.StartAll()
		eventually(t, 30*time.Second, func() error {
			u, err := cl.Lookup(ctx, "py.echo")
			if err == nil && u.Port != 9999 {
				err = fmt.Errorf("wrong answer %s", u)
			}
			return err
		})
		if l, err := cl.List(ctx, naming.Filter{Prefix: "own."}); err != nil || len(l) != 8*40 {
			t.Errorf("after etcd returned: %d own names, %v", len(l), err)
		}
	})
}

// TestPythonLeaseAndPublish: a Python Pyro4 program can use leases too (lease_grant,
// register_leased), and its names go when it stops renewing; a Go daemon publishing through
// naming.Publish with a lease keeps its names while it renews.
func TestPythonLeaseAndPublish(t *testing.T) {
	pytest.Require(t)
	e := etcdtest.StartCluster(t, 1)
	ns, err := pyro.ParseURI(startChild(t, child("ns", e.Endpoints()[0]+"/pylease"), "URI = "))
	if err != nil {
		t.Fatal(err)
	}
	python(t, ns, pyPrelude+`
lease = ns.lease_grant(1)
ns.register_leased("py.leased", "PYRO:x@127.0.0.1:1", lease, metadata=["a"])
assert ns.lease_keepalive(lease) > 0
assert ns.lookup("py.leased", return_metadata=True)[1] == ["a"]
try:
    ns.lease_keepalive(123456)
    raise SystemExit("unknown lease renewed")
except Pyro4.errors.NamingError as e:
    assert "lease not found" in str(e), e
`)
	cl, _ := naming.NewClientURI(ns)
	defer cl.Close()
	ctx := context.Background()
	eventually(t, 5*time.Second, func() error {
		if _, err := cl.Lookup(ctx, "py.leased"); err == nil {
			return errors.New("the Python program's leased name outlived its lease")
		}
		return nil
	})

	d := pyrotest.NewDaemon(t, pyro.DaemonConfig{Host: "127.0.0.1"})
	lease, err := cl.GrantLease(ctx, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	kctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- lease.KeepAlive(kctx) }()
	pub, err := naming.Publish(ctx, cl, d, map[string]any{"go.published": pinger{}}, naming.PublishOptions{Lease: lease})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second) // three TTLs: renewed
	if _, err := cl.Lookup(ctx, "go.published"); err != nil {
		t.Fatalf("published name of a renewing daemon: %v", err)
	}
	stop()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("KeepAlive ended with %v", err)
	}
	eventually(t, 5*time.Second, func() error {
		if _, err := cl.Lookup(ctx, "go.published"); err == nil {
			return errors.New("published name outlived its lease")
		}
		return nil
	})
	pub.Withdraw(ctx)
}

// TestNameServersOnEtcd34: two name servers on Debian's etcd 3.4 server (older than the
// client) serve Python clients alike, leases included.
func TestNameServersOnEtcd34(t *testing.T) {
	pytest.Require(t)
	ep := etcdtest.StartDebian(t)
	var ns [2]pyro.URI
	for i := range ns {
		u, err := pyro.ParseURI(startChild(t, child("ns", ep+"/old"), "URI = "))
		if err != nil {
			t.Fatal(err)
		}
		ns[i] = u
	}
	python(t, ns[0], pyPrelude+`
ns.register("old.echo", "PYRO:echo@127.0.0.1:9999", metadata=["old"])
lease = ns.lease_grant(30)
ns.register_leased("old.leased", "PYRO:l@127.0.0.1:9999", lease)
print(lease)`)
	out := python(t, ns[1], pyPrelude+`
import time
deadline = time.time() + 5
while True:
    names = sorted(ns.list(prefix="old.").keys())
    if len(names) == 2 or time.time() > deadline: break
    time.sleep(0.05)
print(names, ns.lookup("old.echo", return_metadata=True)[1])`)
	if want := "['old.echo', 'old.leased'] ['old']\n"; out != want {
		t.Errorf("through the second name server: %q, want %q", out, want)
	}
}
