package store_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/gopyro/pyro/naming/store"
)

// Run with: go test -run '^$' -bench . -benchmem ./naming/store/
// The sql Register figure is the cost of a synced commit on the machine's disk.

func BenchmarkRegister(b *testing.B) {
	for _, st := range stores {
		b.Run(st.name, func(b *testing.B) {
			s := st.open(b)
			defer s.Close()
			meta := []string{"class:example.Thing", "floor:3"}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				name := fmt.Sprintf("bench.object%07d", i)
				if err := s.Register(ctx, name, "PYRO:obj_0123456789abcdef@localhost:45678", meta, false); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkRegisterParallel has 4 goroutines per core register distinct names, the load that
// group commit serves: the sql figure is the synced commit shared by a batch of writes.
func BenchmarkRegisterParallel(b *testing.B) {
	for _, st := range stores {
		b.Run(st.name, func(b *testing.B) {
			s := st.open(b)
			defer s.Close()
			meta := []string{"class:example.Thing", "floor:3"}
			var next atomic.Int64
			b.ReportAllocs()
			b.SetParallelism(4)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					name := fmt.Sprintf("bench.object%09d", next.Add(1))
					if err := s.Register(ctx, name, "PYRO:obj_0123456789abcdef@localhost:45678", meta, false); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

func BenchmarkLookup(b *testing.B) {
	for _, st := range stores {
		b.Run(st.name, func(b *testing.B) {
			s := st.open(b)
			defer s.Close()
			const n = 1000
			names := make([]string, n)
			for i := range names {
				names[i] = fmt.Sprintf("bench.object%07d", i)
				if err := s.Register(ctx, names[i], "PYRO:obj@localhost:45678", []string{"a", "b"}, false); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := s.Lookup(ctx, names[i%n]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

func BenchmarkLookupParallel(b *testing.B) {
	for _, st := range stores {
		b.Run(st.name, func(b *testing.B) {
			s := st.open(b)
			defer s.Close()
			if err := s.Register(ctx, "x", "PYRO:obj@localhost:45678", []string{"a"}, false); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := s.Lookup(ctx, "x"); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

var _ store.Store = store.NewMemory()

// BenchmarkListPrefix lists 10 of 20,000 names by prefix: the cost should follow the 10.
func BenchmarkListPrefix(b *testing.B) {
	for _, st := range stores {
		b.Run(st.name, func(b *testing.B) {
			s := st.open(b)
			defer s.Close()
			const n = 20_000
			for i := range n {
				// registered out of name order, so that the result needs ordering
				name := fmt.Sprintf("bench.%05d.object", (i*7919)%n)
				if err := s.Register(ctx, name, "PYRO:obj@localhost:45678", []string{"a"}, false); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			for b.Loop() {
				got, err := s.List(ctx, store.Filter{Prefix: "bench.0420"})
				if err != nil || len(got) != 10 {
					b.Fatalf("List = %d entries, %v", len(got), err)
				}
			}
		})
	}
}
