package pyro

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

// Autoproxy, as Pyro4 does it: an object registered with a daemon travels as a proxy to
// itself wherever it appears in a message, never as a copy. That covers a daemon's results
// (the value itself, or nested in lists, maps, struct fields), and a proxy's arguments, which
// is how Pyro4's callback pattern works: a client registers a callback object with a daemon
// of its own and passes the object itself to a server, which calls it back.
//
// Pyro4 finds the daemon through the object's _pyroDaemon attribute. A Go pointer has no
// attributes, so the process keeps a side table: registeredObjects, maintained by Register,
// Unregister and Shutdown/Close. It is the one piece of process-wide mutable state in this
// package, and deliberately so: whether a pointer is a Pyro object is a fact about the
// process (as _pyroDaemon is a fact about the object), and any proxy, made anywhere, must be
// able to tell, or passing a callback would silently send a copy and leave the server
// waiting. It only ever holds pointers registered with a daemon that is not shut down, and
// the daemon's own Pyro.Daemon object is not in it.
//
// Identity is the pointer's (and its type's): Go may give every pointer to a zero-size value
// the same address, so registered objects of an empty struct type are not told apart, and
// any pointer to such a value is taken for the first one registered.

// objectRef is one registration of a pointer.
type objectRef struct {
	d  *Daemon
	id string
}

// objectTable maps registered pointers to their registrations, in registration order.
type objectTable struct {
	mu    sync.RWMutex
	byPtr map[any][]objectRef
	n     atomic.Int64 // registrations held, so an empty table costs one atomic load
}

var registeredObjects = objectTable{byPtr: map[any][]objectRef{}}

func (t *objectTable) add(ptr any, d *Daemon, id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.byPtr[ptr] = append(t.byPtr[ptr], objectRef{d, id})
	t.n.Add(1)
}

func (t *objectTable) remove(ptr any, d *Daemon, id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	refs := t.byPtr[ptr]
	for i, r := range refs {
		if r.d == d && r.id == id {
			refs = append(refs[:i:i], refs[i+1:]...)
			t.n.Add(-1)
			break
		}
	}
	if len(refs) == 0 {
		delete(t.byPtr, ptr)
	} else {
		t.byPtr[ptr] = refs
	}
}

// lookup finds a registration of ptr, on daemon prefer if it has one, else the oldest.
func (t *objectTable) lookup(ptr any, prefer *Daemon) (objectRef, bool) {
	if t.n.Load() == 0 {
		return objectRef{}, false
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	refs := t.byPtr[ptr]
	for _, r := range refs {
		if r.d == prefer {
			return r, true
		}
	}
	if len(refs) == 0 {
		return objectRef{}, false
	}
	return refs[0], true
}

func (t *objectTable) empty() bool { return t.n.Load() == 0 }

// proxyReplacer makes the pyval.Replacer that sends registered objects as proxies,
// preferring the registration on daemon prefer (nil: any).
func proxyReplacer(prefer *Daemon) *pyval.Replacer {
	return pyval.NewReplacer(func(ptr any) (any, bool) {
		ref, ok := registeredObjects.lookup(ptr, prefer)
		if !ok {
			return nil, false
		}
		v, ok := ref.d.proxyValue(ref.id)
		return v, ok
	})
}

// anyDaemon is the replacer a proxy's arguments go through: a registered object becomes a
// proxy to it on whichever daemon it is registered with. It is built once and never changes.
var anyDaemon = proxyReplacer(nil)

// withProxies converts v for the wire with registered objects replaced by proxies (r is
// anyDaemon or a daemon's own). v is returned as it is when it cannot hold a pointer or no
// object is registered anywhere: the codec converts it then.
func withProxies(v any, r *pyval.Replacer) (any, error) {
	if scalar(v) || registeredObjects.empty() {
		return v, nil
	}
	c, err := r.FromGo(v)
	if err != nil {
		return nil, conversionError(err)
	}
	return c, nil
}

// scalar reports whether v is a canonical scalar, which holds no pointer to replace.
func scalar(v any) bool {
	switch v.(type) {
	case nil, bool, int64, int, float64, string:
		return true
	}
	return false
}

// conversionError wraps a conversion error with the sentinel a codec's Marshal would have
// (serializer.Canonical's), so errors.Is sees the same either way.
func conversionError(err error) error {
	sentinel := serializer.ErrUnsupported
	if errors.Is(err, pyval.ErrTooDeep) {
		sentinel = serializer.ErrLimit
	}
	return fmt.Errorf("%w: %w", err, sentinel)
}

// argsWithProxies converts a call's arguments with registered objects replaced by proxies,
// so a callback object can be passed as itself (Pyro4's callback pattern). Scalar arguments
// cost nothing.
func argsWithProxies(args []any, kwargs *pyval.Dict) ([]any, *pyval.Dict, error) {
	if registeredObjects.empty() || allScalar(args) && kwargs.Len() == 0 {
		return args, kwargs, nil
	}
	a, err := withProxies(args, anyDaemon)
	if err != nil {
		return nil, nil, err
	}
	args = a.([]any)
	if kwargs.Len() > 0 {
		k, err := withProxies(kwargs, anyDaemon)
		if err != nil {
			return nil, nil, err
		}
		kwargs = k.(*pyval.Dict)
	}
	return args, kwargs, nil
}

func allScalar(vs []any) bool {
	for _, v := range vs {
		if !scalar(v) {
			return false
		}
	}
	return true
}

// proxyValue is the proxy class-dict of a registered object, as ProxyFor's proxy would
// marshal itself, made without a Proxy; false when the id is gone.
func (d *Daemon) proxyValue(id string) (*pyval.Dict, bool) {
	r := d.lookup(id)
	if r == nil {
		return nil, false
	}
	return proxyDict(d.URIFor(id), r.et.meta, d.cfg.HMACKey, "hello", nil), true
}

// forgetObjects takes the daemon's objects out of the autoproxy table: a proxy to a daemon
// that is shut down is of no use to anyone.
func (d *Daemon) forgetObjects() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.shutDown = true
	d.objects.Range(func(id, v any) bool {
		if r := v.(*registration); r.proxied != nil {
			registeredObjects.remove(r.proxied, d, id.(string))
		}
		return true
	})
}
