package tracing

import (
	"encoding/hex"

	"go.opentelemetry.io/otel/trace"
)

// traceparentLen is the length of a version 00 traceparent.
const traceparentLen = 55

// formatTraceparent writes sc as a W3C traceparent, version 00.
func formatTraceparent(sc trace.SpanContext) []byte {
	b := make([]byte, traceparentLen)
	copy(b, "00-")
	tid, sid := sc.TraceID(), sc.SpanID()
	hex.Encode(b[3:35], tid[:])
	b[35] = '-'
	hex.Encode(b[36:52], sid[:])
	b[52] = '-'
	flags := [1]byte{byte(sc.TraceFlags())}
	hex.Encode(b[53:55], flags[:])
	return b
}

// parseTraceparent reads a W3C traceparent as a remote span context. As the recommendation
// asks, a later version's value is read by its first four fields; version ff, all-zero ids
// and malformed text are refused.
func parseTraceparent(b []byte) (trace.SpanContext, bool) {
	if len(b) < traceparentLen || b[2] != '-' || b[35] != '-' || b[52] != '-' {
		return trace.SpanContext{}, false
	}
	var ver [1]byte
	if _, err := hex.Decode(ver[:], b[0:2]); err != nil || ver[0] == 0xff ||
		(ver[0] == 0 && len(b) != traceparentLen) || (len(b) > traceparentLen && b[55] != '-') {
		return trace.SpanContext{}, false
	}
	var tid trace.TraceID
	var sid trace.SpanID
	var flags [1]byte
	if !lowerHex(b[3:35]) || !lowerHex(b[36:52]) || !lowerHex(b[53:55]) {
		return trace.SpanContext{}, false
	}
	hex.Decode(tid[:], b[3:35])
	hex.Decode(sid[:], b[36:52])
	hex.Decode(flags[:], b[53:55])
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid,
		TraceFlags: trace.TraceFlags(flags[0]) & trace.FlagsSampled, Remote: true})
	return sc, sc.IsValid()
}

func lowerHex(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
