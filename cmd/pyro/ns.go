package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/naming/nameserver"
)

func runNS(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flagSet("ns", "[flags]\n\nStarts a name server for Pyro4 and Pyro5 clients (like pyro4-ns and Pyro5.nameserver).", stderr)
	var (
		host, unixSocket, storage, bcHost, natHost, key string
		port, bcPort, natPort                           int
		noBC                                            bool
		autoClean                                       time.Duration
	)
	stringFlag(fs, &host, "n", "host", "localhost", "hostname to bind server on")
	intFlag(fs, &port, "p", "port", nameserver.DefaultPort, "port to bind server on (0=random)")
	stringFlag(fs, &unixSocket, "u", "unixsocket", "", "Unix domain socket name to bind server on")
	stringFlag(fs, &storage, "s", "storage", "memory", "storage system to use (memory, sql:file, etcd:host:port[,host:port...][/prefix])")
	etcd := addEtcdFlags(fs)
	stringFlag(fs, &bcHost, "", "bchost", "", "hostname to bind broadcast server on (default is all interfaces)")
	intFlag(fs, &bcPort, "", "bcport", nameserver.DefaultBCPort, "port to bind broadcast server on")
	stringFlag(fs, &natHost, "", "nathost", "", "external hostname in case of NAT")
	intFlag(fs, &natPort, "", "natport", 0, "external port in case of NAT")
	boolFlag(fs, &noBC, "x", "nobc", "don't start a broadcast server")
	stringFlag(fs, &key, "k", "key", "", "the HMAC key to use (deprecated: use PYRO_HMAC_KEY)")
	var of observeFlags
	of.register(fs, verboseUsage)
	budget := addBudgetFlag(fs)
	fs.DurationVar(&autoClean, "autoclean", 0, "remove registrations unreachable for 20s, checking every period (0=off, else at least 3s; PYRO_NS_AUTOCLEAN in seconds also works)")
	if code := parse(fs, args); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "pyro ns: unexpected arguments: %v\n", fs.Args())
		fs.Usage()
		return 2
	}
	env, code := serverToolConfig(key, stderr)
	if code >= 0 {
		return code
	}
	cfg := env.daemon
	budget.apply(&cfg)
	limitMemory(cfg)
	cfg.Host, cfg.Port, cfg.UnixSocket, cfg.NATHost, cfg.NATPort = host, port, unixSocket, natHost, natPort
	if autoClean == 0 {
		if v := os.Getenv("PYRO_NS_AUTOCLEAN"); v != "" {
			var secs float64
			if _, err := fmt.Sscan(v, &secs); err != nil {
				fmt.Fprintf(stderr, "PYRO_NS_AUTOCLEAN=%q: not a number of seconds\n", v)
				return 2
			}
			autoClean = time.Duration(secs * float64(time.Second))
		}
	}
	if bcPort == 0 {
		bcPort = -1 // Pyro4's --bcport 0: any free port
	}
	obs, err := of.start(ctx, "pyro-ns", stdout, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	defer obs.shutdown()
	st, err := etcd.open(ctx, storage)
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	nsCfg := nameserver.Config{Daemon: cfg, Storage: storage, Store: st, NoBroadcast: noBC, BCHost: bcHost, BCPort: bcPort, AutoClean: autoClean}
	if err := obs.configureNS(&nsCfg); err != nil {
		if st != nil {
			st.Close()
		}
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	s, err := nameserver.Start(nsCfg)
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	hostIP := "Unix domain socket"
	if tcp, ok := s.Daemon().Addr().(*net.TCPAddr); ok {
		hostIP = tcp.IP.String()
		if tcp.IP.IsUnspecified() {
			hostIP = "0.0.0.0"
		}
		if bc := s.BroadcastAddr(); bc != nil {
			fmt.Fprintf(stdout, "Broadcast server running on %s\n", bc)
		} else if !noBC && tcp.IP.IsLoopback() {
			fmt.Fprintln(stdout, "Not starting broadcast server for localhost.")
		}
	}
	if n := s.ExistingRegistrations(); n > 0 {
		fmt.Fprintf(stdout, "Persistent store contains %d existing registrations.\n", n)
	}
	fmt.Fprintf(stdout, "NS running on %s (%s)\n", s.Daemon().Location(), hostIP)
	if env.key == "" {
		fmt.Fprintln(stdout, "Warning: HMAC key not set. Anyone can connect to this server!")
	}
	if natHost != "" {
		fmt.Fprintf(stdout, "internal URI = PYRO:%s@%s\n", pyro.NameServerObjectID, s.Daemon().Addr())
		fmt.Fprintf(stdout, "external URI = %s\n", s.URI())
	} else {
		fmt.Fprintf(stdout, "URI = %s\n", s.URI())
	}
	err = s.Serve(ctx)
	fmt.Fprintln(stdout, "NS shut down.")
	if err != nil && ctx.Err() == nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	return 0
}

// toolEnv is the configuration every subcommand starts from: Pyro4's environment variables,
// and the HMAC key from -k or PYRO_HMAC_KEY. The key is kept for the "HMAC key not set"
// warning.
type toolEnv struct {
	daemon    pyro.DaemonConfig
	daemonErr error
	proxy     pyro.ProxyConfig
	key       string
}

// toolConfig reads the environment (refusing -k and PYRO_HMAC_KEY at once, as Pyro4's tools
// do) and returns an exit status, -1 to go on. What is wrong with the daemon's settings
// (PYRO_SSL without PYRO_SSL_SERVERCERT, ...) is kept in daemonErr: only the commands that
// serve care, through serverToolConfig.
func toolConfig(flagKey string, stderr io.Writer) (toolEnv, int) {
	var env toolEnv
	env.key = flagKey
	if v, ok := os.LookupEnv("PYRO_HMAC_KEY"); ok {
		if flagKey != "" {
			fmt.Fprintln(stderr, "error: don't use -k and PYRO_HMAC_KEY at the same time")
			return env, 2
		}
		env.key = v
	}
	var derr, perr error
	env.daemon, derr = pyro.DaemonConfigFromEnv()
	env.proxy, perr = pyro.ProxyConfigFromEnv()
	env.daemonErr = derr
	if err := perr; err != nil {
		fmt.Fprintln(stderr, err)
		return env, 2
	}
	if env.key != "" {
		env.daemon.HMACKey = []byte(env.key)
		env.proxy.HMACKey = []byte(env.key)
	}
	return env, -1
}

// serverToolConfig is toolConfig for the commands that serve (ns, echoserver): the daemon's
// settings must be complete too.
func serverToolConfig(flagKey string, stderr io.Writer) (toolEnv, int) {
	env, code := toolConfig(flagKey, stderr)
	if code < 0 && env.daemonErr != nil {
		fmt.Fprintln(stderr, env.daemonErr)
		return env, 2
	}
	return env, code
}

// startEmbeddedNameServer runs a name server in this process (echoserver -N) on Pyro4's
// ports, as pyro4-test-echoserver does.
func startEmbeddedNameServer(ctx context.Context, cfg pyro.DaemonConfig, host string) (func(), pyro.URI, error) {
	cfg.Host, cfg.Port, cfg.UnixSocket = host, nameserver.DefaultPort, ""
	s, err := nameserver.Start(nameserver.Config{Daemon: cfg, BCPort: nameserver.DefaultBCPort})
	if err != nil {
		return nil, pyro.URI{}, err
	}
	go s.Serve(ctx)
	return func() { s.Close() }, s.URI(), nil
}
