package pyro_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/naming/nameserver"
	"github.com/gopyro/pyro/pyrotest"
)

// TestLocateNSList: a comma list of name servers binds the first that answers, from the host
// argument or from NSHost; a list of dead ones fails naming each, quickly.
func TestLocateNSList(t *testing.T) {
	live := pyrotest.NewNameServer(t, nameserver.Config{NoBroadcast: true}).URI()
	dead := pyrotest.NewNameServer(t, nameserver.Config{NoBroadcast: true})
	deadAddr := dead.URI().Address()
	dead.Close()
	ctx := context.Background()
	list := deadAddr + ", " + live.Address()
	p, err := pyro.LocateNS(ctx, list, 0)
	if err != nil {
		t.Fatal(err)
	}
	if p.URI() != live {
		t.Errorf("bound %s, want %s", p.URI(), live)
	}
	p.Close()
	p, err = pyro.LocateNS(ctx, "", 0, pyro.WithNameServer(list, 0), pyro.WithConfig(pyro.ProxyConfig{NSBCPort: 1}))
	if err != nil {
		t.Fatal(err)
	}
	if p.URI() != live {
		t.Errorf("through NSHost: bound %s, want %s", p.URI(), live)
	}
	p.Close()
	start := time.Now()
	_, err = pyro.LocateNS(ctx, deadAddr+","+deadAddr, 0)
	if !errors.Is(err, pyro.ErrNaming) || strings.Count(err.Error(), deadAddr) < 2 || time.Since(start) > 2*time.Second {
		t.Errorf("list of dead name servers: %v after %s", err, time.Since(start))
	}
	for _, bad := range []string{"a:1,,b:2", "a:1,b:99999", "a:1,b:x"} {
		if _, err := pyro.LocateNS(ctx, bad, 0); !errors.Is(err, pyro.ErrNaming) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
