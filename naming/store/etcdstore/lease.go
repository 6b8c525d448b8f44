package etcdstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/gopyro/pyro/naming/store"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// leaseError maps etcd's "lease not found" to store.ErrNoLease.
func leaseError(err error, id clientv3.LeaseID) error {
	if errors.Is(err, rpctypes.ErrLeaseNotFound) || errors.Is(err, rpctypes.ErrGRPCLeaseNotFound) {
		return fmt.Errorf("%w: %d", store.ErrNoLease, id)
	}
	return err
}

// GrantLease implements store.Leaser with an etcd lease.
func (s *Store) GrantLease(ctx context.Context, ttl time.Duration) (int64, time.Duration, error) {
	if err := s.checkOpen(ctx); err != nil {
		return 0, 0, err
	}
	secs := int64((ttl + time.Second - 1) / time.Second)
	if secs < 1 {
		return 0, 0, fmt.Errorf("etcdstore: lease TTL %s: must be positive", ttl)
	}
	rctx, cancel := s.reqCtx(ctx)
	defer cancel()
	resp, err := s.cli.Grant(rctx, secs)
	if err != nil {
		return 0, 0, etcdError("grant lease", "", err)
	}
	return int64(resp.ID), time.Duration(resp.TTL) * time.Second, nil
}

// KeepAliveLease implements store.Leaser.
func (s *Store) KeepAliveLease(ctx context.Context, id int64) (time.Duration, error) {
	if err := s.checkOpen(ctx); err != nil {
		return 0, err
	}
	rctx, cancel := s.reqCtx(ctx)
	defer cancel()
	resp, err := s.cli.KeepAliveOnce(rctx, clientv3.LeaseID(id))
	if err != nil {
		return 0, leaseError(etcdError("keep lease alive", "", err), clientv3.LeaseID(id))
	}
	if resp.TTL <= 0 {
		return 0, fmt.Errorf("%w: %d", store.ErrNoLease, id)
	}
	return time.Duration(resp.TTL) * time.Second, nil
}

// RevokeLease implements store.Leaser.
func (s *Store) RevokeLease(ctx context.Context, id int64) error {
	if err := s.checkOpen(ctx); err != nil {
		return err
	}
	rctx, cancel := s.reqCtx(ctx)
	defer cancel()
	resp, err := s.cli.Revoke(rctx, clientv3.LeaseID(id))
	if err != nil {
		return leaseError(etcdError("revoke lease", "", err), clientv3.LeaseID(id))
	}
	s.waitRev(ctx, resp.Header.Revision)
	return nil
}

// RegisterOwned implements store.Owner: the entry is leased to this store's session and
// put back whenever it disappears (another name server registering the same name replaces
// it; when that one's session ends, this one restores its own).
func (s *Store) RegisterOwned(ctx context.Context, name, uri string, metadata []string) error {
	s.owned.Store(name, ownedEntry{uri, slices.Clone(metadata)})
	id := s.session.Load()
	if id == 0 {
		var err error
		if id, err = s.grantSession(ctx); err != nil {
			return err
		}
	}
	return s.RegisterLeased(ctx, name, uri, metadata, false, id)
}

// grantSession makes a new session lease (the previous one expired or never existed).
func (s *Store) grantSession(ctx context.Context) (int64, error) {
	id, _, err := s.GrantLease(ctx, s.cfg.SessionTTL)
	if err != nil {
		return 0, err
	}
	s.session.Store(id)
	return id, nil
}

// restoreOwned puts an owned entry back after it was deleted, unless another registration
// took its name meanwhile.
func (s *Store) restoreOwned(name string) {
	defer s.wg.Done()
	v, ok := s.owned.Load(name)
	id := s.session.Load()
	if !ok || id == 0 || s.ctx.Err() != nil {
		return
	}
	e := v.(ownedEntry)
	ctx, cancel := s.reqCtx(s.ctx)
	defer cancel()
	// A lost session lease is keepSession's to replace; it puts the owned entries back.
	if err := s.RegisterLeased(ctx, name, e.uri, e.tags, true, id); err != nil && !errors.Is(err, store.ErrExists) && !errors.Is(err, store.ErrNoLease) {
		s.log.Warn("etcdstore: could not restore an owned registration", "name", name, "err", err)
	}
}

// keepSession renews the session lease; when it is lost (etcd was away longer than its
// TTL) it grants a new one and puts the owned entries back under it.
func (s *Store) keepSession() {
	defer s.wg.Done()
	for s.ctx.Err() == nil {
		id := clientv3.LeaseID(s.session.Load())
		if id == 0 {
			if !s.hasOwned() {
				if !s.sleep(time.Second) {
					return
				}
				continue
			}
			ctx, cancel := s.reqCtx(s.ctx)
			nid, err := s.grantSession(ctx)
			cancel()
			if err != nil {
				s.sleep(time.Second)
				continue
			}
			s.owned.Range(func(k, v any) bool {
				e := v.(ownedEntry)
				ctx, cancel := s.reqCtx(s.ctx)
				s.RegisterLeased(ctx, k.(string), e.uri, e.tags, false, nid)
				cancel()
				return true
			})
			id = clientv3.LeaseID(nid)
		}
		ch, err := s.cli.KeepAlive(s.ctx, id)
		if err == nil {
			for range ch { // drained until the lease is gone or the store closes
			}
		}
		if s.ctx.Err() != nil {
			return
		}
		s.log.Warn("etcdstore: session lease lost, renewing", "lease", int64(id), "err", err)
		s.session.CompareAndSwap(int64(id), 0)
		s.sleep(200 * time.Millisecond)
	}
}

func (s *Store) hasOwned() bool {
	found := false
	s.owned.Range(func(any, any) bool { found = true; return false })
	return found
}

func (s *Store) sleep(d time.Duration) bool {
	select {
	case <-s.ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}
