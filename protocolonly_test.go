package pyro_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/pyrotest"
)

type twoAPIs struct{}

func (twoAPIs) Common() string              { return "common" }
func (twoAPIs) Find4(name string) string    { return "pyro4 " + name }
func (twoAPIs) Find5(name, x string) string { return "pyro5 " + name + x }
func (twoAPIs) Only5() string               { return "only5" }

// TestWithProtocolOnly: each protocol's clients see their own method under a shared name,
// and neither the other's metadata nor its methods.
func TestWithProtocolOnly(t *testing.T) {
	uri := pyrotest.Serve(t, twoAPIs{},
		pyro.WithName("Find4", "find"), pyro.WithName("Find5", "find"),
		pyro.WithProtocolOnly(pyro.Pyro4, "Find4"), pyro.WithProtocolOnly(pyro.Pyro5, "Find5", "Only5"))
	ctx := context.Background()
	for _, c := range []struct {
		proto   pyro.WireProtocol
		methods []string
		find    string
	}{
		{pyro.Pyro4, []string{"common", "find"}, "pyro4 a"},
		{pyro.Pyro5, []string{"common", "find", "only5"}, "pyro5 ab"},
	} {
		p := pyrotest.NewProxy(t, uri, pyro.WithProtocol(c.proto))
		methods, _, _, err := p.Metadata(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(methods, c.methods) {
			t.Errorf("%v: methods %v, want %v", c.proto, methods, c.methods)
		}
		var s string
		args := []any{"a"}
		if c.proto == pyro.Pyro5 {
			args = append(args, "b")
		}
		if err := p.Call(ctx, "find", &s, args...); err != nil || s != c.find {
			t.Errorf("%v: find = %q, %v; want %q", c.proto, s, err, c.find)
		}
		if err := p.Call(ctx, "common", &s); err != nil || s != "common" {
			t.Errorf("%v: common = %q, %v", c.proto, s, err)
		}
	}
	// A Pyro4 client cannot reach a Pyro5-only method.
	p := pyrotest.NewProxy(t, uri, pyro.WithProtocol(pyro.Pyro4))
	var s string
	if err := p.Call(ctx, "only5", &s); err == nil {
		t.Errorf("Pyro4 client calling only5: %q, no error", s)
	}
}

// TestWithProtocolOnlyConflicts: a protocol-only method may not take a name every client
// reaches, and options must name exposed methods.
func TestWithProtocolOnlyConflicts(t *testing.T) {
	d := pyrotest.NewDaemon(t, pyro.DaemonConfig{})
	_, err := d.Register(twoAPIs{}, pyro.WithName("Only5", "common"), pyro.WithProtocolOnly(pyro.Pyro5, "Only5"))
	if err == nil || !strings.Contains(err.Error(), "which every client already reaches") {
		t.Errorf("shadowing a common method: %v", err)
	}
	_, err = d.Register(twoAPIs{}, pyro.WithProtocolOnly(pyro.Pyro5, "Typo"))
	if err == nil || !strings.Contains(err.Error(), "Typo") {
		t.Errorf("unknown method: %v", err)
	}
}
