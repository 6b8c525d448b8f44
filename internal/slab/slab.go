// Package slab hands out values of one type from blocks allocated together, so that a decoder
// that has counted a message's values first makes one allocation per kind instead of one per
// value. The json and msgpack decoders use it for list items and dicts.
package slab

// chunk is the size of the blocks taken when the count made ahead fell short (it does for
// malformed input only).
const chunk = 8

// Slab hands out values of type T. The zero value is ready and allocates on first use.
type Slab[T any] struct{ free []T }

// Reserve makes room for n values in one block.
func (s *Slab[T]) Reserve(n int) {
	if n > 0 {
		s.free = make([]T, n)
	}
}

// Slot returns a pointer to an unused zero value.
func (s *Slab[T]) Slot() *T {
	if len(s.free) == 0 {
		s.free = make([]T, chunk)
	}
	p := &s.free[0]
	s.free = s.free[1:]
	return p
}

// Take returns n unused zero values as a slice whose capacity is exactly n, so appending to it
// cannot overwrite its neighbours. Without room for n reserved, it allocates them on their own.
func (s *Slab[T]) Take(n int) []T {
	if n > len(s.free) {
		return make([]T, n)
	}
	out := s.free[:n:n]
	s.free = s.free[n:]
	return out
}
