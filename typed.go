package pyro

import (
	"context"
	"fmt"
	"iter"

	"github.com/gopyro/pyro/pyval"
)

// Typed calls: Method0 to Method3 turn a remote method into a Go func once, so that every
// call through it has its argument and result types checked by the compiler:
//
//	getRate := pyro.Method1[string, Quote](p, "get_rate")
//	q, err := getRate(ctx, "EURUSD")
//
// A result type of struct{} discards the result (for methods returning None). NewClient
// fills a whole struct of such funcs at once.

// Method0 returns method of p as a typed func taking no arguments.
func Method0[R any](p *Proxy, method string) func(ctx context.Context) (R, error) {
	return func(ctx context.Context) (R, error) { return callTyped[R](ctx, p, method) }
}

// Method1 returns method of p as a typed func taking one argument.
func Method1[A, R any](p *Proxy, method string) func(ctx context.Context, a A) (R, error) {
	return func(ctx context.Context, a A) (R, error) { return callTyped[R](ctx, p, method, a) }
}

// Method2 returns method of p as a typed func taking two arguments.
func Method2[A, B, R any](p *Proxy, method string) func(ctx context.Context, a A, b B) (R, error) {
	return func(ctx context.Context, a A, b B) (R, error) { return callTyped[R](ctx, p, method, a, b) }
}

// Method3 returns method of p as a typed func taking three arguments.
func Method3[A, B, C, R any](p *Proxy, method string) func(ctx context.Context, a A, b B, c C) (R, error) {
	return func(ctx context.Context, a A, b B, c C) (R, error) { return callTyped[R](ctx, p, method, a, b, c) }
}

// callTyped is CallT, with struct{} meaning "no result".
func callTyped[R any](ctx context.Context, p *Proxy, method string, args ...any) (R, error) {
	var out R
	if p == nil {
		return out, fmt.Errorf("pyro: call %s: nil proxy", method)
	}
	var target any = &out
	if _, none := target.(*struct{}); none {
		target = nil
	}
	err := p.Call(ctx, method, target, args...)
	return out, err
}

// StreamT is Proxy.Stream with its items converted to T. An item that does not convert ends
// the stream (closing the remote one) with an error naming the call.
//
//	for n, err := range pyro.StreamT[int](ctx, p, "countdown", 3) { ... }
func StreamT[T any](ctx context.Context, p *Proxy, method string, args ...any) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		if p == nil {
			var zero T
			yield(zero, fmt.Errorf("pyro: call %s: nil proxy", method))
			return
		}
		for item, err := range p.Stream(ctx, method, args...) {
			var v T
			if err == nil {
				err = p.convertItem(method, len(args), item, &v)
			}
			if !yield(v, err) || err != nil {
				return
			}
		}
	}
}

// convertItem converts a stream item into out (a pointer); a proxy among them talks as p does.
func (p *Proxy) convertItem(method string, nargs int, item, out any) error {
	if err := pyval.ToGo(item, out); err != nil {
		return p.callError("call", method, nargs, fmt.Errorf("stream item: %w", err))
	}
	if pp, ok := out.(**Proxy); ok {
		(*pp).inherit(p.cfg, p.WireProtocol())
	}
	return nil
}
