package pyro

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// TLS on both ends: the daemon wraps what it serves in tls.Server, the proxy what it dials in
// tls.Client. URIs and name server entries are the same as without TLS, as in Pyro: whether
// to speak TLS is each side's configuration, not the address's.

// tlsServer makes nc a TLS server connection when the daemon has a TLSConfig, unless it is
// one already (ServeConn on a connection the caller wrapped).
func (d *Daemon) tlsServer(nc net.Conn) net.Conn {
	if d.cfg.TLSConfig == nil {
		return nc
	}
	if _, ok := nc.(*tls.Conn); ok {
		return nc
	}
	return tls.Server(nc, d.cfg.TLSConfig)
}

// tlsHandshake runs a TLS connection's handshake within limit (0: none), before the Pyro
// handshake, so that ConnInfo.TLS is known to the Handshake hook and every method. A failed
// one (a plain client, a certificate refused by either side) ends this connection only; the
// client learns what TLS tells it (an alert), nothing more.
func (c *serverConn) tlsHandshake(limit time.Duration) bool {
	tc, ok := c.nc.(*tls.Conn)
	if !ok {
		return true
	}
	ctx := c.ctx
	if limit > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, limit)
		defer cancel()
	}
	if err := tc.HandshakeContext(ctx); err != nil {
		c.failure = fmt.Errorf("%w: TLS handshake: %w", ErrCommunication, err)
		c.log().Debug("pyro: TLS handshake failed", "remote", c.info.RemoteAddr, "err", err)
		lingerRaw(tc.NetConn())
		return false
	}
	st := tc.ConnectionState()
	c.info.TLS = &st
	return true
}

// lingerRaw closes the socket under a failed TLS handshake gracefully: a client refused
// for its certificate has sent its first request meanwhile (TLS 1.3 finishes the client's
// side first), and closing with that unread would reset the connection and could discard
// the alert that tells it why. Bounded by lingerTime and 64 KiB, like lingerClose.
func lingerRaw(nc net.Conn) {
	if cw, ok := nc.(interface{ CloseWrite() error }); ok && cw.CloseWrite() == nil {
		nc.SetReadDeadline(time.Now().Add(lingerTime))
		io.Copy(io.Discard, io.LimitReader(nc, 64<<10))
	}
	nc.Close()
}

// startTLS makes a dialed connection a TLS client connection when the proxy has a TLSConfig
// (unless Dial returned one) and handshakes within ctx and CommTimeout, checking the
// daemon's certificate against the URI's host.
func (p *Proxy) startTLS(ctx context.Context, nc net.Conn, u URI) (net.Conn, error) {
	cfg := p.cfg.TLSConfig
	if cfg == nil {
		return nc, nil
	}
	tc, ok := nc.(*tls.Conn)
	if !ok {
		if cfg.ServerName == "" {
			cfg = cfg.Clone()
			cfg.ServerName = u.Host
			if u.SockPath != "" || u.Host == "" {
				cfg.ServerName = "localhost"
			}
		}
		tc = tls.Client(nc, cfg)
	}
	if t := p.cfg.CommTimeout; t > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t)
		defer cancel()
	}
	if err := tc.HandshakeContext(ctx); err != nil {
		nc.Close()
		var rh tls.RecordHeaderError
		switch {
		case ctx.Err() != nil:
			err = fmt.Errorf("%w (%w)", err, ctx.Err())
		case errors.As(err, &rh):
			err = fmt.Errorf("%w (the daemon does not speak TLS)", err)
		}
		return nil, fmt.Errorf("%w: TLS handshake with %s: %w", ErrCommunication, u.Location(), err)
	}
	return tc, nil
}

// tlsHint adds to a proxy's failed handshake without TLS, when the daemon hung up without
// a word (as a TLS daemon does on a plain client), that TLS may be what it wants.
func (p *Proxy) tlsHint(err error) error {
	if p.cfg.TLSConfig == nil && errors.Is(err, errNoAnswer) {
		return fmt.Errorf("%w (does the daemon require TLS? see ProxyConfig.TLSConfig, PYRO_SSL)", err)
	}
	return err
}
