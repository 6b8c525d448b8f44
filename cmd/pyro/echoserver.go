package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/echoserver"
)

func runEchoServer(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flagSet("echoserver", "[flags]", stderr)
	var (
		host, unixSocket, key     string
		port                      int
		naming, nameserver, quiet bool
	)
	stringFlag(fs, &host, "H", "host", "localhost", "hostname to bind server on")
	intFlag(fs, &port, "p", "port", 0, "port to bind server on (0 picks a free one)")
	stringFlag(fs, &unixSocket, "u", "unixsocket", "", "Unix domain socket name to bind server on")
	boolFlag(fs, &naming, "n", "naming", "register with the name server")
	boolFlag(fs, &nameserver, "N", "nameserver", "also start a name server (on the same host, port 9090)")
	boolFlag(fs, &quiet, "q", "quiet", "don't output anything")
	stringFlag(fs, &key, "k", "key", "", "the HMAC key to use (deprecated: use PYRO_HMAC_KEY)")
	var of observeFlags
	of.register(fs, "verbose output; "+verboseUsage)
	budget := addBudgetFlag(fs)
	if code := parse(fs, args); code >= 0 {
		return code
	}
	verbose := of.verbose > 0
	env, code := serverToolConfig(key, stderr)
	if code >= 0 {
		return code
	}
	cfg := env.daemon
	budget.apply(&cfg)
	limitMemory(cfg)
	if verbose {
		quiet = false
	}
	out := stdout
	if quiet {
		out = io.Discard
	}
	fmt.Fprintln(out, "Starting Pyro's built-in test echo server.")
	if env.key == "" {
		fmt.Fprintln(out, "Warning: HMAC key not set. Anyone can connect to this server!")
	}
	cfg.Host, cfg.Port, cfg.UnixSocket = host, port, unixSocket
	obs, err := of.start(ctx, "pyro-echoserver", stdout, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	defer obs.shutdown()
	obs.configure(&cfg, &env.proxy)
	var d *pyro.Daemon
	var nsHost string
	var nsPort int
	if nameserver {
		naming = true
		stopNS, uri, err := startEmbeddedNameServer(ctx, cfg, host)
		if err != nil {
			fmt.Fprintln(stderr, "error: cannot start name server:", err)
			return 1
		}
		defer stopNS()
		nsHost, nsPort = uri.Host, uri.Port
	}
	d, err = pyro.NewDaemon(cfg)
	var ln net.Listener
	if err == nil {
		ln, err = d.Listen()
	}
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	echo := echoserver.New(stdout)
	echo.SetVerbose(verbose)
	uri, err := echo.Register(d)
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	if naming {
		ns, err := pyro.LocateNS(ctx, nsHost, nsPort, pyro.WithConfig(env.proxy))
		if err != nil {
			fmt.Fprintln(stderr, "error:", err)
			return 1
		}
		if err := ns.Call(ctx, "register", nil, echoserver.ObjectID, uri.String()); err != nil {
			fmt.Fprintln(stderr, "error: registering with the name server:", err)
			return 1
		}
		ns.Close()
		if verbose {
			fmt.Fprintf(out, "using name server at %s\n", ns.URI())
		}
	} else if verbose {
		fmt.Fprintln(out, "not using a name server.")
	}
	fmt.Fprintf(out, "object name: %s\n", echoserver.ObjectID)
	fmt.Fprintf(out, "echo uri: %s\n", uri)
	fmt.Fprintln(out, "echoserver running.")

	serveCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-echo.Done():
			cancel()
		case <-serveCtx.Done():
		}
	}()
	err = d.Serve(serveCtx, ln)
	shutdownCtx, stop := context.WithTimeout(context.Background(), 5*time.Second)
	defer stop()
	d.Shutdown(shutdownCtx)
	if err != nil && serveCtx.Err() == nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	return 0
}
