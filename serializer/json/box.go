package json

// slab holds decoded values of one type, allocated together, that interfaces point to.
//
// Values a message holds by kind (list items, dicts, ...) are counted ahead of decoding and
// allocated together, one allocation per kind instead of one per value.
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
