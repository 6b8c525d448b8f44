package etcdstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gopyro/pyro/naming/store"
	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// value is what a registration's key holds.
type value struct {
	URI  string   `json:"uri"`
	Tags []string `json:"meta,omitempty"`
}

func decode(b []byte) (value, error) {
	var v value
	err := json.Unmarshal(b, &v)
	return v, err
}

// load reads the whole registry into a new local copy, in creation order, and marks it
// current as of the moment it asked.
func (s *Store) load(ctx context.Context) error {
	asked := time.Now()
	resp, err := s.cli.Get(ctx, s.keys, clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByCreateRevision, clientv3.SortAscend))
	if err != nil {
		return err
	}
	m, leased := store.NewMemory(), map[string]bool{}
	for _, kv := range resp.Kvs {
		s.applyPut(m, leased, kv)
	}
	s.mu.Lock()
	s.local, s.leased = m, leased // readers holding the old copy finish with it
	s.advance(resp.Header.Revision)
	s.lastErr = nil
	s.mu.Unlock()
	s.markFresh(asked)
	return nil
}

func (s *Store) applyPut(m *store.Memory, leased map[string]bool, kv *mvccpb.KeyValue) {
	name := strings.TrimPrefix(string(kv.Key), s.keys)
	if kv.Lease != 0 {
		leased[name] = true
	} else {
		delete(leased, name)
	}
	v, err := decode(kv.Value)
	if err != nil {
		s.log.Warn("etcdstore: ignoring a malformed registration", "key", string(kv.Key), "err", err)
		m.Remove(context.Background(), name)
		return
	}
	if err := m.Register(context.Background(), name, v.URI, v.Tags, false); err != nil {
		s.log.Warn("etcdstore: ignoring a malformed registration", "key", string(kv.Key), "err", err)
	}
}

// advance records that local reflects revision rev; the caller holds mu.
func (s *Store) advance(rev int64) {
	if rev > s.rev {
		s.rev = rev
		close(s.revCh)
		s.revCh = make(chan struct{})
	}
}

func (s *Store) markFresh(t time.Time) {
	for {
		old := s.fresh.Load()
		if t.UnixNano() <= old || s.fresh.CompareAndSwap(old, t.UnixNano()) {
			return
		}
	}
}

// waitRev waits until the local copy reflects revision rev (a write's), at most StaleAfter.
func (s *Store) waitRev(ctx context.Context, rev int64) {
	timer := time.NewTimer(s.cfg.StaleAfter)
	defer timer.Stop()
	for {
		s.mu.Lock()
		reached, ch := s.rev >= rev, s.revCh
		s.mu.Unlock()
		if reached {
			return
		}
		select {
		case <-ch:
		case <-timer.C:
			return
		case <-ctx.Done():
			return
		case <-s.ctx.Done():
			return
		}
	}
}

// run keeps the local copy current: watch from the loaded revision, and on any failure
// (compaction, lost leader, etcd down) reload and watch again, backing off up to a second.
func (s *Store) run() {
	defer s.wg.Done()
	backoff := 50 * time.Millisecond
	for s.ctx.Err() == nil {
		s.mu.Lock()
		from := s.rev + 1
		s.mu.Unlock()
		err := s.watch(from)
		if s.ctx.Err() != nil {
			return
		}
		s.setErr(err)
		s.log.Warn("etcdstore: watch ended, reloading", "err", err)
		for s.ctx.Err() == nil {
			lctx, cancel := s.reqCtx(s.ctx)
			err = s.load(lctx)
			cancel()
			if err == nil {
				backoff = 50 * time.Millisecond
				break
			}
			s.setErr(err)
			select {
			case <-s.ctx.Done():
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, time.Second)
		}
	}
}

func (s *Store) setErr(err error) {
	s.mu.Lock()
	s.lastErr = err
	s.mu.Unlock()
}

