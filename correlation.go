package pyro

import "context"

type correlationKey struct{}

// WithCorrelationID returns a context whose calls send id as their correlation id, as
// Python's current_context.correlation_id does: in the Pyro5 message header, or as Pyro4's
// CORR annotation. The daemon's method sees it in CallInfo.CorrelationID. It takes precedence
// over the id of the daemon call ctx belongs to (which a proxy otherwise passes on to Pyro5).
func WithCorrelationID(ctx context.Context, id [16]byte) context.Context {
	return context.WithValue(ctx, correlationKey{}, id)
}

// correlationFrom returns the id WithCorrelationID put in ctx.
func correlationFrom(ctx context.Context) ([16]byte, bool) {
	id, ok := ctx.Value(correlationKey{}).([16]byte)
	return id, ok
}
