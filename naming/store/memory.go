package store

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/google/btree"
)

// Memory is a volatile Store, Pyro4's default name server storage: a map under a
// readers-writer lock. Its contents vanish with it.
//
// List returns entries in registration order, as Pyro4's dict-based storage does: a name
// keeps its place when it is registered again or its metadata changes, and goes to the end
// when it is removed and registered anew. Lookups are one map access; a prefix List reads
// only the names with that prefix, from a B-tree of the names.
type Memory struct {
	mu      sync.RWMutex
	entries map[string]memEntry
	names   *btree.BTreeG[string] // every name, in byte order, for prefix ranges
	next    uint64                // the seq of the next new name
	closed  bool
}

// memEntry is never modified once stored; updates replace it, so readers may share its tags.
type memEntry struct {
	seq  uint64 // when the name was registered: List's order
	uri  string
	tags []string // normalized
}

// btreeDegree suits short strings: nodes of up to 63 names, a few cache lines of headers.
const btreeDegree = 32

var _ Store = (*Memory)(nil)

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory {
	return &Memory{entries: make(map[string]memEntry), names: btree.NewOrderedG[string](btreeDegree)}
}

// Register implements Store.
func (s *Memory) Register(ctx context.Context, name, uri string, metadata []string, safe bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkText(name, uri, metadata); err != nil {
		return err
	}
	tags := normalizeTags(metadata)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	old, ok := s.entries[name]
	if ok && safe {
		return exists(name)
	}
	if !ok {
		old.seq = s.next
		s.next++
		s.names.ReplaceOrInsert(name)
	}
	s.entries[name] = memEntry{old.seq, uri, tags}
	return nil
}

// Lookup implements Store.
func (s *Memory) Lookup(ctx context.Context, name string) (Entry, error) {
	if err := ctx.Err(); err != nil {
		return Entry{}, err
	}
	s.mu.RLock()
	e, ok := s.entries[name]
	closed := s.closed
	s.mu.RUnlock()
	if closed {
		return Entry{}, ErrClosed
	}
	if !ok {
		return Entry{}, notFound(name)
	}
	return e.entry(name), nil
}

// entry copies the tags out so that callers cannot change the stored ones.
func (e memEntry) entry(name string) Entry {
	return Entry{Name: name, URI: e.uri, Metadata: slices.Clone(e.tags)}
}

// SetMetadata implements Store.
func (s *Memory) SetMetadata(ctx context.Context, name string, metadata []string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkText("", "", metadata); err != nil {
		return err
	}
	tags := normalizeTags(metadata)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	e, ok := s.entries[name]
	if !ok {
		return notFound(name)
	}
	s.entries[name] = memEntry{e.seq, e.uri, tags}
	return nil
}

// Remove implements Store.
func (s *Memory) Remove(ctx context.Context, name string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false, ErrClosed
	}
	_, ok := s.entries[name]
	if ok {
		delete(s.entries, name)
		s.names.Delete(name)
	}
	return ok, nil
}

// RemoveMatching implements Store.
func (s *Memory) RemoveMatching(ctx context.Context, f Filter, keep ...string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	m, err := compileFilter(f)
	if err != nil {
		return 0, err
	}
	if m.empty() || m.none {
		return 0, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, ErrClosed
	}
	var doomed []string
	s.each(m, func(name string, e memEntry) {
		if m.matchTags(e.tags) && !slices.Contains(keep, name) {
			doomed = append(doomed, name)
		}
	})
	for _, name := range doomed {
		delete(s.entries, name)
		s.names.Delete(name)
	}
	return len(doomed), nil
}

// List implements Store.
func (s *Memory) List(ctx context.Context, f Filter) ([]Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m, err := compileFilter(f)
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return nil, ErrClosed
	}
	type found struct {
		seq uint64
		e   Entry
	}
	var sel []found
	if !m.none {
		s.each(m, func(name string, e memEntry) {
			if m.matchTags(e.tags) {
				sel = append(sel, found{e.seq, Entry{Name: name, URI: e.uri, Metadata: e.tags}})
			}
		})
	}
	s.mu.RUnlock()
	// Sorting and copying happen outside the lock to keep writers waiting as little as possible.
	slices.SortFunc(sel, func(a, b found) int { return cmp.Compare(a.seq, b.seq) })
	var out []Entry
	if len(sel) > 0 {
		out = make([]Entry, len(sel))
	}
	for i, f := range sel {
		out[i] = f.e
		out[i].Metadata = slices.Clone(f.e.Metadata)
	}
	return out, nil
}

// each calls fn, under the caller's lock, for every entry whose name m's name criteria select,
// in no particular order. A prefix reads only the names that have it.
func (s *Memory) each(m *matcher, fn func(string, memEntry)) {
	if m.prefix == "" {
		for name, e := range s.entries {
			if m.matchName(name) {
				fn(name, e)
			}
		}
		return
	}
	s.names.AscendGreaterOrEqual(m.prefix, func(name string) bool {
		if !strings.HasPrefix(name, m.prefix) {
			return false
		}
		fn(name, s.entries[name])
		return true
	})
}

// Count implements Store.
func (s *Memory) Count(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return 0, ErrClosed
	}
	return len(s.entries), nil
}

// Close implements Store: it drops every registration.
func (s *Memory) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.entries = nil
	s.names = nil
	return nil
}
