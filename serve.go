package pyro

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"
)

// Listen opens the listener the configuration names (UnixSocket, or Host and Port) and sets
// the daemon's URIs from it. Pass it to Serve; ListenAndServe does both. The daemon owns the
// listener from here on: shutting down closes it, served or not.
func (d *Daemon) Listen() (net.Listener, error) {
	if d.isClosing() {
		return nil, ErrDaemonClosed
	}
	var (
		ln  net.Listener
		err error
	)
	host := orDefault(d.cfg.Host, DefaultHost)
	if d.cfg.UnixSocket != "" {
		ln, err = net.Listen("unix", d.cfg.UnixSocket)
	} else {
		ln, err = net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(d.cfg.Port)))
	}
	if err != nil {
		return nil, fmt.Errorf("pyro: daemon listen: %w", err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closing {
		ln.Close()
		return nil, ErrDaemonClosed
	}
	d.listeners[ln] = struct{}{}
	d.adoptLocationLocked(ln.Addr(), host)
	return ln, nil
}

// Attach makes ln one of the daemon's listeners and takes the URIs' location from it, as
// Serve does, but at once: objects registered after Attach get URIs with ln's address before
// Serve(ctx, ln) runs on another goroutine.
func (d *Daemon) Attach(ln net.Listener) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closing {
		ln.Close()
		return ErrDaemonClosed
	}
	d.listeners[ln] = struct{}{}
	d.adoptLocationLocked(ln.Addr(), d.cfg.Host)
	return nil
}

// ListenAndServe listens on the configured address and serves it (see Listen and Serve).
func (d *Daemon) ListenAndServe(ctx context.Context) error {
	ln, err := d.Listen()
	if err != nil {
		return err
	}
	return d.Serve(ctx, ln)
}

// Serve accepts connections on ln until Shutdown or Close (it then returns ErrDaemonClosed)
// or until ctx is done: it then shuts the whole daemon down gracefully (every listener and
// connection), waits for that to finish and returns ctx's error. The daemon owns ln and
// closes it at shutdown.
//
// The first listener the daemon serves gives its URIs their location, unless Listen did:
// the configured Host (or, without one, the listener's address; DefaultHost for a wildcard
// address) and the listener's port, or NATHost and NATPort. Serve takes it before it
// accepts, but it usually runs on another goroutine: to register objects before, call
// Listen or Attach first.
func (d *Daemon) Serve(ctx context.Context, ln net.Listener) error {
	if err := d.Attach(ln); err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { d.Shutdown(context.Background()) })
	defer stop()
	var tempDelay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if d.isClosing() {
				if ctx.Err() != nil {
					<-d.shutdownDone // the graceful shutdown ctx started
					return ctx.Err()
				}
				return ErrDaemonClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded) || isTemporary(err) {
				// Out of file descriptors and the like: back off instead of spinning.
				tempDelay = min(max(2*tempDelay, 5*time.Millisecond), time.Second)
				d.cfg.Logger.Warn("pyro: accept failed, retrying", "err", err, "delay", tempDelay)
				time.Sleep(tempDelay)
				continue
			}
			d.mu.Lock()
			delete(d.listeners, ln)
			d.mu.Unlock()
			ln.Close()
			return fmt.Errorf("pyro: accept: %w", err)
		}
		tempDelay = 0
		sc := newServerConn(d, nc)
		if err := d.track(sc); err != nil {
			d.cfg.Logger.Debug("pyro: closing a new connection at once", "remote", nc.RemoteAddr(), "err", err)
			nc.Close()
			continue
		}
		go sc.serve()
	}
}

// ServeConn serves one client connection (a socketpair, a TLS connection, ...) and returns
// when it ends. Cancelling ctx closes this connection (not the daemon) once its current call
// is answered. It returns nil when the client hung up, ErrDaemonClosed when the daemon shut
// down, ctx's error when ctx ended it, and the failure (a refused handshake, a protocol or
// HMAC error wrapping ErrCommunication) when the client broke the protocol.
func (d *Daemon) ServeConn(ctx context.Context, nc net.Conn) error {
	sc := newServerConn(d, nc)
	if err := d.track(sc); err != nil {
		nc.Close()
		return err
	}
	stop := context.AfterFunc(ctx, sc.closeIfIdle)
	defer stop()
	sc.serve()
	switch {
	case d.isClosing():
		return ErrDaemonClosed
	case ctx.Err() != nil:
		return ctx.Err()
	}
	return sc.failure
}

// track adds a connection to the daemon's set unless the daemon is shutting down.
// track adds a new connection to the daemon's, or says why it is to be closed at once: the
// daemon is closing (ErrDaemonClosed), or too many connections are being denied. A
// connection beyond MaxConnections is tracked to be denied (serverConn.deny).
func (d *Daemon) track(sc *serverConn) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closing {
		return ErrDaemonClosed
	}
	if limit := d.cfg.MaxConnections; limit > 0 && len(d.conns)-d.denying >= limit {
		if d.denying >= maxDenying {
			return fmt.Errorf("%w: %s", ErrConnectFailed, denyReason)
		}
		sc.deny = true
		d.denying++
	}
	d.conns[sc] = struct{}{}
	d.wg.Add(1)
	return nil
}

func isTemporary(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

func (d *Daemon) isClosing() bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.closing
}

// Shutdown stops accepting connections, lets calls in flight finish and their replies go out,
// closes every connection and returns. If ctx ends first, the remaining connections are closed
// at once and only then are the contexts of calls still running cancelled, so no caller gets
// a cancellation as a reply: it sees its connection closed (ErrCommunication). ctx's error
// is then returned without waiting for those calls.
func (d *Daemon) Shutdown(ctx context.Context) error {
	defer d.shutdownOnce.Do(func() { close(d.shutdownDone) })
	d.mu.Lock()
	d.closing = true
	lns := make([]net.Listener, 0, len(d.listeners))
	for ln := range d.listeners {
		lns = append(lns, ln)
	}
	clear(d.listeners)
	conns := d.connsLocked()
	d.mu.Unlock()
	for _, ln := range lns {
		ln.Close()
	}
	for _, c := range conns {
		c.closeIfIdle()
	}
	d.wcfg.Budget.Close() // a read waiting for memory would hold the shutdown up
	done := make(chan struct{})
	go func() { d.wg.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
		d.mu.Lock()
		conns = d.connsLocked()
		d.mu.Unlock()
		for _, c := range conns {
			c.forceClose()
		}
	}
	d.cancelBase()
	d.streams.closeAll()
	d.forgetObjects()
	return err
}

func (d *Daemon) connsLocked() []*serverConn {
	conns := make([]*serverConn, 0, len(d.conns))
	for c := range d.conns {
		conns = append(conns, c)
	}
	return conns
}

// Close shuts the daemon down at once: connections are closed, then the contexts of calls
// still running are cancelled.
func (d *Daemon) Close() error {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := d.Shutdown(ctx)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

func (d *Daemon) forget(c *serverConn) {
	d.mu.Lock()
	delete(d.conns, c)
	if c.deny {
		d.denying--
	}
	d.mu.Unlock()
}
