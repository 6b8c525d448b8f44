package etcdstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"unicode/utf8"

	"github.com/gopyro/pyro/naming/store"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// maxTxnOps stays under etcd's default --max-txn-ops (128).
const maxTxnOps = 100

func encode(uri string, tags []string) (string, error) {
	if !utf8.ValidString(uri) {
		return "", fmt.Errorf("%w: uri %q", store.ErrInvalidText, uri)
	}
	for _, t := range tags {
		if !utf8.ValidString(t) {
			return "", fmt.Errorf("%w: metadata %q", store.ErrInvalidText, t)
		}
	}
	if len(tags) > 0 {
		tags = slices.Clone(tags)
		slices.Sort(tags)
		tags = slices.Compact(tags)
	}
	b, err := json.Marshal(value{URI: uri, Tags: tags})
	return string(b), err
}

func (s *Store) checkOpen(ctx context.Context) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	return ctx.Err()
}

// Register implements store.Store: it returns once etcd committed the registration.
func (s *Store) Register(ctx context.Context, name, uri string, metadata []string, safe bool) error {
	return s.put(ctx, name, uri, metadata, safe, clientv3.NoLease)
}

// RegisterLeased implements store.Leaser.
func (s *Store) RegisterLeased(ctx context.Context, name, uri string, metadata []string, safe bool, lease int64) error {
	if lease == 0 {
		return fmt.Errorf("%w: 0", store.ErrNoLease)
	}
	return s.put(ctx, name, uri, metadata, safe, clientv3.LeaseID(lease))
}

func (s *Store) put(ctx context.Context, name, uri string, metadata []string, safe bool, lease clientv3.LeaseID) error {
	if err := s.checkOpen(ctx); err != nil {
		return err
	}
	if !utf8.ValidString(name) {
		return fmt.Errorf("%w: name %q", store.ErrInvalidText, name)
	}
	val, err := encode(uri, metadata)
	if err != nil {
		return err
	}
	key := s.keys + name
	var opts []clientv3.OpOption
	if lease != clientv3.NoLease {
		opts = append(opts, clientv3.WithLease(lease))
	}
	rctx, cancel := s.reqCtx(ctx)
	defer cancel()
	var rev int64
	if safe {
		resp, err := s.cli.Txn(rctx).If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).Then(clientv3.OpPut(key, val, opts...)).Commit()
		if err != nil {
			return leaseError(etcdError("register", name, err), lease)
		}
		if !resp.Succeeded {
			return fmt.Errorf("%w: %s", store.ErrExists, name)
		}
		rev = resp.Header.Revision
	} else {
		resp, err := s.cli.Put(rctx, key, val, opts...)
		if err != nil {
			return leaseError(etcdError("register", name, err), lease)
		}
		rev = resp.Header.Revision
	}
	s.waitRev(ctx, rev)
	return nil
}

// SetMetadata implements store.Store. The entry keeps its URI, its lease and its place.
func (s *Store) SetMetadata(ctx context.Context, name string, metadata []string) error {
	if err := s.checkOpen(ctx); err != nil {
		return err
	}
	key := s.keys + name
	for range 20 { // compare-and-swap: retry when a concurrent write got there first
		rctx, cancel := s.reqCtx(ctx)
		got, err := s.cli.Get(rctx, key)
		if err != nil {
			cancel()
			return etcdError("set metadata of", name, err)
		}
		if len(got.Kvs) == 0 {
			cancel()
			return fmt.Errorf("%w: %s", store.ErrNotFound, name)
		}
		kv := got.Kvs[0]
		old, err := decode(kv.Value)
		if err != nil {
			cancel()
			return fmt.Errorf("etcdstore: %s: malformed value: %w", name, err)
		}
		val, err := encode(old.URI, metadata)
		if err != nil {
			cancel()
			return err
		}
		var opts []clientv3.OpOption
		if kv.Lease != 0 {
			opts = append(opts, clientv3.WithLease(clientv3.LeaseID(kv.Lease)))
		}
		resp, err := s.cli.Txn(rctx).If(clientv3.Compare(clientv3.ModRevision(key), "=", kv.ModRevision)).Then(clientv3.OpPut(key, val, opts...)).Commit()
		cancel()
		if err != nil {
			return etcdError("set metadata of", name, err)
		}
		if resp.Succeeded {
			s.waitRev(ctx, resp.Header.Revision)
			return nil
		}
	}
	return fmt.Errorf("etcdstore: set metadata of %s: too many concurrent changes", name)
}

// Remove implements store.Store.
func (s *Store) Remove(ctx context.Context, name string) (bool, error) {
	if err := s.checkOpen(ctx); err != nil {
		return false, err
	}
	rctx, cancel := s.reqCtx(ctx)
	defer cancel()
	resp, err := s.cli.Delete(rctx, s.keys+name)
	if err != nil {
		return false, etcdError("remove", name, err)
	}
	s.waitRev(ctx, resp.Header.Revision)
	return resp.Deleted > 0, nil
}

// RemoveMatching implements store.Store: it selects from the local copy (which must be
// current) and deletes those names in transactions of up to 100; names another name server
// removed meanwhile are not counted.
func (s *Store) RemoveMatching(ctx context.Context, f store.Filter, keep ...string) (int, error) {
	if err := s.checkOpen(ctx); err != nil {
		return 0, err
	}
	m, err := s.view()
	if err != nil {
		return 0, err
	}
	if f.Prefix == "" && f.Regex == "" && len(f.MetadataAll) == 0 && len(f.MetadataAny) == 0 {
		return 0, nil
	}
	entries, err := m.List(ctx, f)
	if err != nil {
		return 0, err
	}
	var ops []clientv3.Op
	for _, e := range entries {
		if !slices.Contains(keep, e.Name) {
			ops = append(ops, clientv3.OpDelete(s.keys+e.Name))
		}
	}
	n := 0
	var rev int64
	for chunk := range slices.Chunk(ops, maxTxnOps) {
		rctx, cancel := s.reqCtx(ctx)
		resp, err := s.cli.Txn(rctx).Then(chunk...).Commit()
		cancel()
		if err != nil {
			return n, etcdError("remove matching", "", err)
		}
		for _, r := range resp.Responses {
			n += int(r.GetResponseDeleteRange().Deleted)
		}
		rev = resp.Header.Revision
	}
	s.waitRev(ctx, rev)
	return n, nil
}
