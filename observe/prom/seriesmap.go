package prom

import (
	"maps"
	"sync"
	"sync/atomic"
)

// seriesMap caches a call's metric series by its labels. Calls read it without locking; a
// new key copies the map (keys are few and settle after the first calls).
type seriesMap[K comparable, V any] struct {
	mu sync.Mutex // serializes writers
	m  atomic.Pointer[map[K]V]
}

// get returns k's series, made by newSeries the first time k is seen.
func (s *seriesMap[K, V]) get(k K, newSeries func() V) V {
	if p := s.m.Load(); p != nil {
		if v, ok := (*p)[k]; ok {
			return v
		}
	}
	v := newSeries()
	s.mu.Lock()
	defer s.mu.Unlock()
	var old map[K]V
	if p := s.m.Load(); p != nil {
		old = *p
	}
	if prev, ok := old[k]; ok {
		return prev
	}
	next := make(map[K]V, len(old)+1)
	maps.Copy(next, old)
	next[k] = v
	s.m.Store(&next)
	return v
}

// all returns the series made so far.
func (s *seriesMap[K, V]) all() map[K]V {
	if p := s.m.Load(); p != nil {
		return *p
	}
	return nil
}
