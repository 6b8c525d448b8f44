package pyro

import (
	"encoding/base64"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

// proxyClass is the class-dict name Pyro4 gives proxies on the wire.
const proxyClass = "Pyro4.core.Proxy"

// MarshalPython sends the proxy as Pyro4 does, so the receiver (Go or Python) gets a proxy of
// its own to the same object: this is how callbacks are passed.
func (p *Proxy) MarshalPython() (any, error) {
	p.mu.Lock()
	u := p.resolved
	if u.Protocol == "" {
		u = p.uri
	}
	var meta metadata
	if p.meta != nil {
		meta = *p.meta
	}
	p.mu.Unlock()
	var ser any
	if p.serializerSet {
		ser = p.cfg.Serializer // Pyro4 sends None unless the proxy's serializer was chosen
	}
	return proxyDict(u, meta, p.cfg.HMACKey, p.cfg.HandshakeData, ser), nil
}

// proxyDict is Pyro4's proxy class-dict: the URI, the metadata, and the settings a proxy
// passes on (HMAC key, handshake data, serializer or None).
func proxyDict(u URI, meta metadata, hmacKey []byte, handshake, ser any) *pyval.Dict {
	var key any
	if len(hmacKey) > 0 {
		key = "b64:" + base64.StdEncoding.EncodeToString(hmacKey)
	}
	state := pyval.Tuple{u.String(), stringTuple(meta.Oneway), stringTuple(meta.Methods), stringTuple(meta.Attrs),
		0.0, key, handshake, int64(0), ser}
	return pyval.DictOf("__class__", proxyClass, "state", state)
}

func stringTuple(s []string) pyval.Tuple {
	t := make(pyval.Tuple, len(s))
	for i, x := range s {
		t[i] = x
	}
	return t
}

// UnmarshalPython makes the proxy from a proxy class-dict, Pyro4's (Pyro4.core.Proxy) or
// Pyro5's (Pyro5.client.Proxy), or from a URI string, as a method parameter of type
// *pyro.Proxy receives a callback object. The proxy has the default configuration, with the
// serializer and HMAC key the sender put in it; a Pyro5 proxy prefers Pyro5 (see
// AutoProtocol). It does not connect until used.
func (p *Proxy) UnmarshalPython(v any) error {
	var (
		uriText string
		meta    *metadata
		ser     string
		hmacKey []byte
		prefer  WireProtocol
	)
	switch x := v.(type) {
	case string:
		uriText = x
	case *pyval.Dict:
		c, _ := pyval.ClassOf(x)
		st, _ := x.GetString("state")
		state, _ := asList(st)
		switch c {
		case proxyClass:
			if len(state) < 8 {
				return fmt.Errorf("pyro: proxy state has %d items, want 8 or 9", len(state))
			}
			if k, ok := state[5].(string); ok && strings.HasPrefix(k, "b64:") {
				hmacKey, _ = base64.StdEncoding.DecodeString(k[4:])
			}
			if len(state) > 8 {
				ser, _ = state[8].(string)
			}
			prefer = Pyro4
		case pyro5ProxyClass:
			// (uri, oneway, methods, attrs, handshake, serializer)
			if len(state) < 6 {
				return fmt.Errorf("pyro: Pyro5 proxy state has %d items, want 6", len(state))
			}
			ser, _ = state[5].(string)
			prefer = Pyro5
		default:
			return fmt.Errorf("pyro: a %s is not a proxy", pyval.TypeName(v))
		}
		uriText, _ = state[0].(string)
		meta = &metadata{Oneway: namesOf(state[1]), Methods: namesOf(state[2]), Attrs: namesOf(state[3])}
	default:
		return fmt.Errorf("pyro: cannot make a proxy from a %s", pyval.TypeName(v))
	}
	u, err := ParseURI(uriText)
	if err != nil {
		return err
	}
	var cfg ProxyConfig
	if ser != "" {
		if _, err := serializer.ByName(ser); err == nil {
			cfg.Serializer = ser
		}
	}
	if hmacKey != nil {
		cfg.HMACKey = hmacKey
	}
	np, err := NewProxyURI(u, WithConfig(cfg))
	if err != nil {
		return err
	}
	if meta != nil && (len(meta.Methods) > 0 || len(meta.Attrs) > 0) {
		np.meta = meta
	}
	p.uri, p.cfg, p.codec, p.wcfg, p.w5cfg, p.resolved, p.meta, p.pool, p.serializerSet = np.uri, np.cfg, np.codec, np.wcfg, np.w5cfg, np.resolved, np.meta, np.pool, np.serializerSet
	p.prefer = prefer
	p.received = true
	return nil
}

// proxyType is the parameter type that receives callback proxies.
var proxyType = reflect.TypeFor[*Proxy]()

// inherit gives a proxy that arrived in a message the settings of the side that received it:
// base's, with the serializer and HMAC key the sender put in it, when it did. Unless base
// names a protocol, the proxy prefers the one of the message it came in (via), or the one its
// class-dict's spelling says. It changes only a proxy UnmarshalPython just made, before anyone
// used it.
func (p *Proxy) inherit(base ProxyConfig, via WireProtocol) {
	if p == nil || !p.received {
		return
	}
	p.received = false
	if p.serializerSet {
		base.Serializer = p.cfg.Serializer
	}
	if len(p.cfg.HMACKey) > 0 {
		base.HMACKey = p.cfg.HMACKey
	}
	if base.Protocol == Pyro5 && len(base.HMACKey) > 0 {
		base.Protocol = AutoProtocol // a key it was given makes it speak Pyro4
	}
	np, err := NewProxyURI(p.uri, WithConfig(base))
	if err != nil {
		return
	}
	p.cfg, p.codec, p.wcfg, p.w5cfg, p.pool = np.cfg, np.codec, np.wcfg, np.w5cfg, np.pool
	if p.prefer == AutoProtocol {
		p.prefer = via
	}
}

func namesOf(v any) []string {
	items, _ := pyval.Items(v)
	return stringsOf(items)
}

// ProxyFor returns a proxy for an object registered on this daemon, with its metadata filled
// in, for handing to clients (Pyro4's proxyFor): return it from a method and the caller gets a
// proxy to that object.
func (d *Daemon) ProxyFor(id string, opts ...ProxyOption) (*Proxy, error) {
	r := d.lookup(id)
	if r == nil {
		return nil, fmt.Errorf("pyro: ProxyFor %q: unknown object", id)
	}
	cfg := ProxyConfig{Transport: d.cfg.Transport, TLSConfig: d.cfg.ClientTLSConfig}
	p, err := NewProxyURI(d.URIFor(id), append([]ProxyOption{WithConfig(cfg)}, opts...)...)
	if err != nil {
		return nil, err
	}
	meta := r.et.meta
	p.meta = &meta
	return p, nil
}

// inheritProxies gives every proxy that just arrived inside v (a decoded argument or result:
// a *Proxy itself, or nested in slices, arrays, maps, struct fields and pointers) the
// receiver's settings, as inherit does for one. Types that cannot hold a *Proxy are not
// walked.
func inheritProxies(v reflect.Value, base ProxyConfig, via WireProtocol) {
	if holdsProxy(v.Type()) {
		walkProxies(v, base, via, 0)
	}
}

func walkProxies(v reflect.Value, base ProxyConfig, via WireProtocol, depth int) {
	if depth > pyval.MaxConvertDepth || !holdsProxy(v.Type()) {
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		if v.Type() == proxyType {
			v.Interface().(*Proxy).inherit(base, via)
			return
		}
		walkProxies(v.Elem(), base, via, depth+1)
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			walkProxies(v.Index(i), base, via, depth+1)
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			walkProxies(it.Key(), base, via, depth+1)
			walkProxies(it.Value(), base, via, depth+1)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				walkProxies(v.Field(i), base, via, depth+1)
			}
		}
	}
}

// holdsProxyCache remembers, per type, whether a value of it may hold a *Proxy (a cache
// like encoding/json's, not state: the answer never changes).
var holdsProxyCache sync.Map // reflect.Type → bool

// holdsProxy reports whether pyval.ToGo can put a *Proxy inside a value of type t; interfaces
// cannot (decoding into any gives maps, never proxies).
func holdsProxy(t reflect.Type) bool {
	if h, ok := holdsProxyCache.Load(t); ok {
		return h.(bool)
	}
	h := typeHoldsProxy(t, map[reflect.Type]bool{})
	holdsProxyCache.Store(t, h)
	return h
}

func typeHoldsProxy(t reflect.Type, seen map[reflect.Type]bool) bool {
	if t == proxyType {
		return true
	}
	if seen[t] {
		return false // a recursive type holds one only if some other path does
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return typeHoldsProxy(t.Elem(), seen)
	case reflect.Map:
		return typeHoldsProxy(t.Key(), seen) || typeHoldsProxy(t.Elem(), seen)
	case reflect.Struct:
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() && typeHoldsProxy(f.Type, seen) {
				return true
			}
		}
	}
	return false
}
