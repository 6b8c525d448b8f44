package main

import (
	"compress/gzip"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/naming"
	"github.com/gopyro/pyro/observe/tracing"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// otlpReceiver is an OTLP/HTTP trace receiver, as a collector's: POST /v1/traces with an
// ExportTraceServiceRequest in protobuf, gzipped or not. Anything else is answered 404 and
// kept in bad.
type otlpReceiver struct {
	*httptest.Server
	mu       sync.Mutex
	spans    []otlpSpan
	encoding []string // each export's Content-Encoding
	bad      []string
}

// otlpSpan is a received span with its resource's service.name.
type otlpSpan struct {
	service string
	*tracepb.Span
}

func newOTLPReceiver(t *testing.T) *otlpReceiver {
	r := &otlpReceiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

func (r *otlpReceiver) serve(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost || req.URL.Path != "/v1/traces" || req.Header.Get("Content-Type") != "application/x-protobuf" {
		r.mu.Lock()
		r.bad = append(r.bad, req.Method+" "+req.URL.Path+" "+req.Header.Get("Content-Type"))
		r.mu.Unlock()
		http.NotFound(w, req)
		return
	}
	var body io.Reader = req.Body
	enc := req.Header.Get("Content-Encoding")
	if enc == "gzip" {
		gz, err := gzip.NewReader(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = gz
	}
	b, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var er coltracepb.ExportTraceServiceRequest
	if err := proto.Unmarshal(b, &er); err != nil {
		r.mu.Lock()
		r.bad = append(r.bad, "undecodable: "+err.Error())
		r.mu.Unlock()
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	r.encoding = append(r.encoding, enc)
	for _, rs := range er.GetResourceSpans() {
		service := ""
		for _, kv := range rs.GetResource().GetAttributes() {
			if kv.GetKey() == "service.name" {
				service = kv.GetValue().GetStringValue()
			}
		}
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				r.spans = append(r.spans, otlpSpan{service, s})
			}
		}
	}
	r.mu.Unlock()
	resp, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(resp)
}

// received returns the spans so far, the exports' encodings and the refused requests.
func (r *otlpReceiver) received() ([]otlpSpan, []string, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]otlpSpan(nil), r.spans...), append([]string(nil), r.encoding...), append([]string(nil), r.bad...)
}

// named returns the spans called name.
func named(spans []otlpSpan, name string) []otlpSpan {
	var out []otlpSpan
	for _, s := range spans {
		if s.GetName() == name {
			out = append(out, s)
		}
	}
	return out
}

func attr(s *tracepb.Span, key string) string {
	for _, kv := range s.GetAttributes() {
		if kv.GetKey() == key {
			return kv.GetValue().GetStringValue()
		}
	}
	return ""
}

// clientTracing is a Go client's tracing observer recording into memory.
func clientTracing() (*tracetest.InMemoryExporter, pyro.ProxyOption) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	return exp, pyro.WithObserver(tracing.NewProxyObserver(tracing.WithTracerProvider(tp)))
}

