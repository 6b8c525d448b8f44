package pyro

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
)

// ConnInfo describes one client connection of a daemon: Pyro4's current_context.client and
// the conn its Daemon.validateHandshake and clientDisconnect get. Every context the daemon
// gives out for the connection carries the same *ConnInfo (DaemonConfig.Handshake's, the
// methods', the factories', DaemonConfig.OnDisconnect's), so it can key per-connection
// state. Its fields are set before the handshake hook runs and never change after it; do not
// modify them.
type ConnInfo struct {
	// RemoteAddr is the client's address, LocalAddr the daemon's end of the connection.
	RemoteAddr, LocalAddr net.Addr
	// Handshake is the data the client sent in its handshake (Pyro4's proxy._pyroHandshake,
	// ProxyConfig.HandshakeData).
	Handshake any
	// Annotations are the custom annotations of the client's CONNECT message (nil when it
	// sent none). A Pyro4 proxy sends its _pyroAnnotations() there too.
	Annotations Annotations
	// Protocol is the wire protocol the client speaks, Pyro4 or Pyro5, as the connection's
	// first bytes said.
	Protocol WireProtocol
	// TLS is the state of a TLS connection once its handshake is done (nil without TLS),
	// as http.Request.TLS: PeerCertificates[0] is the client's certificate when it sent
	// one (Pyro's conn.getpeercert()), verified when the daemon requires it.
	TLS *tls.ConnectionState
}

type connInfoKey struct{}

// ConnInfoFrom returns the connection ctx belongs to: in DaemonConfig.Handshake and
// DaemonConfig.OnDisconnect, in a method that takes a context and in a factory that does.
func ConnInfoFrom(ctx context.Context) (*ConnInfo, bool) {
	ci, ok := ctx.Value(connInfoKey{}).(*ConnInfo)
	return ci, ok
}

// errHandshakePanic is the reason a client is given when the handshake hook panicked: the
// panic itself is logged, not sent.
var errHandshakePanic = errors.New("handshake failed: internal server error")

// handshakeHook runs DaemonConfig.Handshake, turning a panic into a refusal.
func (c *serverConn) handshakeHook(ctx context.Context, data any) (answer any, err error) {
	defer func() {
		if p := recover(); p != nil {
			c.log().Error("pyro: DaemonConfig.Handshake panicked", "remote", c.info.RemoteAddr, "panic", p)
			answer, err = nil, errHandshakePanic
		}
	}()
	return c.d.cfg.Handshake(ctx, data)
}

// disconnected runs DaemonConfig.OnDisconnect for a connection that passed its handshake, as
// Pyro4 calls clientDisconnect. A panic in it is logged: the daemon carries on.
func (c *serverConn) disconnected() {
	f := c.d.cfg.OnDisconnect
	if f == nil {
		return
	}
	defer func() {
		if p := recover(); p != nil {
			c.log().Error("pyro: DaemonConfig.OnDisconnect panicked", "remote", c.info.RemoteAddr, "panic", p)
		}
	}()
	f(c.detached)
}
