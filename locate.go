package pyro

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"time"
)

// NameServerObjectID is the object id of every Pyro4 name server.
const NameServerObjectID = "Pyro.NameServer"

// LocateNS finds a name server and returns a proxy to it, the way Pyro4's locateNS does.
// With a host it connects there directly (port 0 means the configured NSPort). Without one
// it tries the configured NSHost directly when that is a loopback name, then a UDP broadcast
// on the port given (or NSBCPort), then NSHost:NSPort. The options configure the returned
// proxy and say where to look (WithNameServer, WithConfig); the environment is not read.
//
// host (or NSHost, when host is empty) may list several name servers serving one registry
// (etcd storage), comma-separated, each "host", "host:port", "[ipv6]:port" or "./u:socket":
// "ns1:9090,ns2:9090". They are tried in order, each for at most NSTryTimeout (a refused
// connection fails at once); without a host, a broadcast follows when none answers.
func LocateNS(ctx context.Context, host string, port int, opts ...ProxyOption) (*Proxy, error) {
	cfg := proxyConfigOf(opts).withDefaults()
	if strings.Contains(host, ",") {
		return locateAny(ctx, host, orDefault(port, cfg.NSPort), opts)
	}
	if host == "" && strings.Contains(cfg.NSHost, ",") {
		p, err := locateAny(ctx, cfg.NSHost, orDefault(port, cfg.NSPort), opts)
		if err == nil {
			return p, nil
		}
		if uri, berr := BroadcastLookup(ctx, orDefault(port, cfg.NSBCPort), nil); berr == nil {
			return NewProxyURI(uri, opts...)
		}
		return nil, err
	}
	if host != "" {
		return bindNS(ctx, nsURI(host, orDefault(port, cfg.NSPort)), opts)
	}
	if isLoopbackName(cfg.NSHost) {
		if p, err := bindNS(ctx, nsURI(cfg.NSHost, orDefault(port, cfg.NSPort)), opts); err == nil {
			return p, nil
		}
	}
	if uri, err := BroadcastLookup(ctx, orDefault(port, cfg.NSBCPort), nil); err == nil {
		return NewProxyURI(uri, opts...)
	}
	return bindNS(ctx, nsURI(cfg.NSHost, cfg.NSPort), opts)
}

func nsURI(host string, port int) URI {
	if strings.HasPrefix(host, "./u:") {
		return URI{Protocol: ProtocolPyro, Object: NameServerObjectID, SockPath: host[len("./u:"):]}
	}
	return URI{Protocol: ProtocolPyro, Object: NameServerObjectID, Host: host, Port: port}
}

func bindNS(ctx context.Context, u URI, opts []ProxyOption) (*Proxy, error) {
	p, err := NewProxyURI(u, opts...)
	if err != nil {
		return nil, err
	}
	if err := p.Bind(ctx); err != nil {
		return nil, fmt.Errorf("%w: failed to locate the nameserver at %s (is a name server running there? give its host and port, or WithNameServer): %w",
			ErrNaming, u.Location(), err)
	}
	return p, nil
}

func isLoopbackName(h string) bool {
	return h == "localhost" || h == "::1" || strings.HasPrefix(h, "127.")
}

// BroadcastLookup asks for a name server's URI with Pyro4's UDP broadcast ("GET_NSURI" to
// port), trying each address in addrs (default: the IPv4 broadcast address) up to three times,
// 0.7 s each, and returns the first answer.
func BroadcastLookup(ctx context.Context, port int, addrs []string) (URI, error) {
	if len(addrs) == 0 {
		addrs = []string{"255.255.255.255"}
	}
	pc, err := net.ListenPacket("udp4", ":0")
	if err != nil {
		return URI{}, fmt.Errorf("%w: broadcast: %w", ErrNaming, err)
	}
	defer pc.Close()
	if err := enableBroadcast(pc); err != nil {
		return URI{}, fmt.Errorf("%w: broadcast: %w", ErrNaming, err)
	}
	buf := make([]byte, 100)
	for range 3 {
		for _, a := range addrs {
			dst, err := net.ResolveUDPAddr("udp4", net.JoinHostPort(a, strconv.Itoa(port)))
			if err != nil {
				continue
			}
			pc.WriteTo([]byte("GET_NSURI"), dst)
		}
		deadline := time.Now().Add(700 * time.Millisecond)
		if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
			deadline = d
		}
		pc.SetReadDeadline(deadline)
		n, _, err := pc.ReadFrom(buf)
		if err == nil {
			return ParseURI(string(buf[:n]))
		}
		if ctx.Err() != nil {
			return URI{}, fmt.Errorf("%w: broadcast: %w", ErrNaming, ctx.Err())
		}
	}
	return URI{}, fmt.Errorf("%w: no name server answered the broadcast on port %d", ErrNaming, port)
}

// resolve turns a PYRONAME or PYROMETA URI into a PYRO one through the name server.
func resolve(ctx context.Context, u URI, cfg ProxyConfig) (URI, error) {
	switch u.Protocol {
	case ProtocolPyro:
		return u, nil
	case ProtocolPyroName, ProtocolPyroMeta:
	default:
		return URI{}, fmt.Errorf("pyro: cannot resolve %s", u)
	}
	ns, err := LocateNS(ctx, u.Host, u.Port, WithConfig(cfg))
	if err != nil {
		return URI{}, err
	}
	defer ns.Close()
	if u.Protocol == ProtocolPyroName {
		var found URI
		if err := ns.Call(ctx, "lookup", &found, u.Object); err != nil {
			return URI{}, err
		}
		return found, nil
	}
	var matches map[string]string
	if err := ns.Call(ctx, "list", &matches, Kwargs{"metadata_all": u.Tags()}); err != nil {
		return URI{}, err
	}
	if len(matches) == 0 {
		return URI{}, fmt.Errorf("%w: no registrations available with desired metadata properties %v", ErrNaming, u.Tags())
	}
	uris := make([]string, 0, len(matches))
	for _, s := range matches {
		uris = append(uris, s)
	}
	found, err := ParseURI(uris[rand.IntN(len(uris))])
	if err != nil {
		return URI{}, errors.Join(ErrNaming, err)
	}
	return found, nil
}
