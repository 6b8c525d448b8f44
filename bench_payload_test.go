package pyro_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/gopyro/pyro/internal/benchkit"
)

// BenchmarkPayload moves a bytes value of 1 KB .. 16 MB as a result or as an argument, Go
// proxy ⇄ Go daemon, beside a raw TCP ping-pong of the same sizes (the "raw" codec):
//
//	go test -run '^$' -bench 'Payload/.*/1MB' -benchmem .
//
// MB/s is payload bytes per second.
func BenchmarkPayload(b *testing.B) {
	g := benchGoDaemon(b)
	for _, dir := range []benchkit.Direction{benchkit.Result, benchkit.Argument} {
		for _, size := range []int{1 << 10, 64 << 10, 1 << 20, 16 << 20} {
			for _, ser := range []string{"raw", "msgpack", "marshal", "serpent"} {
				b.Run(fmt.Sprintf("%s/%s/%s", dir, sizeName(size), ser), func(b *testing.B) {
					var call benchkit.Caller
					if ser == "raw" {
						sizes := benchkit.PayloadSizes(dir, size)
						srv, err := benchkit.StartRawServer(sizes)
						if err != nil {
							b.Fatal(err)
						}
						defer srv.Close()
						c, closeConn, err := benchkit.DialRaw(context.Background(), srv.Addr(), sizes)
						if err != nil {
							b.Fatal(err)
						}
						defer closeConn()
						call = c
					} else {
						p, err := benchkit.NewProxy(context.Background(), g.PayloadURI.String(), ser)
						if err != nil {
							b.Fatal(err)
						}
						defer p.Close()
						call = benchkit.PayloadCaller(p, dir, size)
					}
					b.SetBytes(int64(size))
					runCallers(b, []benchkit.Caller{call})
				})
			}
		}
	}
}

func sizeName(n int) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%dMB", n>>20)
	}
	return fmt.Sprintf("%dKB", n>>10)
}

// BenchmarkBatch runs batches of 100 echo calls (one round trip each); calls/s counts the
// calls inside them:
//
//	go test -run '^$' -bench Batch -benchmem .
func BenchmarkBatch(b *testing.B) {
	g := benchGoDaemon(b)
	for _, ser := range []string{"serpent", "msgpack"} {
		b.Run(ser, func(b *testing.B) {
			p, err := benchkit.NewProxy(context.Background(), g.URI.String(), ser)
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			const n = 100
			call := benchkit.BatchCaller(p, n)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if err := call(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)*n/b.Elapsed().Seconds(), "calls/s")
		})
	}
}
