package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/examples/currency"
	"github.com/gopyro/pyro/naming/nameserver"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// runCluster is the demo without a single point of failure: a 3-member etcd (in this
// process, on loopback), two name servers sharing the registry in it, the workers, and a
// master that knows both name servers (as PYRO_NS_HOST="a:p,b:q" would tell it). The master
// runs once, the first name server is stopped, and the master runs again: it finds the
// workers through the second.
func runCluster(ctx context.Context, workers int, latency time.Duration, ser string, pairs []string, stdout, stderr io.Writer) int {
	dir, err := os.MkdirTemp("", "pyro-demo-etcd-")
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	endpoints, stopEtcd, err := startEtcd(dir, 3)
	if err != nil {
		fmt.Fprintln(stderr, "error: etcd:", err)
		return 1
	}
	defer stopEtcd()
	fmt.Fprintf(stdout, "etcd          3 members %s\n", strings.Join(endpoints, ","))

	var nss []*nameserver.Server
	var addrs []string
	for range 2 {
		ns, err := nameserver.Start(nameserver.Config{
			Daemon:      pyro.DaemonConfig{Host: "127.0.0.1"},
			Storage:     "etcd:" + strings.Join(endpoints, ",") + "/demo",
			NoBroadcast: true,
		})
		if err != nil {
			fmt.Fprintln(stderr, "error: name server:", err)
			return 1
		}
		defer ns.Close()
		go ns.Serve(ctx)
		nss = append(nss, ns)
		addrs = append(addrs, ns.URI().Address())
		fmt.Fprintf(stdout, "name server   %s (storage etcd)\n", ns.URI())
	}
	// Everyone finds the name servers through the list, as PYRO_NS_HOST would give it.
	pcfg := pyro.ProxyConfig{Serializer: ser, NSHost: strings.Join(addrs, ",")}
	src := currency.WithLatency(currency.ECB(), latency)
	for i := 1; i <= workers; i++ {
		name := currency.DefaultName
		if i > 1 {
			name = fmt.Sprintf("%s.%d", currency.DefaultName, i)
		}
		w, err := currency.StartWorker(ctx, pyro.DaemonConfig{Host: "127.0.0.1"}, pyro.URI{}, name, src, currency.WithNameServerConfig(pcfg))
		if err != nil {
			fmt.Fprintln(stderr, "error: worker:", err)
			return 1
		}
		defer w.Stop(context.Background())
		fmt.Fprintf(stdout, "worker        %-12s %s\n", name, w.URI())
	}
	for round := 1; round <= 2; round++ {
		if round == 2 {
			nss[0].Close()
			fmt.Fprintf(stdout, "\nname server   %s stopped; the master runs again\n", nss[0].URI())
		}
		fmt.Fprintf(stdout, "\nmaster        round %d: asks for %d pairs, name servers %s\n\n", round, len(pairs), pcfg.NSHost)
		rep, err := currency.RunMaster(ctx, pcfg, pyro.URI{}, "", pairs, currency.MasterOptions{})
		if err != nil {
			fmt.Fprintln(stderr, "error: master:", err)
			return 1
		}
		if err := rep.WriteTable(stdout); err != nil {
			return 1
		}
	}
	return 0
}

// startEtcd starts an n-member etcd cluster on loopback ports in dir.
func startEtcd(dir string, n int) ([]string, func(), error) {
	type m struct{ peer, client url.URL }
	ms := make([]m, n)
	var initial, endpoints []string
	for i := range ms {
		for _, u := range []*url.URL{&ms[i].peer, &ms[i].client} {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return nil, nil, err
			}
			*u = url.URL{Scheme: "http", Host: ln.Addr().String()}
			ln.Close()
		}
		initial = append(initial, fmt.Sprintf("m%d=%s", i, ms[i].peer.String()))
		endpoints = append(endpoints, ms[i].client.Host)
	}
	var started []*embed.Etcd
	stop := func() {
		for _, e := range started {
			e.Close()
		}
	}
	errs := make(chan error, n)
	ready := make(chan *embed.Etcd, n)
	for i := range ms {
		cfg := embed.NewConfig()
		cfg.Name, cfg.Dir = fmt.Sprintf("m%d", i), filepath.Join(dir, fmt.Sprintf("m%d", i))
		cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{ms[i].peer}, []url.URL{ms[i].peer}
		cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{ms[i].client}, []url.URL{ms[i].client}
		cfg.InitialCluster = strings.Join(initial, ",")
		cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
		go func() {
			e, err := embed.StartEtcd(cfg)
			if err != nil {
				errs <- err
				return
			}
			select {
			case <-e.Server.ReadyNotify():
				ready <- e
			case <-time.After(time.Minute):
				e.Close()
				errs <- fmt.Errorf("member %s not ready after a minute", cfg.Name)
			}
		}()
	}
	var first error
	for range n {
		select {
		case e := <-ready:
			started = append(started, e)
		case err := <-errs:
			first = err
		}
	}
	if first != nil {
		stop()
		return nil, nil, first
	}
	return endpoints, stop, nil
}