// watch applies events from revision from on until the watch fails. Meanwhile it asks for
// a progress notification every StaleAfter/4; each one proves the copy was current when asked.
func (s *Store) watch(from int64) error {
	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(s.ctx))
	defer cancel()
	wch := s.cli.Watch(wctx, s.keys, clientv3.WithPrefix(), clientv3.WithRev(from))
	tick := time.NewTicker(s.cfg.StaleAfter / 4)
	defer tick.Stop()
	var asked time.Time // when the outstanding progress request was sent
	request := func() {
		asked = time.Now()
		if err := s.cli.RequestProgress(wctx); err != nil {
			asked = time.Time{}
		}
	}
	request()
	// A watch that stops confirming is given up and the copy reloaded: after a whole
	// cluster restarts, a resumed watch stream was seen to answer no progress request at all.
	confirmed := time.Now()
	for {
		select {
		case <-tick.C:
			if time.Since(confirmed) > 2*s.cfg.StaleAfter {
				return fmt.Errorf("no progress confirmation from etcd for %s", 2*s.cfg.StaleAfter)
			}
			if asked.IsZero() || time.Since(asked) > s.cfg.StaleAfter/2 {
				request()
			}
		case resp, ok := <-wch:
			if !ok {
				return errors.New("watch channel closed")
			}
			if err := resp.Err(); err != nil {
				return err
			}
			if resp.IsProgressNotify() {
				s.mu.Lock()
				s.advance(resp.Header.Revision)
				s.mu.Unlock()
				if !asked.IsZero() {
					s.markFresh(asked)
					asked = time.Time{}
				}
				confirmed = time.Now()
				continue
			}
			s.apply(resp.Events, resp.Header.Revision)
		}
	}
}

// apply updates the local copy with a batch of events, in revision order.
func (s *Store) apply(events []*clientv3.Event, rev int64) {
	s.mu.Lock()
	m := s.local
	var gone []string
	for _, ev := range events {
		name := strings.TrimPrefix(string(ev.Kv.Key), s.keys)
		switch ev.Type {
		case mvccpb.PUT:
			s.applyPut(m, s.leased, ev.Kv)
		case mvccpb.DELETE:
			m.Remove(context.Background(), name)
			delete(s.leased, name)
			gone = append(gone, name)
		}
		rev = max(rev, ev.Kv.ModRevision)
	}
	s.advance(rev)
	s.mu.Unlock()
	for _, name := range gone {
		if _, ok := s.owned.Load(name); ok {
			s.wg.Add(1)
			go s.restoreOwned(name)
		}
	}
}

// Leased implements store.Leaser from the local copy.
func (s *Store) Leased(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.leased[name]
}

// view returns the local copy if it is provably current within StaleAfter, else ErrStale.
func (s *Store) view() (*store.Memory, error) {
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	age := time.Since(time.Unix(0, s.fresh.Load()))
	s.mu.Lock()
	m, why := s.local, s.lastErr
	s.mu.Unlock()
	if age > s.cfg.StaleAfter {
		if why == nil {
			why = errors.New("no progress confirmation from etcd")
		}
		return nil, fmt.Errorf("%w: nothing confirmed for %.1fs (bound %s): %w", ErrStale, age.Seconds(), s.cfg.StaleAfter, why)
	}
	return m, nil
}

// Lookup implements store.Store from the local copy.
func (s *Store) Lookup(ctx context.Context, name string) (store.Entry, error) {
	m, err := s.view()
	if err != nil {
		return store.Entry{}, err
	}
	return m.Lookup(ctx, name)
}

// List implements store.Store from the local copy, in creation-revision order.
func (s *Store) List(ctx context.Context, f store.Filter) ([]store.Entry, error) {
	m, err := s.view()
	if err != nil {
		return nil, err
	}
	return m.List(ctx, f)
}

// Count implements store.Store from the local copy.
func (s *Store) Count(ctx context.Context) (int, error) {
	m, err := s.view()
	if err != nil {
		return 0, err
	}
	return m.Count(ctx)
}
