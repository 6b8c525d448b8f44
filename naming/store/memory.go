package store

import (
	"cmp"
	"context"
	"slices"
	"sync"
)

// Memory is a volatile Store, Pyro4's default name server storage: a map under a
// readers-writer lock. Its contents vanish with it.
type Memory struct {
	mu      sync.RWMutex
	entries map[string]memEntry
	closed  bool
}

// memEntry is never modified once stored; updates replace it, so readers may share its tags.
type memEntry struct {
	uri  string
	tags []string // normalized
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory {
	return &Memory{entries: make(map[string]memEntry)}
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
	if _, ok := s.entries[name]; ok && safe {
		return exists(name)
	}
	s.entries[name] = memEntry{uri, tags}
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
	s.entries[name] = memEntry{e.uri, tags}
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
	delete(s.entries, name)
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
	n := 0
	for name, e := range s.entries {
		if m.matchName(name) && m.matchTags(e.tags) && !slices.Contains(keep, name) {
			delete(s.entries, name)
			n++
		}
	}
	return n, nil
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
	var out []Entry
	for name, e := range s.entries {
		if m.none {
			break
		}
		if m.matchName(name) && m.matchTags(e.tags) {
			out = append(out, Entry{Name: name, URI: e.uri, Metadata: e.tags})
		}
	}
	s.mu.RUnlock()
	// Sorting and copying happen outside the lock to keep writers waiting as little as possible.
	slices.SortFunc(out, func(a, b Entry) int { return cmp.Compare(a.Name, b.Name) })
	for i := range out {
		out[i].Metadata = slices.Clone(out[i].Metadata)
	}
	return out, nil
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
	return nil
}
