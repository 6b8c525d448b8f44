package tracing

import (
	"context"
	"time"

	"github.com/gopyro/pyro"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// Proxy is a pyro.ProxyObserver making a client span per call, a child of the span in the
// call's context, and sending its context with the request (the TRAC annotation).
type Proxy struct{ tracer trace.Tracer }

// NewProxyObserver returns the proxy's tracing observer (pyro.WithObserver).
func NewProxyObserver(opts ...Option) *Proxy { return &Proxy{tracer: tracerOf(opts)} }

// CallStart implements pyro.ProxyObserver: it starts the client span and puts its context in
// the request's annotations.
func (p *Proxy) CallStart(ctx context.Context, ev *pyro.ProxyCallEvent) context.Context {
	ctx, span := p.tracer.Start(ctx, ev.Method, trace.WithSpanKind(trace.SpanKindClient))
	if sc := span.SpanContext(); sc.IsValid() {
		ev.Annotations = pyro.Annotations{AnnotationKey: formatTraceparent(sc)}
	}
	if span.IsRecording() {
		span.SetAttributes(attribute.String("rpc.system", "pyro"), attribute.String("rpc.method", ev.Method),
			attribute.String("pyro.target", ev.Target))
		if ev.Batch > 0 {
			span.SetAttributes(attribute.Int("pyro.batch.size", ev.Batch))
		}
	}
	return ctx
}

// CallEnd implements pyro.ProxyObserver: it names the span after the object called and ends
// it with the call's outcome.
func (p *Proxy) CallEnd(ctx context.Context, ev *pyro.ProxyCallEvent) {
	span := trace.SpanFromContext(ctx)
	if span.IsRecording() {
		if ev.Object != "" {
			span.SetName(ev.Object + "/" + ev.Method)
		}
		span.SetAttributes(attribute.String("rpc.service", ev.Object), attribute.String("pyro.serializer", ev.Serializer),
			attribute.String("pyro.protocol", ev.Protocol.String()), attribute.Bool("pyro.oneway", ev.Oneway),
			attribute.Int("pyro.request.size", ev.BytesOut), attribute.Int("pyro.response.size", ev.BytesIn))
		endStatus(span, ev.Err)
	}
	span.End()
}

// Dialed implements pyro.ProxyObserver; dials are left to metrics (the event has no context).
func (p *Proxy) Dialed(pyro.DialEvent) {}

// PoolWaited implements pyro.ProxyObserver (left to metrics, as Dialed).
func (p *Proxy) PoolWaited(string, time.Duration) {}
