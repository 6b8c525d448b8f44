package wire

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/gopyro/pyro/internal/framing"
)

// BenchmarkReadLarge reads 1 MB and 16 MB frames, with and without a budget: the body grows
// from 1 MiB by four times what arrived, so a 16 MB frame is copied a third of its size once.
func BenchmarkReadLarge(b *testing.B) {
	for _, size := range []int{1 << 20, 16 << 20} {
		frame := mustAppend(b, &Message{Type: Result, SerializerID: 1, Data: random(size, 1)}, nil)
		for _, budget := range []*framing.Budget{nil, framing.NewBudget(1<<30, 0)} {
			b.Run(fmt.Sprintf("%dMB/budget=%t", size>>20, budget != nil), func(b *testing.B) {
				cfg := &Config{Budget: budget}
				r := bytes.NewReader(frame)
				b.ReportAllocs()
				b.SetBytes(int64(len(frame)))
				for b.Loop() {
					r.Reset(frame)
					m, err := Read(r, cfg)
					if err != nil {
						b.Fatal(err)
					}
					m.Held.Release()
				}
			})
		}
	}
}
