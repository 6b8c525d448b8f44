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
	tagged  map[string]nameSet    // the names having each tag, for metadata queries
	next    uint64                // the seq of the next new name
	closed  bool
}

// memEntry is never modified once stored; updates replace it, so readers may share its tags.
type memEntry struct {
	seq  uint64 // when the name was registered: List's order
	uri  string
	tags []string // normalized
}

// nameSet is a set of names.
type nameSet = map[string]struct{}

// index moves name's entries in the tag index from the tags old to the tags new (both
// normalized); the caller holds the write lock.
func (s *Memory) index(name string, old, new []string) {
	for _, t := range old {
		if _, keep := slices.BinarySearch(new, t); keep {
			continue
		}
		if set := s.tagged[t]; set != nil {
			delete(set, name)
			if len(set) == 0 {
				delete(s.tagged, t)
			}
		}
	}
	for _, t := range new {
		set := s.tagged[t]
		if set == nil {
			set = make(nameSet)
			s.tagged[t] = set
		}
		set[name] = struct{}{}
	}
}

// btreeDegree suits short strings: nodes of up to 63 names, a few cache lines of headers.
const btreeDegree = 32

var _ Store = (*Memory)(nil)

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory {
	return &Memory{entries: make(map[string]memEntry), names: btree.NewOrderedG[string](btreeDegree), tagged: make(map[string]nameSet)}
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
	s.index(name, old.tags, tags)
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
	s.index(name, e.tags, tags)
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
	e, ok := s.entries[name]
	if ok {
		s.index(name, e.tags, nil)
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
		s.index(name, s.entries[name].tags, nil)
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
// in no particular order, and for at least those its metadata criteria select (the caller
// applies matchTags). A prefix, or a regex's literal prefix, reads only the names that have
// it; metadata criteria read only the names having the tags, from the tag index.
func (s *Memory) each(m *matcher, fn func(string, memEntry)) {
	if prefix := m.rangePrefix(); prefix != "" {
		s.names.AscendGreaterOrEqual(prefix, func(name string) bool {
			if !strings.HasPrefix(name, prefix) {
				return false
			}
			if m.matchName(name) {
				fn(name, s.entries[name])
			}
			return true
		})
		return
	}
	switch {
	case m.all != nil:
		// The names having every tag are among those having the rarest one.
		var smallest nameSet
		for i, t := range m.all {
			set := s.tagged[t]
			if i == 0 || len(set) < len(smallest) {
				smallest = set
			}
		}
		for name := range smallest {
			fn(name, s.entries[name])
		}
	case m.any != nil:
		seen := make(nameSet)
		for _, t := range m.any {
			for name := range s.tagged[t] {
				if _, dup := seen[name]; !dup {
					seen[name] = struct{}{}
					fn(name, s.entries[name])
				}
			}
		}
	default:
		for name, e := range s.entries {
			if m.matchName(name) {
				fn(name, e)
			}
		}
	}
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
	s.tagged = nil
	return nil
}
