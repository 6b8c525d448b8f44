// Package prom exports Prometheus metrics for pyro daemons, proxies and name servers, through
// the root package's observer seam (pyro.DaemonObserver, pyro.ProxyObserver), so that only
// programs importing this package link client_golang.
//
// Nothing is registered globally: each constructor takes the prometheus.Registerer to use
// (nil: register nothing; the values are prometheus.Collectors, to register later).
//
//	reg := prometheus.NewRegistry()
//	dm, _ := prom.NewDaemonMetrics(reg)
//	d, _ := pyro.NewDaemon(pyro.DaemonConfig{Observer: dm})
//	http.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
//
// The metric names are listed in the README ("Observability").
package prom

import (
	"strings"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
)

// Namespace prefixes every metric name.
const Namespace = "pyro"

var (
	// latencyBuckets span a loopback call (tens of µs) to a slow remote one (seconds).
	latencyBuckets = prometheus.ExponentialBuckets(25e-6, 4, 11)
	// batchBuckets count the calls of a batch.
	batchBuckets = []float64{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000}
)

// register registers c with reg unless reg is nil.
func register(reg prometheus.Registerer, c prometheus.Collector) error {
	if reg == nil {
		return nil
	}
	return reg.Register(c)
}

// outcome is the value of the outcome label.
func outcome(err error) string {
	if err != nil {
		return "error"
	}
	return "ok"
}

func boolLabel(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// collectors is a set of collectors that describes and collects as one.
type collectors []prometheus.Collector

func (cs collectors) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range cs {
		c.Describe(ch)
	}
}

func (cs collectors) Collect(ch chan<- prometheus.Metric) {
	for _, c := range cs {
		c.Collect(ch)
	}
}

// validLabel makes s a valid label value: Prometheus refuses, with a panic, one that is not
// UTF-8, and names and classes can come from peers (a proxy's URI, a remote exception).
func validLabel(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