// clientSpan returns the Go client's one span called name.
func clientSpan(t *testing.T, exp *tracetest.InMemoryExporter, name string) tracetest.SpanStub {
	t.Helper()
	var found []tracetest.SpanStub
	for _, s := range exp.GetSpans() {
		if s.Name == name {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d client spans %q, want 1", len(found), name)
	}
	return found[0]
}

// checkChild checks that the server span continues the client's trace, as its child.
func checkChild(t *testing.T, server otlpSpan, client tracetest.SpanStub) {
	t.Helper()
	tid, sid := client.SpanContext.TraceID(), client.SpanContext.SpanID()
	if got := hex.EncodeToString(server.GetTraceId()); got != tid.String() {
		t.Errorf("server span %s: trace id %s, want the client's %s", server.GetName(), got, tid)
	}
	if got := hex.EncodeToString(server.GetParentSpanId()); got != sid.String() {
		t.Errorf("server span %s: parent %s, want the client's span %s", server.GetName(), got, sid)
	}
	if server.GetKind() != tracepb.Span_SPAN_KIND_SERVER {
		t.Errorf("server span %s: kind %v", server.GetName(), server.GetKind())
	}
}

// otlpEnv holds the batch exporter's spans for an hour: they reach the receiver only through
// the flush at shutdown (or a full batch of 512).
var otlpEnv = []string{"OTEL_BSP_SCHEDULE_DELAY=3600000"}

// TestOTLPExportEchoServer runs `pyro echoserver --otlp ENDPOINT` against an in-test OTLP/HTTP
// receiver, with ENDPOINT as host:port and as URLs, calls it from a traced Go client, and
// checks the spans it exports when stopped with SIGTERM: the server spans are the client
// spans' children, a failure's status is an error, the resource names the service.
func TestOTLPExportEchoServer(t *testing.T) {
	forms := []struct {
		name     string
		endpoint func(r *otlpReceiver) string
		env      []string
		encoding string
	}{
		{"host:port", func(r *otlpReceiver) string { return r.Listener.Addr().String() }, nil, ""},
		{"URL", func(r *otlpReceiver) string { return r.URL }, nil, ""},
		{"URL/", func(r *otlpReceiver) string { return r.URL + "/" }, nil, ""},
		{"URL/v1/traces", func(r *otlpReceiver) string { return r.URL + "/v1/traces" }, nil, ""},
		{"host:port,gzip", func(r *otlpReceiver) string { return r.Listener.Addr().String() },
			[]string{"OTEL_EXPORTER_OTLP_COMPRESSION=gzip"}, "gzip"},
	}
	for _, f := range forms {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			recv := newOTLPReceiver(t)
			env := append(append([]string(nil), otlpEnv...), f.env...)
			p := startObservedProc(t, env, []string{"echoserver", "-H", "127.0.0.1", "--otlp", f.endpoint(recv)}, "echo uri: ")
			exp, traced := clientTracing()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			proxy, err := pyro.NewProxy(p.vals[0], traced)
			if err != nil {
				t.Fatal(err)
			}
			var got string
			if err := proxy.Call(ctx, "echo", &got, "traced"); err != nil || got != "traced" {
				t.Fatalf("echo: %q %v", got, err)
			}
			if err := proxy.Call(ctx, "error", nil); err == nil {
				t.Fatal("error() did not raise")
			}
			proxy.Close()
			if spans, _, _ := recv.received(); len(spans) != 0 {
				t.Fatalf("%d spans exported before the server stopped (the batch delay is an hour)", len(spans))
			}
			if code := p.stop(t); code != 0 {
				t.Fatalf("exit %d after SIGTERM: %s", code, p.stderr)
			}
			spans, encodings, bad := recv.received()
			if len(bad) > 0 {
				t.Errorf("refused requests: %q", bad)
			}
			for _, e := range encodings {
				if e != f.encoding {
					t.Errorf("Content-Encoding %q, want %q", e, f.encoding)
				}
			}
			if len(spans) != 2 {
				t.Errorf("%d spans, want 2 (echo, error): %v\nstderr: %s", len(spans), spans, p.stderr)
			}
			for _, s := range spans {
				if s.service != "pyro-echoserver" {
					t.Errorf("span %s: service.name %q, want pyro-echoserver", s.GetName(), s.service)
				}
			}
			echo, failed := named(spans, "test.echoserver/echo"), named(spans, "test.echoserver/error")
			if len(echo) != 1 || len(failed) != 1 {
				t.Fatalf("server spans: %d echo, %d error, want 1 each", len(echo), len(failed))
			}
			checkChild(t, echo[0], clientSpan(t, exp, "test.echoserver/echo"))
			checkChild(t, failed[0], clientSpan(t, exp, "test.echoserver/error"))
			if c := echo[0].GetStatus().GetCode(); c != tracepb.Status_STATUS_CODE_OK {
				t.Errorf("echo span status %v, want ok", c)
			}
			if c := failed[0].GetStatus().GetCode(); c != tracepb.Status_STATUS_CODE_ERROR {
				t.Errorf("error span status %v, want error", c)
			}
			if class := attr(failed[0].Span, "pyro.exception.class"); class != "builtins.ValueError" {
				t.Errorf("error span pyro.exception.class %q", class)
			}
		})
	}
}

// TestOTLPExportNameServer: `pyro ns --otlp URL` exports one server span for a lookup, a
// child of the traced client's, when stopped with SIGTERM.
func TestOTLPExportNameServer(t *testing.T) {
	recv := newOTLPReceiver(t)
	p := startObservedProc(t, otlpEnv, []string{"ns", "-n", "127.0.0.1", "-p", "0", "-x", "--otlp", recv.URL}, "URI = ")
	u, err := pyro.ParseURI(p.vals[0])
	if err != nil {
		t.Fatal(err)
	}
	exp, traced := clientTracing()
	nsc, err := naming.NewClientURI(u, traced)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	got, err := nsc.Lookup(ctx, pyro.NameServerObjectID)
	if err != nil || got.Object != pyro.NameServerObjectID {
		t.Fatalf("lookup: %v %v", got, err)
	}
	nsc.Close()
	if code := p.stop(t); code != 0 {
		t.Fatalf("exit %d after SIGTERM: %s", code, p.stderr)
	}
	spans, _, bad := recv.received()
	if len(bad) > 0 {
		t.Errorf("refused requests: %q", bad)
	}
	var names []string
	for _, s := range spans {
		names = append(names, fmt.Sprintf("%s (%s)", s.GetName(), s.service))
	}
	if len(spans) != 1 || spans[0].GetName() != "Pyro.NameServer/lookup" || spans[0].service != "pyro-ns" {
		t.Fatalf("spans: [%s], want one Pyro.NameServer/lookup (pyro-ns)", strings.Join(names, ", "))
	}
	checkChild(t, spans[0], clientSpan(t, exp, "Pyro.NameServer/lookup"))
	if c := spans[0].GetStatus().GetCode(); c != tracepb.Status_STATUS_CODE_OK {
		t.Errorf("lookup span status %v, want ok", c)
	}
}
