package json

import "unsafe"

// slab holds decoded values of one type, allocated together, that interfaces point to.
//
// Storing a string, float or slice in an interface allocates a copy of it on the heap, one
// allocation per value, which made up most of the decoder's cost. box instead points the
// interface at a slot of a slab allocated once per message. It relies on the layout of an
// interface holding a value that is not pointer-shaped (a type word, then a pointer to the
// value), which is what the runtime itself builds; the slot is never written again, as the
// runtime requires of boxed values.
type slab[T any] struct{ free []T }

// reserve makes room for n values, counted ahead of decoding.
func (s *slab[T]) reserve(n int) {
	if n > 0 {
		s.free = make([]T, n)
	}
}

// chunk is the size of the slabs taken when the count ahead of decoding fell short, as it
// does for malformed input only.
const chunk = 8

// slot returns an unused slot.
func (s *slab[T]) slot() *T {
	if len(s.free) == 0 {
		s.free = make([]T, chunk)
	}
	p := &s.free[0]
	s.free = s.free[1:]
	return p
}

// box returns v in an interface whose value lives in the slab.
func (s *slab[T]) box(v T) any {
	p := s.slot()
	*p = v
	var zero T
	x := any(zero) // the interface's type word; the zero value is boxed without allocating
	(*[2]unsafe.Pointer)(unsafe.Pointer(&x))[1] = unsafe.Pointer(p)
	return x
}
