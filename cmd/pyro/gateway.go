package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/gateway"
	"github.com/gopyro/pyro/naming"
)

func runGateway(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flagSet("gateway", "[flags]\n\nServes Pyro objects found in the name server over HTTP/JSON (the API of Pyro's httpgateway), with a web console at /.", stderr)
	var (
		host, expose, gwKey, cors, hmacKey string
		port, maxInFlight                  int
		timeout                            float64
		maxBody                            int64
		detailed                           bool
	)
	stringFlag(fs, &host, "H", "host", "localhost", "hostname to bind server on")
	intFlag(fs, &port, "p", "port", 8080, "port to bind server on (0 picks a free one)")
	stringFlag(fs, &expose, "e", "expose", gateway.DefaultExpose, "a regex of object names to expose, matched from the start ('' exposes all)")
	stringFlag(fs, &gwKey, "g", "gatewaykey", "", "the api key clients must give (X-Pyro-Gateway-Key or $key; better: PYRO_HTTPGATEWAY_KEY)")
	fs.Float64Var(&timeout, "timeout", 0, "Pyro timeout value in seconds for each call (COMMTIMEOUT; 0 = none)")
	fs.Float64Var(&timeout, "t", 0, "short for --timeout")
	stringFlag(fs, &cors, "c", "cors", "*", "Access-Control-Allow-Origin for cross-origin browsers ('' sends no CORS headers)")
	stringFlag(fs, &hmacKey, "k", "key", "", "the HMAC key to use with Pyro4 daemons (deprecated: use PYRO_HMAC_KEY)")
	fs.Int64Var(&maxBody, "max-body", gateway.DefaultMaxBodyBytes, "largest request body in bytes (413 beyond)")
	intFlag(fs, &maxInFlight, "", "max-inflight", gateway.DefaultMaxInFlight, "most calls served at once (503 beyond)")
	boolFlag(fs, &detailed, "", "detailed-errors", "let the text of the gateway's own errors reach HTTP clients")
	var of observeFlags
	of.register(fs, "log at level info; twice (-v -v or -vv): debug (a line per client gone before its answer)")
	if code := parse(fs, args); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "pyro gateway: unexpected arguments: %v\n", fs.Args())
		fs.Usage()
		return 2
	}
	if v, ok := os.LookupEnv("PYRO_HTTPGATEWAY_KEY"); ok {
		if gwKey != "" {
			fmt.Fprintln(stderr, "error: don't use -g and PYRO_HTTPGATEWAY_KEY at the same time")
			return 2
		}
		gwKey = v
	}
	env, code := toolConfig(hmacKey, stderr)
	if code >= 0 {
		return code
	}
	if timeout < 0 {
		fmt.Fprintln(stderr, "error: --timeout must not be negative")
		return 2
	}
	obs, err := of.start(ctx, "pyro-gateway", stdout, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 2
	}
	defer obs.shutdown()
	var unused pyro.DaemonConfig
	obs.configure(&unused, &env.proxy) // the gateway's proxies; it serves no daemon
	cfg := gateway.Config{
		Expose: expose, GatewayKey: gwKey, CORS: cors, MaxBodyBytes: maxBody, MaxInFlight: maxInFlight,
		Timeout: time.Duration(timeout * float64(time.Second)), Proxy: env.proxy, DetailedErrors: detailed,
		Logger: cmp.Or(obs.logger, slog.New(slog.NewTextHandler(stderr, nil))),
	}
	if expose == "" {
		cfg.Expose = gateway.ExposeAll
		fmt.Fprintln(stdout, "Warning: exposing all objects (no expose regex set)")
	} else {
		fmt.Fprintln(stdout, "Exposing objects with names matching: ", expose)
	}
	gw, err := gateway.New(cfg)
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 2
	}
	defer gw.Close()
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	if ns, err := naming.Locate(lctx, "", 0, pyro.WithConfig(env.proxy)); err != nil {
		fmt.Fprintln(stdout, "Not yet connected to a name server.")
	} else {
		fmt.Fprintln(stdout, "Connected to name server at: ", ns.Proxy().URI())
		ns.Close()
	}
	cancel()
	ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	handler, err := obs.instrumentHTTP(gw)
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	fmt.Fprintf(stdout, "Pyro HTTP gateway running on http://%s/\n", ln.Addr())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err = <-done:
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = srv.Shutdown(sctx)
		cancel()
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	return 0
}
