package nameserver

import (
	"context"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/naming"
	"github.com/gopyro/pyro/naming/store"
	"github.com/gopyro/pyro/naming/store/etcdstore"
)

// openEtcd opens "etcd:ENDPOINTS[/PREFIX]" without TLS or auth.
func openEtcd(spec string) (store.Store, error) {
	c, err := etcdstore.ParseSpec(spec)
	if err != nil {
		return nil, err
	}
	return etcdstore.Open(context.Background(), c)
}

// registerSelf registers the name server's own entry. On a storage shared by several name
// servers (etcd) it is tied to this one's session, so "Pyro.NameServer" names a live one.
func registerSelf(ctx context.Context, st store.Store, uri string) error {
	if o, ok := store.Find[store.Owner](st); ok {
		return o.RegisterOwned(ctx, pyro.NameServerObjectID, uri, []string{naming.SelfMetadata})
	}
	return st.Register(ctx, pyro.NameServerObjectID, uri, []string{naming.SelfMetadata}, false)
}
