package pyro_test

import (
	"context"
	"errors"
	"testing"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/pyrotest"
)

// TestDecodeExpansionBudget: a request whose frame fits the memory budget but whose values
// would not (a list of zeros: a few bytes each on the wire, sixteen in Go) is refused while
// it decodes, its connection closed as for an over-budget frame, in every serializer; one
// that fits is served, and so are other clients.
func TestDecodeExpansionBudget(t *testing.T) {
	d := pyrotest.NewDaemon(t, pyro.DaemonConfig{Limits: pyro.Limits{MemoryBudget: 16 << 20, MemoryBudgetWait: -1}})
	uri, err := d.Register(lenCounter{}, pyro.WithID("len"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	other := pyrotest.NewProxy(t, uri)
	for _, ser := range []string{"serpent", "json", "marshal", "msgpack"} {
		t.Run(ser, func(t *testing.T) {
			p := pyrotest.NewProxy(t, uri, pyro.WithSerializer(ser))
			var n int
			if err := p.Call(ctx, "count", &n, make([]any, 200_000)); err != nil || n != 200_000 {
				t.Fatalf("200k zeros (3 MiB decoded): %d, %v", n, err)
			}
			big := make([]any, 1_500_000) // under 16 MiB on the wire in every serializer, 24 MiB and more decoded
			for i := range big {
				big[i] = 0
			}
			err := p.Call(ctx, "count", &n, big)
			if err == nil || !errors.Is(err, pyro.ErrCommunication) {
				t.Fatalf("1.5M zeros: %d, %v; want the connection closed (ErrCommunication)", n, err)
			}
			if err := other.Call(ctx, "count", &n, []any{1, 2}); err != nil || n != 2 {
				t.Fatalf("another client after the refusal: %d, %v", n, err)
			}
		})
	}
}

type lenCounter struct{}

func (lenCounter) Count(v []any) int { return len(v) }
