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
// the daemon's URIs from it. Pass it to Serve; ListenAndServe does both.
func (d *Daemon) Listen() (net.Listener, error) {
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
	d.adoptLocationLocked(ln.Addr(), host)
	d.mu.Unlock()
	return ln, nil
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
// or until ctx is done (it then shuts the daemon down gracefully and returns ctx's error).
// The daemon owns ln and closes it at shutdown. The first listener the daemon serves gives
// its URIs their location, unless Listen did: the configured Host (or, without one, the
// listener's address) and the listener's port, or NATHost and NATPort.
func (d *Daemon) Serve(ctx context.Context, ln net.Listener) error {
	d.mu.Lock()
	if d.closing {
		d.mu.Unlock()
		ln.Close()
		return ErrDaemonClosed
	}
	d.listeners[ln] = struct{}{}
	d.adoptLocationLocked(ln.Addr(), d.cfg.Host)
	d.mu.Unlock()
	stop := context.AfterFunc(ctx, func() { d.Shutdown(context.Background()) })
	defer stop()
	var tempDelay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if d.isClosing() {
				if ctx.Err() != nil {
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
		if !d.track(sc) {
			nc.Close()
			continue
		}
		go sc.serve()
	}
}

// ServeConn serves one client connection (a socketpair, a TLS connection, ...) and returns
// when it ends: nil when the client hung up or broke the protocol, ErrDaemonClosed when the
// daemon is shut down. Cancelling ctx closes the connection once its current call is answered.
func (d *Daemon) ServeConn(ctx context.Context, nc net.Conn) error {
	sc := newServerConn(d, nc)
	if !d.track(sc) {
		nc.Close()
		return ErrDaemonClosed
	}
	stop := context.AfterFunc(ctx, sc.closeIfIdle)
	defer stop()
	sc.serve()
	if d.isClosing() {
		return ErrDaemonClosed
	}
	return nil
}

// track adds a connection to the daemon's set unless the daemon is shutting down.
func (d *Daemon) track(sc *serverConn) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closing {
		return false
	}
	d.conns[sc] = struct{}{}
	d.wg.Add(1)
	return true
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
	d.mu.Unlock()
}
