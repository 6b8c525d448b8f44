// Package tracing makes OpenTelemetry spans of pyro calls through the root package's
// observer seam: a client span per proxy call (NewProxyObserver) and a server span per
// request a daemon serves (NewDaemonObserver). Only programs importing it link OpenTelemetry.
//
// The trace context travels inside the Pyro message as the custom annotation "TRAC"
// (AnnotationKey), whose value is a W3C traceparent in text: "00-<trace id, 32 hex>-<parent
// span id, 16 hex>-<flags, 2 hex>" (55 bytes). A Go daemon continues the caller's trace; a
// Python Pyro4 or Pyro5 peer keeps unknown annotations to itself (they reach only
// current_context.annotations), so it neither fails nor passes the context on.
//
// Spans are recorded by the TracerProvider given with WithTracerProvider, or else the
// global one (otel.GetTracerProvider), which records nothing until a program installs one:
// tracing is off unless someone asks.
package tracing

import (
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"
)

// AnnotationKey is the Pyro annotation carrying the W3C traceparent.
const AnnotationKey = "TRAC"

// ScopeName is the instrumentation scope of the spans.
const ScopeName = "github.com/gopyro/pyro/observe/tracing"

// Option configures an observer.
type Option func(*config)

type config struct {
	tp trace.TracerProvider
}

// WithTracerProvider records spans with tp instead of the global provider.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) { c.tp = tp }
}

func tracerOf(opts []Option) trace.Tracer {
	var c config
	for _, o := range opts {
		o(&c)
	}
	if c.tp == nil {
		c.tp = otel.GetTracerProvider() // the global delegate: follows a provider installed later
	}
	return c.tp.Tracer(ScopeName)
}
