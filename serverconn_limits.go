package pyro

import (
	"errors"
	"fmt"

	"github.com/gopyro/pyro/internal/framing"
	"github.com/gopyro/pyro/internal/wire"
	"github.com/gopyro/pyro/internal/wire5"
)

// onewaySlot takes one of the connection's oneway slots (Limits.MaxOnewayPerConn) for a
// oneway call about to start, waiting while all are taken: the connection is not read
// meanwhile, so a client flooding oneway calls is held back by TCP flow control rather than
// refused. It returns the slots to give the slot back to (nil when unbounded), and false
// when the connection ended while it waited.
func (c *serverConn) onewaySlot() (chan struct{}, bool) {
	limit := c.d.cfg.MaxOnewayPerConn
	if limit < 0 {
		return nil, true
	}
	if c.oneway == nil {
		c.oneway = make(chan struct{}, max(limit, 1))
	}
	select {
	case c.oneway <- struct{}{}:
		return c.oneway, true
	case <-c.ctx.Done():
		return nil, false
	}
}

// overBudget reports a read or decode that failed because of the memory budget or a size
// limit: the reason the daemon closes a connection that an operator wants to see.
func overBudget(err error) bool {
	return errors.Is(err, framing.ErrBudget) || errors.Is(err, wire.ErrBusy) || errors.Is(err, wire5.ErrBusy) ||
		errors.Is(err, wire.ErrTooLarge) || errors.Is(err, wire5.ErrTooLarge)
}

// logReadFailure logs why a connection's read failed: a refused message at warning level
// (it is the daemon protecting itself, or a limit set too low), anything else for debugging.
func (c *serverConn) logReadFailure(err error) {
	if overBudget(err) {
		c.log().Warn("pyro: refused a message, closing the connection", "remote", c.nc.RemoteAddr(), "err", err)
		return
	}
	c.log().Debug("pyro: closing connection", "remote", c.nc.RemoteAddr(), "err", err)
}

// readFailure is the connection's failure after a read error (ServeConn's error).
func readFailure(err error) error {
	if errors.Is(err, framing.ErrBudget) {
		return fmt.Errorf("%w: %w", ErrOverBudget, err)
	}
	return connError(err)
}
