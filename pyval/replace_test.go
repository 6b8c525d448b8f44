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

// TestFromGoReplacing: every pointer, at any depth, is offered to the hook, and replaced ones
// are converted in place of what they point to.
func TestFromGoReplacing(t *testing.T) {
	special := &node{Name: "special"}
	replace := func(p any) (any, bool) {
		if p == special {
			return DictOf("__class__", "Proxy", "id", "special"), true
		}
		return nil, false
	}
	proxy := DictOf("__class__", "Proxy", "id", "special")
	in := node{Name: "root", Peer: special, Peers: []*node{special, {Name: "plain"}}, ByKey: map[string]*node{"k": special}, Any: []any{special}}
	got, err := FromGoReplacing(in, replace)
	if err != nil {
		t.Fatal(err)
	}
	plain := DictOf("Name", "plain", "Peer", nil, "Peers", []any{}, "ByKey", NewDict(0), "Any", nil)
	want := DictOf("Name", "root", "Peer", proxy, "Peers", []any{proxy, plain}, "ByKey", DictOf("k", proxy), "Any", []any{proxy})
	if !Equal(got, want) {
		t.Fatalf("got  %s\nwant %s", Repr(got), Repr(want))
	}
	if got, err := FromGoReplacing(special, replace); err != nil || !Equal(got, proxy) {
		t.Fatalf("top-level pointer: %s, %v", Repr(got), err)
	}

	// pyval's own pointers are never offered; without a hook it is FromGo
	offered := 0
	count := func(any) (any, bool) { offered++; return nil, false }
	if _, err := FromGoReplacing([]any{NewDict(0), NewSet(), big.NewInt(1), new(big.Float)}, count); err != nil || offered != 0 {
		t.Fatalf("canonical pointers offered %d times (%v)", offered, err)
	}
	if got, err := FromGoReplacing(&in, nil); err != nil || Repr(got) != Repr(mustFromGo(t, &in)) {
		t.Fatalf("nil hook: %s, %v", Repr(got), err)
	}

	// a hook that keeps answering with a pointer it replaces again ends in ErrTooDeep
	loop := func(any) (any, bool) { return &node{}, true }
	if _, err := FromGoReplacing(&node{}, loop); !errors.Is(err, ErrTooDeep) {
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
