package pyro

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/gopyro/pyro/internal/wire"
)

// Annotations are custom message annotations: small named byte strings that travel beside a
// message's payload, outside the serializer (Pyro4's msg.annotations), typically for
// authentication tokens, tracing ids or session keys. A key is exactly 4 ASCII characters;
// CORR, HMAC, STRM and BLBI belong to Pyro itself and are refused. All custom annotations of
// one message take at most MaxAnnotationsSize bytes (6 per key plus the values).
//
// Server side, a method reads the request's annotations in CallInfo.Annotations (the
// handshake hook in ConnInfo.Annotations) and adds to its reply with SetResponseAnnotation;
// DaemonConfig.ResponseAnnotations adds to every reply. Client side, ProxyConfig.Annotations
// (WithAnnotationFunc) and WithAnnotations on a call's context add to requests, and
// ProxyConfig.OnResponseAnnotations (WithResponseAnnotationFunc) and
// CaptureResponseAnnotations read the replies'.
type Annotations map[string][]byte

// MaxAnnotationsSize bounds the custom annotations of one message: a frame's annotations
// take at most 65,535 bytes, and 128 of them are kept for Pyro's own (correlation id, HMAC,
// stream id).
const MaxAnnotationsSize = 0xFFFF - 128

// ErrInvalidAnnotation is returned for an annotation key that is not 4 ASCII characters or
// is one of Pyro's own, and for annotations too large for one message.
var ErrInvalidAnnotation = errors.New("pyro: invalid annotation")

// ErrNoReply is returned by SetResponseAnnotation when ctx belongs to no reply: it is not a
// context the daemon gave a method or the handshake hook, or that reply was already sent.
var ErrNoReply = errors.New("pyro: no reply to annotate")

// reservedAnnotation reports whether key is one Pyro sets itself.
func reservedAnnotation(key string) bool {
	switch key {
	case wire.AnnCorrelation, wire.AnnHMAC, wire.AnnStream, wire.AnnBlobInfo:
		return true
	}
	return false
}

// checkAnnotationKey validates a custom annotation key.
func checkAnnotationKey(key string) error {
	if len(key) != 4 {
		return fmt.Errorf("%w: key %q must be 4 ASCII characters", ErrInvalidAnnotation, key)
	}
	for i := 0; i < len(key); i++ {
		if key[i] >= 0x80 {
			return fmt.Errorf("%w: key %q must be 4 ASCII characters", ErrInvalidAnnotation, key)
		}
	}
	if reservedAnnotation(key) {
		return fmt.Errorf("%w: key %q is reserved for Pyro itself", ErrInvalidAnnotation, key)
	}
	return nil
}

// Check reports the first problem with a's keys (in key order) or size, as an error wrapping
// ErrInvalidAnnotation; nil means a can be sent.
func (a Annotations) Check() error {
	if len(a) == 0 {
		return nil
	}
	size := 0
	for _, k := range slices.Sorted(maps.Keys(a)) {
		if err := checkAnnotationKey(k); err != nil {
			return err
		}
		size += 6 + len(a[k])
	}
	if size > MaxAnnotationsSize {
		return fmt.Errorf("%w: %d bytes of annotations, more than %d", ErrInvalidAnnotation, size, MaxAnnotationsSize)
	}
	return nil
}

// customAnnotations returns a message's annotations other than Pyro's own, with their
// values copied, or nil when it has none.
func customAnnotations(m *wire.Message) Annotations {
	var a Annotations
	for _, an := range m.Annotations {
		if reservedAnnotation(an.Key) {
			continue
		}
		if a == nil {
			a = make(Annotations, len(m.Annotations))
		}
		a[an.Key] = bytes.Clone(an.Value)
	}
	return a
}

// appendAnnotations sets a's annotations on m in key order (replacing values of keys m has).
// It assumes a was checked.
func appendAnnotations(m *wire.Message, a Annotations) {
	if len(a) == 0 {
		return
	}
	for _, k := range slices.Sorted(maps.Keys(a)) {
		m.SetAnnotation(k, a[k])
	}
}

// Client side: annotations travelling with a call's context.

type (
	callAnnotationsKey struct{}
	captureResponseKey struct{}
	handshakeReplyKey  struct{}
)

// WithAnnotations returns a context whose calls carry a as custom annotations, in addition to
// (and over) those of the proxy's ProxyConfig.Annotations. Nested WithAnnotations merge, the
// innermost winning. The annotations also go with the CONNECT message when the call opens a
// connection. A call with invalid annotations fails with ErrInvalidAnnotation before
// sending anything. It is Pyro4's current_context.annotations on the client.
func WithAnnotations(ctx context.Context, a Annotations) context.Context {
	if prev, ok := ctx.Value(callAnnotationsKey{}).(Annotations); ok && len(prev) > 0 {
		merged := make(Annotations, len(prev)+len(a))
		maps.Copy(merged, prev)
		maps.Copy(merged, a)
		a = merged
	}
	return context.WithValue(ctx, callAnnotationsKey{}, a)
}

// CaptureResponseAnnotations returns a context whose calls store the custom annotations of
// their reply in *dst (nil for a oneway call or a reply without any; for Proxy.Stream, those
// of the last reply read). Use one dst per goroutine: calls write it without locking. It is
// Pyro4's current_context.response_annotations on the client.
func CaptureResponseAnnotations(ctx context.Context, dst *Annotations) context.Context {
	return context.WithValue(ctx, captureResponseKey{}, dst)
}

// ResponseKind says which reply a ProxyConfig.OnResponseAnnotations hook sees. Its values are
// Pyro4's message type numbers, the msgtype its _pyroResponseAnnotations gets.
type ResponseKind int

const (
	// ResponseConnect is the daemon's answer to a new connection's handshake (CONNECTOK).
	ResponseConnect = ResponseKind(wire.ConnectOK)
	// ResponseResult is the reply to a call: its result or its exception (RESULT).
	ResponseResult = ResponseKind(wire.Result)
)

// requestAnnotations returns the custom annotations for a message sent under ctx: the
// proxy's, then the context's over them, checked.
func (p *Proxy) requestAnnotations(ctx context.Context) (Annotations, error) {
	var a Annotations
	if p.cfg.Annotations != nil {
		a = p.cfg.Annotations(ctx)
	}
	if ca, ok := ctx.Value(callAnnotationsKey{}).(Annotations); ok && len(ca) > 0 {
		if len(a) == 0 {
			a = ca
		} else {
			a = maps.Clone(a)
			maps.Copy(a, ca)
		}
	}
	if err := a.Check(); err != nil {
		return nil, err
	}
	return a, nil
}

// responseAnnotations hands a reply's custom annotations to the proxy's hook and to the
// call's capture.
func (p *Proxy) responseAnnotations(ctx context.Context, kind ResponseKind, m *wire.Message) {
	dst, capture := ctx.Value(captureResponseKey{}).(*Annotations)
	capture = capture && dst != nil && kind == ResponseResult
	if p.cfg.OnResponseAnnotations == nil && !capture {
		return
	}
	a := customAnnotations(m)
	if capture {
		*dst = a
	}
	if p.cfg.OnResponseAnnotations != nil {
		p.cfg.OnResponseAnnotations(ctx, kind, a)
	}
}

// clearCapture empties a call's capture before the call, so a oneway call leaves it nil.
func clearCapture(ctx context.Context) {
	if dst, ok := ctx.Value(captureResponseKey{}).(*Annotations); ok && dst != nil {
		*dst = nil
	}
}
