package naming

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/gopyro/pyro"
)

// ErrLeaseLost is returned by Lease.KeepAlive when the name server no longer knows the lease
// (it expired, or was revoked): its names are gone and must be registered anew.
var ErrLeaseLost = errors.New("naming: lease lost")

// Lease ties registrations to this process: names registered with it (RegisterOptions.Lease)
// vanish from the name server within its TTL once it is no longer renewed, for instance
// because the process died. Only name servers on etcd storage grant leases; others answer
// a NamingError, and pyro4-ns has no such method.
type Lease struct {
	c *Client
	// ID is the name server's lease id.
	ID int64
	// TTL is how long the lease lives without renewal.
	TTL time.Duration
}

// GrantLease asks the name server for a lease of ttl (rounded up to whole seconds). Run
// KeepAlive to renew it.
func (c *Client) GrantLease(ctx context.Context, ttl time.Duration) (*Lease, error) {
	secs := math.Ceil(ttl.Seconds())
	id, err := callT[int64](ctx, c, "lease_grant", secs)
	if err != nil {
		return nil, err
	}
	return &Lease{c: c, ID: id, TTL: time.Duration(secs) * time.Second}, nil
}

// Renew renews the lease once and returns the TTL the name server gives it.
func (l *Lease) Renew(ctx context.Context) (time.Duration, error) {
	secs, err := callT[float64](ctx, l.c, "lease_keepalive", l.ID)
	if err != nil {
		var re *pyro.RemoteError
		if errors.As(err, &re) && strings.Contains(re.Message(), "lease not found") {
			return 0, fmt.Errorf("%w: %d: %w", ErrLeaseLost, l.ID, err)
		}
		return 0, err
	}
	return time.Duration(secs * float64(time.Second)), nil
}

// KeepAlive renews the lease every TTL/3 until ctx is done (it then returns ctx's error) or
// the lease is lost (ErrLeaseLost). A failing renewal is retried every second meanwhile, on
// another name server when the client has several.
func (l *Lease) KeepAlive(ctx context.Context) error {
	every := max(l.TTL/3, 100*time.Millisecond)
	t := time.NewTimer(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		cctx, cancel := context.WithTimeout(ctx, every)
		_, err := l.Renew(cctx)
		cancel()
		switch {
		case errors.Is(err, ErrLeaseLost):
			return err
		case err != nil:
			t.Reset(min(time.Second, every))
		default:
			t.Reset(every)
		}
	}
}

// Revoke ends the lease at once: its names go.
func (l *Lease) Revoke(ctx context.Context) error {
	return l.c.call(ctx, "lease_revoke", nil, l.ID)
}
