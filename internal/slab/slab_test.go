package slab

import "testing"

func TestTakeAndSlot(t *testing.T) {
	var s Slab[int]
	s.Reserve(5)
	a := s.Take(2)
	b := s.Take(2)
	a = append(a, 99) // capacity 2: must not spill into b
	if b[0] != 0 || len(a) != 3 {
		t.Fatalf("append spilled: a=%v b=%v", a, b)
	}
	p := s.Slot()
	*p = 7
	if q := s.Slot(); q == p || *q != 0 {
		t.Fatal("Slot after the reserved block")
	}
	if big := s.Take(10); len(big) != 10 || cap(big) != 10 {
		t.Fatalf("Take beyond the reserve: len %d cap %d", len(big), cap(big))
	}
}
