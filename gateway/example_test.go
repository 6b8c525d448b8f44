package gateway_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/gateway"
	"github.com/gopyro/pyro/naming"
	"github.com/gopyro/pyro/naming/nameserver"
)

// Thermometer is a Pyro object, as any daemon (Go, Pyro4 or Pyro5) may serve it.
type Thermometer struct{}

// Read is exposed as Read and, for Python and HTTP clients, read.
func (Thermometer) Read(room string) float64 { return 21.5 }

// The gateway is an http.Handler: mount it (here on an httptest server) in front of a name
// server, and HTTP clients call the objects whose names it exposes.
func Example() {
	ctx := context.Background()
	// A name server and a daemon with one named object, as a deployment has them.
	ns, err := nameserver.Start(nameserver.Config{Daemon: pyro.DaemonConfig{Host: "127.0.0.1"}})
	if err != nil {
		panic(err)
	}
	go ns.Serve(ctx)
	defer ns.Close()
	d, _ := pyro.NewDaemon(pyro.DaemonConfig{Host: "127.0.0.1"})
	ln, _ := d.Listen()
	go d.Serve(ctx, ln)
	defer d.Close()
	// The gateway passes query parameters as keyword arguments: name Read's parameter.
	uri, _ := d.Register(Thermometer{}, pyro.WithID("http.thermometer"), pyro.WithParams("Read", "room"))
	nsc, _ := naming.NewClientURI(ns.URI())
	defer nsc.Close()
	nsc.Register(ctx, "http.thermometer", uri, naming.RegisterOptions{})

	// The gateway, exposing names that start with "http." (Pyro's default).
	gw, err := gateway.New(gateway.Config{NSHost: ns.URI().Host, NSPort: ns.URI().Port})
	if err != nil {
		panic(err)
	}
	defer gw.Close()
	srv := httptest.NewServer(gw)
	defer srv.Close()

	for _, path := range []string{"/pyro/http.thermometer/read?room=kitchen", "/pyro/http.thermometer/$meta", "/pyro/Pyro.NameServer/list"} {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			panic(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		fmt.Println(res.StatusCode, string(body))
	}
	// Output:
	// 200 21.5
	// 200 {"methods": ["read"], "attributes": [], "oneway": []}
	// 403 403 Forbidden - access to the requested object has been denied
}
