package store

import (
	"context"
	"errors"
	"time"
)

// ErrNoLease means a lease id is unknown to the storage, or its lease has expired.
var ErrNoLease = errors.New("lease not found or expired")

// ErrLeasesUnsupported means the storage cannot tie registrations to leases (memory, sql).
var ErrLeasesUnsupported = errors.New("this name server's storage has no leases (use etcd storage)")

// Leaser is implemented by stores whose registrations can be tied to a lease: a leased name
// disappears when its lease is revoked or not renewed within its TTL, so a name dies with
// the process that registered it. Leases are the storage's own (the etcd store's are etcd
// leases), so any name server over the same storage can renew them.
type Leaser interface {
	// GrantLease creates a lease living ttl (rounded up to whole seconds) unless renewed, and
	// returns its id and the TTL granted.
	GrantLease(ctx context.Context, ttl time.Duration) (id int64, granted time.Duration, err error)
	// KeepAliveLease renews the lease once and returns its TTL, or ErrNoLease.
	KeepAliveLease(ctx context.Context, id int64) (time.Duration, error)
	// RevokeLease ends the lease at once, removing every name registered with it.
	RevokeLease(ctx context.Context, id int64) error
	// RegisterLeased is Store.Register for a name that lives as long as the lease.
	RegisterLeased(ctx context.Context, name, uri string, metadata []string, safe bool, lease int64) error
	// Leased reports whether name's registration is held by a lease: its owner's renewals,
	// not the name server's autoclean, decide how long it lives.
	Leased(name string) bool
}

// Owner is implemented by stores shared by several name servers (etcd): RegisterOwned keeps
// a registration tied to this store's own session, restoring it when it disappears while the
// session lives and dropping it when the session ends. The name server registers its own
// entry with it, so that "Pyro.NameServer" always names a live name server.
type Owner interface {
	RegisterOwned(ctx context.Context, name, uri string, metadata []string) error
}

// Find returns s as a T (Leaser, Owner), looking through wrappers: a store that wraps another
// (observe/prom's metrics, say) has a method UnwrapStore() any returning the wrapped one, so
// the capabilities of the store underneath stay reachable. It is any so that a wrapper need
// not import this package (and link SQLite).
func Find[T any](s any) (T, bool) {
	for s != nil {
		if t, ok := s.(T); ok {
			return t, true
		}
		w, ok := s.(interface{ UnwrapStore() any })
		if !ok {
			break
		}
		s = w.UnwrapStore()
	}
	var zero T
	return zero, false
}
