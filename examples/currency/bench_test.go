package currency_test

import (
	"context"
	"testing"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/examples/currency"
	"github.com/gopyro/pyro/pyrotest"
)

// benchWorker serves a worker on loopback and returns a proxy to it.
func benchWorker(b *testing.B) *pyro.Proxy {
	d := pyrotest.NewDaemon(b, loopbackDaemon())
	uri, err := currency.RegisterWorker(d, nil)
	if err != nil {
		b.Fatal(err)
	}
	return pyrotest.NewProxy(b, uri, pyro.WithConfig(loopback()))
}

// BenchmarkGetRate is one get_rate round trip over loopback: a percall Worker, a cross rate.
func BenchmarkGetRate(b *testing.B) {
	p := benchWorker(b)
	ctx := context.Background()
	var q currency.Quote
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Call(ctx, "get_rate", &q, "USDJPY"); err != nil || q.Rate != 160.617 {
			b.Fatal(q, err)
		}
	}
}

// BenchmarkGetRateParallel shares one proxy (its connection pool) between goroutines.
func BenchmarkGetRateParallel(b *testing.B) {
	p := benchWorker(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		var q currency.Quote
		for pb.Next() {
			if err := p.Call(ctx, "get_rate", &q, "USDJPY"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
