package pyro

import (
	"encoding/base64"
	"fmt"
	"reflect"
	"strings"

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
	var key, ser any
	if p.serializerSet {
		ser = p.cfg.Serializer // Pyro4 sends None unless the proxy's serializer was chosen
	}
	if len(p.cfg.HMACKey) > 0 {
		key = "b64:" + base64.StdEncoding.EncodeToString(p.cfg.HMACKey)
	}
	state := pyval.Tuple{u.String(), stringTuple(meta.Oneway), stringTuple(meta.Methods), stringTuple(meta.Attrs),
		0.0, key, p.cfg.HandshakeData, int64(0), ser}
	return pyval.DictOf("__class__", proxyClass, "state", state), nil
}

func stringTuple(s []string) pyval.Tuple {
	t := make(pyval.Tuple, len(s))
	for i, x := range s {
		t[i] = x
	}
	return t
}

// UnmarshalPython makes the proxy from a Pyro4 proxy class-dict (or a URI string), as a
// method parameter of type *pyro.Proxy receives a callback object. The proxy has the
// default configuration, with the serializer and HMAC key the sender put in it; it does
// not connect until used.
func (p *Proxy) UnmarshalPython(v any) error {
	var (
		uriText string
		meta    *metadata
		ser     string
		hmacKey []byte
	)
	switch x := v.(type) {
	case string:
		uriText = x
	case *pyval.Dict:
		if c, _ := pyval.ClassOf(x); c != proxyClass {
			return fmt.Errorf("pyro: a %s is not a proxy", pyval.TypeName(v))
		}
		st, _ := x.GetString("state")
		state, _ := asList(st)
		if len(state) < 8 {
			return fmt.Errorf("pyro: proxy state has %d items, want 8 or 9", len(state))
		}
		uriText, _ = state[0].(string)
		meta = &metadata{Oneway: namesOf(state[1]), Methods: namesOf(state[2]), Attrs: namesOf(state[3])}
		if k, ok := state[5].(string); ok && strings.HasPrefix(k, "b64:") {
			hmacKey, _ = base64.StdEncoding.DecodeString(k[4:])
		}
		if len(state) > 8 {
			ser, _ = state[8].(string)
		}
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
	p.uri, p.cfg, p.codec, p.wcfg, p.resolved, p.meta, p.pool, p.serializerSet = np.uri, np.cfg, np.codec, np.wcfg, np.resolved, np.meta, np.pool, np.serializerSet
	return nil
}

// proxyType is the parameter type that receives callback proxies.
var proxyType = reflect.TypeFor[*Proxy]()

// inherit gives a proxy that arrived in a message the settings of the side that received it:
// base's, with the serializer and HMAC key the sender put in it, when it did. It is only
// called before the proxy is used.
func (p *Proxy) inherit(base ProxyConfig) {
	if p == nil {
		return
	}
	if p.serializerSet {
		base.Serializer = p.cfg.Serializer
	}
	if len(p.cfg.HMACKey) > 0 {
		base.HMACKey = p.cfg.HMACKey
	}
	np, err := NewProxyURI(p.uri, WithConfig(base))
	if err != nil {
		return
	}
	p.cfg, p.codec, p.wcfg, p.pool = np.cfg, np.codec, np.wcfg, np.pool
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
	cfg := ProxyConfig{Transport: d.cfg.Transport}
	p, err := NewProxyURI(d.URIFor(id), append([]ProxyOption{WithConfig(cfg)}, opts...)...)
	if err != nil {
		return nil, err
	}
	meta := r.et.meta
	p.meta = &meta
	return p, nil
}
