package naming_test

import (
	"context"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/naming"
	"github.com/gopyro/pyro/naming/nameserver"
	"github.com/gopyro/pyro/pyrotest"
)

// TestClientFailsOver: a client located through a list keeps working when its name server
// dies, on the next one; a client of one fixed URI does not move.
func TestClientFailsOver(t *testing.T) {
	first := pyrotest.NewNameServer(t, nameserver.Config{NoBroadcast: true})
	second := pyrotest.NewNameServer(t, nameserver.Config{NoBroadcast: true})
	ctx := context.Background()
	c, err := naming.Locate(ctx, first.URI().Address()+","+second.URI().Address(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fixed, _ := naming.NewClientURI(first.URI())
	defer fixed.Close()
	if err := fixed.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if u, err := c.Lookup(ctx, pyro.NameServerObjectID); err != nil || u != first.URI() {
		t.Fatalf("before: %v, %v", u, err)
	}
	first.Close()
	if u, err := c.Lookup(ctx, pyro.NameServerObjectID); err != nil || u != second.URI() {
		t.Fatalf("after the first died: %v, %v", u, err)
	}
	if c.Proxy().URI() != second.URI() {
		t.Errorf("client now uses %s", c.Proxy().URI())
	}
	if err := fixed.Ping(ctx); err == nil {
		t.Error("a fixed client answered through a dead name server")
	}
	// Memory storage has no leases: the client says so.
	if _, err := c.GrantLease(ctx, time.Second); err == nil {
		t.Error("lease granted by a memory name server")
	}
}
