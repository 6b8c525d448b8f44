package nameserver

import (
	"context"
	"errors"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/naming/store"
	"github.com/gopyro/pyro/pyval"
)

// Leases tie registrations to the process that made them (etcd storage only). A client
// grants a lease, registers with RegisterLeased and renews the lease with LeaseKeepalive
// more often than its TTL; when it stops, its names vanish within the TTL. Leases belong to
// the storage, so any name server over the same etcd renews them. Python clients may call
// these too (ns.lease_grant(10), ...); those that don't get plain registrations.

// MaxLeaseTTL bounds a lease's TTL (one day): a longer one is a plain registration.
const MaxLeaseTTL = 24 * time.Hour

// leaseOptions names the lease methods' parameters for Python callers.
func leaseOptions() []pyro.RegisterOption {
	return []pyro.RegisterOption{
		pyro.WithParams("LeaseGrant", "ttl"),
		pyro.WithParams("LeaseKeepalive", "lease"),
		pyro.WithParams("LeaseRevoke", "lease"),
		pyro.WithParams("RegisterLeased", "name", "uri", "lease", "safe", "metadata"),
	}
}

func (ns *NameServer) leaser() (store.Leaser, error) {
	l, ok := store.Find[store.Leaser](ns.store)
	if !ok {
		return nil, storeError(store.ErrLeasesUnsupported)
	}
	return l, nil
}

// seconds reads a TTL in seconds (int or float) into a duration.
func seconds(v any) (time.Duration, error) {
	var f float64
	switch x := v.(type) {
	case int:
		f = float64(x)
	case int64:
		f = float64(x)
	case float64:
		f = x
	default:
		return 0, typeError("ttl must be a number of seconds")
	}
	if !(f > 0 && f <= MaxLeaseTTL.Seconds()) { // NaN too
		return 0, pyro.NewError("builtins.ValueError", "ttl must be between 1 and %d seconds", int(MaxLeaseTTL.Seconds()))
	}
	return time.Duration(f * float64(time.Second)), nil
}

// LeaseGrant creates a lease of ttl seconds (rounded up) and returns its id.
func (ns *NameServer) LeaseGrant(ctx context.Context, ttl pyval.Raw) (int64, error) {
	l, err := ns.leaser()
	if err != nil {
		return 0, err
	}
	d, err := seconds(ttl)
	if err != nil {
		return 0, err
	}
	id, _, err := l.GrantLease(ctx, d)
	return id, storeError(err)
}

// LeaseKeepalive renews a lease and returns its TTL in seconds; an expired or unknown lease
// raises NamingError.
func (ns *NameServer) LeaseKeepalive(ctx context.Context, lease int64) (float64, error) {
	l, err := ns.leaser()
	if err != nil {
		return 0, err
	}
	ttl, err := l.KeepAliveLease(ctx, lease)
	return ttl.Seconds(), storeError(err)
}

// LeaseRevoke ends a lease, removing the names registered with it.
func (ns *NameServer) LeaseRevoke(ctx context.Context, lease int64) error {
	l, err := ns.leaser()
	if err != nil {
		return err
	}
	return storeError(l.RevokeLease(ctx, lease))
}

// RegisterLeased is Register for a name that lives as long as the lease.
func (ns *NameServer) RegisterLeased(ctx context.Context, name, uri pyval.Raw, lease int64, safe bool, metadata pyval.Raw) error {
	l, err := ns.leaser()
	if err != nil {
		return err
	}
	n, u, t, err := registration(name, uri, metadata)
	if err != nil {
		return err
	}
	return storeError(l.RegisterLeased(ctx, n, u, t, safe, lease))
}

// isLeaseError reports whether err is about leases, which the name server words as NamingError.
func isLeaseError(err error) bool {
	return errors.Is(err, store.ErrNoLease) || errors.Is(err, store.ErrLeasesUnsupported)
}
