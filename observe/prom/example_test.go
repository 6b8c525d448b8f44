package prom_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/observe/prom"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

type Greeter struct{}

func (Greeter) Hello(name string) string { return "hello " + name }

// A daemon and a proxy reporting to one registry, served on /metrics.
func Example() {
	reg := prometheus.NewRegistry()
	dm, err := prom.NewDaemonMetrics(reg)
	if err != nil {
		log.Fatal(err)
	}
	pm, err := prom.NewProxyMetrics(reg)
	if err != nil {
		log.Fatal(err)
	}
	d, _ := pyro.NewDaemon(pyro.DaemonConfig{Host: "127.0.0.1", Observer: dm})
	ln, _ := d.Listen()
	uri, _ := d.Register(Greeter{}, pyro.WithID("greeter"))
	go d.Serve(context.Background(), ln)
	defer d.Close()

	metrics := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{})) // GET /metrics
	defer metrics.Close()

	p, _ := pyro.NewProxyURI(uri, pyro.WithObserver(pm))
	defer p.Close()
	var s string
	if err := p.Call(context.Background(), "hello", &s, "metrics"); err != nil {
		log.Fatal(err)
	}
	fmt.Println(s)
	fams, _ := reg.Gather()
	for _, f := range fams {
		if f.GetName() == "pyro_client_calls_total" {
			for _, m := range f.GetMetric() {
				if m.GetCounter().GetValue() > 0 {
					fmt.Println(f.GetName(), m.GetLabel()[0].GetValue(), m.GetCounter().GetValue())
				}
			}
		}
	}
	// Output:
	// hello metrics
	// pyro_client_calls_total hello 1
}
