package tracing_test

import (
	"context"
	"fmt"
	"log"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/observe/tracing"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// A traced proxy calling a traced daemon: the client span's context travels in the TRAC
// annotation and the daemon's span continues the trace.
func Example() {
	exp := tracetest.NewInMemoryExporter() // in production: otlptracehttp or stdouttrace
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer tp.Shutdown(context.Background())

	d, _ := pyro.NewDaemon(pyro.DaemonConfig{Host: "127.0.0.1",
		Observer: tracing.NewDaemonObserver(tracing.WithTracerProvider(tp))})
	ln, _ := d.Listen()
	uri, _ := d.Register(Leaf{}, pyro.WithID("leaf"))
	go d.Serve(context.Background(), ln)

	p, _ := pyro.NewProxyURI(uri, pyro.WithObserver(tracing.NewProxyObserver(tracing.WithTracerProvider(tp))))
	defer p.Close()
	s, err := pyro.CallT[string](context.Background(), p, "hello", "trace")
	if err != nil {
		log.Fatal(err)
	}
	d.Close() // waits for the daemon's span to end
	fmt.Println(s)
	spans := exp.GetSpans()
	for _, sp := range spans {
		fmt.Println(sp.SpanKind, sp.Name, sp.SpanContext.TraceID() == spans[0].SpanContext.TraceID())
	}
	// Unordered output:
	// hello trace
	// client leaf/hello true
	// server leaf/hello true
}
