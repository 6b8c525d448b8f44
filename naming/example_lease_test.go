package naming_test

import (
	"context"
	"log"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/naming"
)

// A server ties its name to its own life: name servers on etcd storage drop the name within
// the lease's TTL once the process stops renewing it, killed or not. The client knows two
// name servers sharing one registry and moves to the second when the first is down.
func ExampleLease() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ns, err := naming.Locate(ctx, "ns1.example:9090,ns2.example:9090", 0)
	if err != nil {
		log.Fatal(err)
	}
	lease, err := ns.GrantLease(ctx, 10*time.Second)
	if err != nil {
		log.Fatal(err)
	}
	go func() {
		if err := lease.KeepAlive(ctx); err != nil && ctx.Err() == nil {
			log.Printf("lease lost: %v; register again", err)
		}
	}()
	uri, _ := pyro.ParseURI("PYRO:obj_1@10.0.0.5:45000")
	if err := ns.Register(ctx, "example.worker", uri, naming.RegisterOptions{Lease: lease}); err != nil {
		log.Fatal(err)
	}
}
