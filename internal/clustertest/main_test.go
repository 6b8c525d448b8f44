package clustertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/internal/pytest"
	"github.com/gopyro/pyro/naming"
	"github.com/gopyro/pyro/naming/nameserver"
	"github.com/gopyro/pyro/naming/store/etcdstore"
)

// childEnv selects what a re-executed test binary is: "ns" or "leaser".
const childEnv = "PYRO_CLUSTERTEST_CHILD"

func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "":
		os.Exit(m.Run())
	case "ns":
		os.Exit(childNS(os.Args[1]))
	case "leaser":
		ttl, _ := strconv.Atoi(os.Args[3])
		os.Exit(childLeaser(os.Args[1], os.Args[2], time.Duration(ttl)*time.Second))
	}
	fmt.Fprintln(os.Stderr, "unknown child", os.Getenv(childEnv))
	os.Exit(2)
}

// childNS is `pyro ns -n 127.0.0.1 -p 0 -x -s etcd:ENDPOINTS`, printing its URI.
func childNS(endpoints string) int {
	ctx := context.Background()
	c, err := etcdstore.ParseSpec(endpoints)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	c.StaleAfter = time.Second
	c.RequestTimeout = 2 * time.Second
	c.SessionTTL = 3 * time.Second
	st, err := etcdstore.Open(ctx, c)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	s, err := nameserver.Start(nameserver.Config{Daemon: pyro.DaemonConfig{Host: "127.0.0.1"}, Store: st, NoBroadcast: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("URI = %s\n", s.URI())
	s.Serve(ctx)
	return 0
}

// childLeaser is a Go daemon that registers name with a lease of ttl through the name
// servers listed and keeps the lease alive until it is killed.
func childLeaser(nsList, name string, ttl time.Duration) int {
	ctx := context.Background()
	d, err := pyro.NewDaemon(pyro.DaemonConfig{Host: "127.0.0.1"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ln, err := d.Listen()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	uri, err := d.Register(pinger{}, pyro.WithID("leased"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	go d.Serve(ctx, ln)
	ns, err := naming.Locate(ctx, nsList, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	lease, err := ns.GrantLease(ctx, ttl)
	if err == nil {
		err = ns.Register(ctx, name, uri, naming.RegisterOptions{Lease: lease})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("REGISTERED", lease.ID)
	fmt.Fprintln(os.Stderr, lease.KeepAlive(ctx))
	return 1
}

// child prepares the test binary as a child process.
func child(kind string, args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(pytest.Env(), childEnv+"="+kind)
	return cmd
}

// startChild starts a child, waits for its line starting with prefix and returns the rest;
// the child is killed when the test ends.
func startChild(t *testing.T, cmd *exec.Cmd, prefix string) string {
	t.Helper()
	return pytest.StartCmd(t, cmd, func() {
		if cmd.Process != nil {
			cmd.Process.Kill()
		}
	}, prefix)
}

// pinger is the leaser's object.
type pinger struct{}

// Ping answers.
func (pinger) Ping() {}
