package tracing

import (
	"context"
	"encoding/hex"

	"github.com/gopyro/pyro"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// Daemon is a pyro.DaemonObserver making a server span per request, the child of the
// caller's span when the request carries a TRAC annotation. The span is in the context
// of the method (when it takes one), so the calls it makes are its children.
type Daemon struct{ tracer trace.Tracer }

// NewDaemonObserver returns the daemon's tracing observer (set it as
// DaemonConfig.Observer, or join it with others: pyro.JoinDaemonObservers).
func NewDaemonObserver(opts ...Option) *Daemon { return &Daemon{tracer: tracerOf(opts)} }

// ConnEvent implements pyro.DaemonObserver (connections make no spans).
func (*Daemon) ConnEvent(pyro.ConnEvent) {}

// StreamEvent implements pyro.DaemonObserver.
func (*Daemon) StreamEvent(int) {}

// CallStart implements pyro.DaemonObserver: it starts the server span.
func (d *Daemon) CallStart(ctx context.Context, ev *pyro.CallEvent) context.Context {
	if tp, ok := ev.Annotation(AnnotationKey); ok {
		if sc, ok := parseTraceparent(tp); ok {
			ctx = trace.ContextWithRemoteSpanContext(ctx, sc)
		}
	}
	ctx, span := d.tracer.Start(ctx, ev.Object+"/"+ev.Method, trace.WithSpanKind(trace.SpanKindServer))
	if span.IsRecording() {
		attrs := []attribute.KeyValue{
			attribute.String("rpc.system", "pyro"),
			attribute.String("rpc.service", ev.Object),
			attribute.String("rpc.method", ev.Method),
			attribute.String("pyro.serializer", ev.Serializer),
			attribute.String("pyro.protocol", ev.Conn.Protocol.String()),
			attribute.Bool("pyro.oneway", ev.Oneway),
			attribute.Int("pyro.request.size", ev.BytesIn),
		}
		if ev.Conn.RemoteAddr != nil {
			attrs = append(attrs, attribute.String("network.peer.address", ev.Conn.RemoteAddr.String()))
		}
		if ev.CorrelationID != ([16]byte{}) {
			attrs = append(attrs, attribute.String("pyro.correlation_id", hex.EncodeToString(ev.CorrelationID[:])))
		}
		if ev.Batch > 0 {
			attrs = append(attrs, attribute.Int("pyro.batch.size", ev.Batch))
		}
		span.SetAttributes(attrs...)
	}
	return ctx
}

// CallEnd implements pyro.DaemonObserver: it ends the server span with the call's outcome.
func (d *Daemon) CallEnd(ctx context.Context, ev *pyro.CallEvent) {
	span := trace.SpanFromContext(ctx)
	if span.IsRecording() {
		span.SetAttributes(attribute.Int("pyro.response.size", ev.BytesOut), attribute.Bool("pyro.stream", ev.Stream))
		endStatus(span, ev.Err)
	}
	span.End()
}

// endStatus marks a failed call's span with its exception class.
func endStatus(span trace.Span, err error) {
	if err == nil {
		span.SetStatus(codes.Ok, "")
		return
	}
	class := pyro.ExceptionClass(err)
	span.SetAttributes(attribute.String("pyro.exception.class", class))
	span.RecordError(err, trace.WithAttributes(attribute.String("exception.type", class)))
	span.SetStatus(codes.Error, class)
}
