package tracing

import (
	"testing"

	"go.opentelemetry.io/otel/trace"
)

func TestTraceparent(t *testing.T) {
	const tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	sc, ok := parseTraceparent([]byte(tp))
	if !ok || !sc.IsRemote() || !sc.IsSampled() || sc.TraceID().String() != "0af7651916cd43dd8448eb211c80319c" || sc.SpanID().String() != "b7ad6b7169203331" {
		t.Fatalf("parse %s = %v, %v", tp, sc, ok)
	}
	if got := string(formatTraceparent(sc)); got != tp {
		t.Errorf("format = %s, want %s", got, tp)
	}
	unsampled, _ := parseTraceparent([]byte("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"))
	if unsampled.TraceFlags() != 0 {
		t.Errorf("flags 00 read as %v", unsampled.TraceFlags())
	}
	// A later version is read by its first four fields.
	if _, ok := parseTraceparent([]byte("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra")); !ok {
		t.Error("version 01 with more fields refused")
	}
	for _, bad := range []string{
		"",
		"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-x", // version 00 has no more
		"ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
		"00-00000000000000000000000000000000-b7ad6b7169203331-01",
		"00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
		"00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
		"00-0af7651916cd43dd8448eb211c80319c_b7ad6b7169203331-01",
		"zz-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
	} {
		if sc, ok := parseTraceparent([]byte(bad)); ok {
			t.Errorf("parse %q accepted: %v", bad, sc)
		}
	}
	var zero trace.SpanContext
	if len(formatTraceparent(zero)) != traceparentLen {
		t.Error("format length")
	}
}
