// Package etcdtest runs real etcd servers for tests: an in-process cluster of any size
// (go.etcd.io/etcd/server/v3/embed) whose members can be stopped and restarted, and
// Debian's etcd 3.4 binary (package etcd-server) as a child process. Only tests import it,
// so no shipped program links the etcd server.
package etcdtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// Cluster is an in-process etcd cluster on loopback.
type Cluster struct {
	t       testing.TB
	members []*member
	initial string
	tls     *transport.TLSInfo // clients must use TLS (https) when set
}

type member struct {
	name            string
	dir             string
	peerURL, cliURL url.URL
	mu              sync.Mutex
	etcd            *embed.Etcd
	started         bool // has been started once: restarts join the existing cluster
}

// freePort returns a loopback port that was free a moment ago, below the kernel's range of
// ephemeral ports: a stopped member restarts on its ports, and one from that range may by
// then be the local end of some outgoing connection (etcd's own clients', say).
func freePort(t testing.TB) int {
	low := ephemeralLow()
	for range 1000 {
		port := 10000 + rand.IntN(low-10000)
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		ln.Close()
		return port
	}
	t.Fatal("etcdtest: no free port below the ephemeral range")
	return 0
}

// ephemeralLow is the first port of the kernel's ephemeral range (Linux's default 32768
// where it cannot be read).
func ephemeralLow() int {
	low := 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil && n > 11000 {
				low = n
			}
		}
	}
	return low
}

// StartCluster starts an n-member cluster and stops it when the test ends.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	return startCluster(t, n, nil)
}

// StartClusterTLS starts a one-member cluster whose clients must speak TLS and show a
// certificate signed by the CA (files in PEM); Endpoints are then https URLs.
func StartClusterTLS(t testing.TB, certFile, keyFile, caFile string) *Cluster {
	t.Helper()
	return startCluster(t, 1, &transport.TLSInfo{CertFile: certFile, KeyFile: keyFile, TrustedCAFile: caFile, ClientCertAuth: true})
}

func startCluster(t testing.TB, n int, tls *transport.TLSInfo) *Cluster {
	t.Helper()
	c := &Cluster{t: t, tls: tls}
	var initial []string
	for i := range n {
		m := &member{name: fmt.Sprintf("m%d", i), dir: filepath.Join(t.TempDir(), "etcd")}
		m.peerURL = url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", freePort(t))}
		m.cliURL = url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", freePort(t))}
		if tls != nil {
			m.cliURL.Scheme = "https"
		}
		initial = append(initial, m.name+"="+m.peerURL.String())
		c.members = append(c.members, m)
	}
	c.initial = strings.Join(initial, ",")
	t.Cleanup(c.StopAll)
	// Members of a new cluster wait for each other, so they start together.
	errs := make(chan error, n)
	for i := range c.members {
		go func() { errs <- c.Start(i) }()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatalf("etcd: %v", err)
		}
	}
	return c
}

// Endpoints returns the client addresses of every member, running or not: host:port, or
// https://host:port for a TLS cluster.
func (c *Cluster) Endpoints() []string {
	var eps []string
	for _, m := range c.members {
		if c.tls != nil {
			eps = append(eps, m.cliURL.String())
		} else {
			eps = append(eps, m.cliURL.Host)
		}
	}
	return eps
}

