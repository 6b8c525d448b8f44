package naming

import (
	"context"
	"errors"

	"github.com/gopyro/pyro"
)

// call makes a call on the name server. A client made by Locate fails over: when the call
// fails to communicate (the name server is down or went away) and ctx is not done, it locates
// a name server again (the next one of a list, another by broadcast) and makes the call
// once more there. A call is then made at least once: a safe Register whose first attempt
// committed before its name server died answers "name already registered".
func (c *Client) call(ctx context.Context, method string, out any, args ...any) error {
	p := c.Proxy()
	err := p.Call(ctx, method, out, args...)
	if err == nil || c.relocate == nil || !errors.Is(err, pyro.ErrCommunication) || ctx.Err() != nil {
		return err
	}
	np, lerr := c.relocate(ctx)
	if lerr != nil {
		return errors.Join(err, lerr)
	}
	c.mu.Lock()
	if c.p == p {
		c.p = np
		np = nil
	}
	cur := c.p
	c.mu.Unlock()
	p.Close()
	if np != nil { // another call failed over first
		np.Close()
	}
	return cur.Call(ctx, method, out, args...)
}

func callT[T any](ctx context.Context, c *Client, method string, args ...any) (T, error) {
	var out T
	err := c.call(ctx, method, &out, args...)
	return out, err
}
