package pyval

import (
	"testing"
	"time"
)

func TestDictKeysFollowPythonEquality(t *testing.T) {
	d := NewDict(0)
	d.Set(int64(1), "int")
	d.Set(true, "bool") // True == 1 in Python: replaces
	d.Set(1.0, "float") // 1.0 == 1: replaces
	d.Set(Tuple{"a", int64(2)}, "tuple")
	if d.Len() != 2 {
		t.Fatalf("len %d: %s", d.Len(), Repr(d))
	}
	if v, _ := d.Get(int64(1)); v != "float" {
		t.Errorf("d[1] = %v", v)
	}
	if v, ok := d.Get(Tuple{"a", 2.0}); !ok || v != "tuple" {
		t.Errorf("d[('a', 2.0)] = %v %v", v, ok)
	}
	for i := range 20 { // past the index threshold
		d.Set(int64(100+i), i)
	}
	if v, _ := d.Get(Tuple{"a", int64(2)}); v != "tuple" || d.Len() != 22 {
		t.Errorf("indexed lookup: %v, len %d", v, d.Len())
	}
	if !d.Delete(int64(105)) || d.Len() != 21 {
		t.Error("delete")
	}
}

func TestDeeplyNestedKeysHashInLinearTime(t *testing.T) {
	var k any = "leaf"
	for range 200 {
		k = Tuple{k, "x"}
	}
	start := time.Now()
	d := NewDict(1)
	d.Set(k, 1)
	if _, ok := d.Get(k); !ok {
		t.Fatal("nested key not found")
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("hashing a 200-deep key took %v", el)
	}
}

func TestNilSetIsSafe(t *testing.T) {
	var s *Set
	if TypeName(s) != "set" || Repr(s) != "set()" || s.Len() != 0 || s.Contains(1) {
		t.Error("nil *Set")
	}
}

func TestItems(t *testing.T) {
	frozen := NewSet("b", "a")
	frozen.Frozen = true
	for _, c := range []struct {
		in   any
		want any // a list, or nil for "not a sequence"
		ok   bool
	}{
		{[]any{int64(1), "x"}, []any{int64(1), "x"}, true},
		{Tuple{int64(1)}, []any{int64(1)}, true},
		{NewSet(int64(3), int64(1)), []any{int64(3), int64(1)}, true},
		{frozen, []any{"b", "a"}, true},
		{[]any(nil), []any{}, true},
		{(*Set)(nil), []any{}, true},
		{nil, nil, false},
		{"ab", nil, false},
		{[]byte("ab"), nil, false},
		{DictOf("a", 1), nil, false},
		{[]string{"a"}, nil, false},
	} {
		got, ok := Items(c.in)
		if ok != c.ok || ok && !Equal(append([]any{}, got...), c.want) || !ok && got != nil {
			t.Errorf("Items(%s) = %s, %v", Repr(c.in), Repr(got), ok)
		}
	}
	// lists and tuples are not copied
	l := []any{int64(1)}
	if got, _ := Items(l); &got[0] != &l[0] {
		t.Error("Items copied a list")
	}
}