// Start starts member i (again, after Stop: it rejoins with its data).
func (c *Cluster) Start(i int) error {
	m := c.members[i]
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.etcd != nil {
		return nil
	}
	cfg := embed.NewConfig()
	cfg.Name = m.name
	cfg.Dir = m.dir
	cfg.ListenPeerUrls = []url.URL{m.peerURL}
	cfg.AdvertisePeerUrls = []url.URL{m.peerURL}
	cfg.ListenClientUrls = []url.URL{m.cliURL}
	cfg.AdvertiseClientUrls = []url.URL{m.cliURL}
	cfg.InitialCluster = c.initial
	cfg.InitialClusterToken = "pyro-test"
	if m.started {
		cfg.ClusterState = embed.ClusterStateFlagExisting
	}
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	if c.tls != nil {
		cfg.ClientTLSInfo = *c.tls
	}
	cfg.TickMs, cfg.ElectionMs = 50, 500 // a loaded 2-core machine still elects in a second
	cfg.BcryptCost = 4                   // bcrypt's minimum: auth tests log in fast under -race
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return fmt.Errorf("member %s: %w", m.name, err)
	}
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		e.Close()
		return fmt.Errorf("member %s: %w", m.name, err)
	case <-time.After(60 * time.Second):
		e.Close()
		return fmt.Errorf("member %s: not ready after 60s", m.name)
	}
	m.etcd, m.started = e, true
	return nil
}

// Stop stops member i, as a crash of its machine would (its data stays for Start).
func (c *Cluster) Stop(i int) {
	m := c.members[i]
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.etcd != nil {
		m.etcd.Close()
		m.etcd = nil
	}
}

// StopAll stops every member.
func (c *Cluster) StopAll() {
	var wg sync.WaitGroup
	for i := range c.members {
		wg.Go(func() { c.Stop(i) })
	}
	wg.Wait()
}

// StartAll starts every stopped member again, together (a quorum needs them).
func (c *Cluster) StartAll() {
	c.t.Helper()
	errs := make(chan error, len(c.members))
	for i := range c.members {
		go func() { errs <- c.Start(i) }()
	}
	for range c.members {
		if err := <-errs; err != nil {
			c.t.Fatalf("etcd: %v", err)
		}
	}
}

// DebianEtcd is the path of Debian's etcd 3.4 server (apt-get install etcd-server).
const DebianEtcd = "/usr/bin/etcd"

// StartDebian runs Debian's etcd binary as a one-member cluster and returns its client
// endpoint; it is killed when the test ends. A missing binary fails the test.
func StartDebian(t testing.TB) string {
	t.Helper()
	if _, err := os.Stat(DebianEtcd); err != nil {
		t.Fatalf("Debian's etcd server is missing (apt-get install etcd-server; scripts/test installs it): %v", err)
	}
	cli := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	peer := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	cmd := exec.Command(DebianEtcd, "--name", "deb", "--data-dir", filepath.Join(t.TempDir(), "etcd"),
		"--listen-client-urls", "http://"+cli, "--advertise-client-urls", "http://"+cli,
		"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
		"--initial-cluster", "deb="+peer, "--log-level", "error", "--logger", "zap")
	cmd.Env = append(os.Environ(), "ETCD_UNSUPPORTED_ARCH="+goarchForEtcd())
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("etcd 3.4: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", cli, time.Second)
		if err == nil {
			c.Close()
			return cli
		}
		if time.Now().After(deadline) {
			t.Fatalf("etcd 3.4 does not listen on %s after 30s: %v\n%s", cli, err, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// goarchForEtcd names the architecture for etcd 3.4, which refuses to start on arm64 and
// others without ETCD_UNSUPPORTED_ARCH.
func goarchForEtcd() string {
	out, err := exec.Command("uname", "-m").Output()
	if err != nil {
		return ""
	}
	switch a := strings.TrimSpace(string(out)); a {
	case "aarch64":
		return "arm64"
	default:
		return a
	}
}

// EnableAuth turns etcd's authentication on with a root user of that password.
func (c *Cluster) EnableAuth(user, password string) error {
	cli, err := clientv3.New(clientv3.Config{Endpoints: c.Endpoints(), DialTimeout: 10 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		return err
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := cli.UserAdd(ctx, user, password); err != nil {
		return err
	}
	if _, err := cli.UserGrantRole(ctx, user, "root"); err != nil {
		return err
	}
	_, err = cli.AuthEnable(ctx)
	return err
}
