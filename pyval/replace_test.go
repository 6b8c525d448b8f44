package pyval

import (
	"errors"
	"math/big"
	"testing"
)

type node struct {
	Name  string
	Peer  *node
	Peers []*node
	ByKey map[string]*node
	Any   any
}

// TestReplacer: every pointer, at any depth, is offered to the hook, and replaced ones
// are converted in place of what they point to.
func TestReplacer(t *testing.T) {
	special := &node{Name: "special"}
	replace := func(p any) (any, bool) {
		if p == special {
			return DictOf("__class__", "Proxy", "id", "special"), true
		}
		return nil, false
	}
	proxy := DictOf("__class__", "Proxy", "id", "special")
	in := node{Name: "root", Peer: special, Peers: []*node{special, {Name: "plain"}}, ByKey: map[string]*node{"k": special}, Any: []any{special}}
	got, err := NewReplacer(replace).FromGo(in)
	if err != nil {
		t.Fatal(err)
	}
	plain := DictOf("Name", "plain", "Peer", nil, "Peers", []any{}, "ByKey", NewDict(0), "Any", nil)
	want := DictOf("Name", "root", "Peer", proxy, "Peers", []any{proxy, plain}, "ByKey", DictOf("k", proxy), "Any", []any{proxy})
	if !Equal(got, want) {
		t.Fatalf("got  %s\nwant %s", Repr(got), Repr(want))
	}
	if got, err := NewReplacer(replace).FromGo(special); err != nil || !Equal(got, proxy) {
		t.Fatalf("top-level pointer: %s, %v", Repr(got), err)
	}

	// pyval's own pointers are never offered; without a hook it is FromGo
	offered := 0
	count := func(any) (any, bool) { offered++; return nil, false }
	if _, err := NewReplacer(count).FromGo([]any{NewDict(0), NewSet(), big.NewInt(1), new(big.Float)}); err != nil || offered != 0 {
		t.Fatalf("canonical pointers offered %d times (%v)", offered, err)
	}
	if got, err := NewReplacer(nil).FromGo(&in); err != nil || Repr(got) != Repr(mustFromGo(t, &in)) {
		t.Fatalf("nil hook: %s, %v", Repr(got), err)
	}

	// a hook that keeps answering with a pointer it replaces again ends in ErrTooDeep
	loop := func(any) (any, bool) { return &node{}, true }
	if _, err := NewReplacer(loop).FromGo(&node{}); !errors.Is(err, ErrTooDeep) {
		t.Fatalf("endless replacement: %v", err)
	}
}

func mustFromGo(t *testing.T, v any) any {
	t.Helper()
	c, err := FromGo(v)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestReplacerAllocs: converting with a Replacer costs what FromGo costs.
func TestReplacerAllocs(t *testing.T) {
	r := NewReplacer(func(any) (any, bool) { return nil, false })
	v := node{Name: "n", Peers: []*node{{Name: "a"}}, ByKey: map[string]*node{"k": {Name: "b"}}}
	plain := testing.AllocsPerRun(100, func() { FromGo(v) })
	hooked := testing.AllocsPerRun(100, func() { r.FromGo(v) })
	if hooked > plain {
		t.Errorf("a Replacer allocates %v times, FromGo %v", hooked, plain)
	}
}
