package gateway_test

import (
	"context"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopyro/pyro/gateway"
)

// loadClients is how many HTTP clients call at once in BenchmarkGateway64.
const loadClients = 64

// BenchmarkGateway64 measures calls per second and the 99th percentile latency of 64
// concurrent HTTP clients calling echo through `pyro gateway` and through Pyro5's gateway,
// in one run, in front of the same name server and echo server (ours, so the gateways are
// the bottleneck):
//
//	go test ./gateway -run '^$' -bench Gateway64 -benchtime 2000x
//
// Pyro5's gateway is a single-threaded wsgiref server with a listen backlog of 5: with 64
// clients some connections wait for SYN retries, and a few time out (reported as failed).
func BenchmarkGateway64(b *testing.B) {
	ns := startGoNS(b)
	startGoEcho(b, ns)
	ours := startGoGateway(b, ns, gateway.Config{Expose: `test\.`})
	theirs := startPyro5Gateway(b, ns, "-e", `test\.`)
	for _, gw := range []struct{ name, base string }{{"pyro-gateway", ours}, {"Pyro5-gateway", theirs}} {
		b.Run(gw.name, func(b *testing.B) { load(b, gw.base+"pyro/test.echoserver/echo?message=hello", gw.base == ours) })
	}
}

// load spreads b.N GETs of url over loadClients goroutines and reports calls/s, p50, p99
// and the calls that failed (within 15 s); they fail the benchmark if strict.
func load(b *testing.B, url string, strict bool) {
	tr := &http.Transport{MaxIdleConnsPerHost: loadClients, MaxConnsPerHost: loadClients}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 15 * time.Second}
	var next, failed atomic.Int64
	lat := make([][]time.Duration, loadClients)
	var firstErr atomic.Value
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for i := range loadClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				t0 := time.Now()
				req, _ := http.NewRequestWithContext(context.Background(), "GET", url, nil)
				res, err := client.Do(req)
				if err == nil {
					body, _ := io.ReadAll(res.Body)
					res.Body.Close()
					if res.StatusCode != 200 || string(body) != `"hello"` {
						err = &statusError{res.StatusCode, string(body)}
					}
				}
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err)
					continue
				}
				lat[i] = append(lat[i], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(failed.Load()), "failed")
	if n := failed.Load(); n > 0 && strict {
		b.Errorf("%d of %d calls failed; the first: %v", n, b.N, firstErr.Load())
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) == 0 {
		return
	}
	p99 := all[min(len(all)-1, len(all)*99/100)]
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "calls/s")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
}

type statusError struct {
	status int
	body   string
}

func (e *statusError) Error() string { return http.StatusText(e.status) + ": " + e.body }
