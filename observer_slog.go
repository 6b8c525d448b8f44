package pyro

import (
	"context"
	"encoding/hex"
	"log/slog"
	"time"
)

// SlogObserver returns a DaemonObserver that logs one structured line per connection event
// (Info; handshake failures and refusals at Warn) and one per failed call (Warn), with the
// call's correlation id, the id Pyro already carries in every Pyro5 message and Pyro4's
// CORR annotation. Join it with others with JoinDaemonObservers.
func SlogObserver(l *slog.Logger) DaemonObserver { return slogObserver{l} }

type slogObserver struct{ l *slog.Logger }

func (o slogObserver) ConnEvent(ev ConnEvent) {
	level := slog.LevelInfo
	if ev.Kind == ConnRefused || ev.Kind == ConnHandshakeFailed {
		level = slog.LevelWarn
	}
	ctx := context.Background()
	if !o.l.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{slog.String("event", ev.Kind.String()), slog.Any("remote", ev.Conn.RemoteAddr),
		slog.String("protocol", ev.Conn.Protocol.String())}
	if ev.Err != nil {
		attrs = append(attrs, slog.String("err", ev.Err.Error()))
	}
	o.l.LogAttrs(ctx, level, "pyro: connection "+ev.Kind.String(), attrs...)
}

func (o slogObserver) CallStart(ctx context.Context, _ *CallEvent) context.Context { return ctx }

func (o slogObserver) CallEnd(ctx context.Context, ev *CallEvent) {
	if ev.Err == nil || !o.l.Enabled(ctx, slog.LevelWarn) {
		return
	}
	attrs := []slog.Attr{slog.String("object", ev.Object), slog.String("method", ev.Method),
		slog.String("class", ExceptionClass(ev.Err)), slog.String("err", ev.Err.Error()),
		slog.Any("remote", ev.Conn.RemoteAddr), slog.String("serializer", ev.Serializer),
		slog.Bool("oneway", ev.Oneway), slog.Duration("duration", time.Since(ev.Start))}
	if ev.CorrelationID != ([16]byte{}) {
		attrs = append(attrs, slog.String("correlation_id", hex.EncodeToString(ev.CorrelationID[:])))
	}
	o.l.LogAttrs(ctx, slog.LevelWarn, "pyro: call failed", attrs...)
}

func (slogObserver) StreamEvent(int) {}
