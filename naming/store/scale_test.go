package store_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopyro/pyro/internal/pyfind"
	"github.com/gopyro/pyro/internal/pytest"
	"github.com/gopyro/pyro/naming/store"
)

// The name server's storage at scale. Default sizes 10k and 100k; add a million with -names:
//
//	go test -run '^$' -bench Scale -benchtime 1x ./naming/store/
//	go test -run '^$' -bench Scale -benchtime 1x -timeout 30m ./naming/store/ -names 10000,100000,1000000
//
// Each size registers that many names (a group of 100 shares a prefix; every 1000th name has
// the tag "rare", every name one of ten "kind:N" tags), then reports: reg/s (registrations per
// second, 64 writers, so the SQL store's group commit batches them), lookup p50 and p99 (ns),
// list-prefix (a 100-name prefix), regex (a pattern with a literal prefix, 100 matches),
// meta-rare (metadata_all of a tag 1 in 1000 names have), meta-any (metadata_any of it),
// reopen (SQL: opening the existing file and the first lookup) in µs, and heap-MB, the Go
// heap in use after a GC with the store open. BenchmarkScalePyro4 is the same with Pyro4's
// own name server object and storages in Debian's Python (no network either).
var scaleNames = flag.String("names", "10000,100000", "comma-separated store sizes for BenchmarkScale")

func BenchmarkScale(b *testing.B) {
	for _, kind := range []string{"memory", "sql"} {
		for _, n := range scaleSizes(b) {
			b.Run(fmt.Sprintf("%s/%d", kind, n), func(b *testing.B) {
				for b.Loop() {
					scaleRun(b, kind, n)
				}
			})
		}
	}
}

func scaleName(i int) string { return fmt.Sprintf("example.group%05d.object%07d", i/100, i) }

func scaleTags(i int) []string {
	tags := []string{"kind:" + strconv.Itoa(i%10)}
	if i%1000 == 0 {
		tags = append(tags, "rare")
	}
	return tags
}

func scaleRun(b *testing.B, kind string, n int) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "names.db")
	open := func() store.Store {
		if kind == "memory" {
			return store.NewMemory()
		}
		s, err := store.OpenSQL(path)
		if err != nil {
			b.Fatal(err)
		}
		return s
	}
	s := open()
	defer func() { s.Close() }()

	// Registration: 64 writers, as many clients of a name server would be.
	const writers = 64
	t0 := time.Now()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := w; i < n; i += writers {
				if err := s.Register(ctx, scaleName(i), "PYRO:obj_0123456789abcdef@localhost:45678", scaleTags(i), false); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(n)/time.Since(t0).Seconds(), "reg/s")

	// Lookups of random names, one at a time, for their latency distribution.
	lat := make([]time.Duration, 2000)
	for i := range lat {
		name := scaleName((i * 7919) % n)
		t := time.Now()
		if _, err := s.Lookup(ctx, name); err != nil {
			b.Fatal(err)
		}
		lat[i] = time.Since(t)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "lookup-p50-ns")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "lookup-p99-ns")

	// Queries: the median of 9, as other processes share the machine.
	query := func(unit string, f store.Filter, want int) {
		times := make([]time.Duration, 9)
		for i := range times {
			t := time.Now()
			got, err := s.List(ctx, f)
			if err != nil {
				b.Fatal(err)
			}
			times[i] = time.Since(t)
			if len(got) != want {
				b.Fatalf("%+v: %d entries, want %d", f, len(got), want)
			}
		}
		slices.Sort(times)
		b.ReportMetric(float64(times[len(times)/2].Nanoseconds())/1e3, unit)
	}
	mid := scaleName(n / 2)
	group := mid[:strings.Index(mid, ".object")+1] // "example.group00050."
	query("list-prefix-µs", store.Filter{Prefix: group}, 100)
	query("regex-µs", store.Filter{Regex: strings.ReplaceAll(group, ".", `\.`) + `object\d+`}, 100)
	query("meta-rare-µs", store.Filter{MetadataAll: []string{"rare"}}, n/1000)
	query("meta-any-µs", store.Filter{MetadataAny: []string{"rare"}}, n/1000)
	b.ReportMetric(heapMB(), "heap-MB")

	if kind == "sql" {
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		t := time.Now()
		s = open()
		if _, err := s.Lookup(ctx, mid); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(time.Since(t).Microseconds()), "reopen-µs")
		if fi, err := os.Stat(path); err == nil {
			b.ReportMetric(float64(fi.Size())/1e6, "file-MB")
		}
	}
}

// BenchmarkScalePyro4 is BenchmarkScale for Pyro4's NameServer object and storages (its
// MemoryStorage dict and SqlStorage), in Debian's Python, in process: the same names, tags,
// queries and metrics (maxrss-MB is the Python process's peak RSS).
//
//	go test -run '^$' -bench ScalePyro4 -benchtime 1x ./naming/store/ -names 10000,100000
func BenchmarkScalePyro4(b *testing.B) {
	pytest.Require(b)
	for _, kind := range []string{"memory", "sql"} {
		for _, n := range scaleSizes(b) {
			b.Run(fmt.Sprintf("%s/%d", kind, n), func(b *testing.B) {
				if kind == "sql" && n > pyro4SQLMax {
					b.Skipf("Pyro4's SqlStorage commits each name on its own (about 65 names/s here): %d would take hours", n)
				}
				for b.Loop() {
					cmd := exec.Command(pyfind.Interpreter, "testdata/scale_pyro4.py", kind, strconv.Itoa(n), filepath.Join(b.TempDir(), "names.db"))
					cmd.Env = pyfind.Env()
					out, err := cmd.CombinedOutput()
					if err != nil {
						b.Fatalf("%v\n%s", err, out)
					}
					for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
						unit, val, ok := strings.Cut(line, " ")
						v, err := strconv.ParseFloat(val, 64)
						if !ok || err != nil {
							b.Fatalf("python printed %q", line)
						}
						b.ReportMetric(v, unit)
					}
				}
			})
		}
	}
}

// pyro4SQLMax is the largest size BenchmarkScalePyro4 gives Pyro4's SqlStorage: 10k names
// take it about as long as a million take ours.
const pyro4SQLMax = 10000

func scaleSizes(b *testing.B) []int {
	var sizes []int
	for _, f := range strings.Split(*scaleNames, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1000 {
			b.Fatalf("-names: %q is not a size of at least 1000", f)
		}
		sizes = append(sizes, n)
	}
	return sizes
}
