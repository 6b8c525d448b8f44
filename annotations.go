package pyro

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"

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

// Server side: annotations a method or the handshake hook adds to its reply.

// replyAnnotations collects the annotations one reply will carry; a method may set them from
// any goroutine until the reply is written.
type replyAnnotations struct {
	mu   sync.Mutex
	anns []wire.Annotation
	size int
	sent bool
}

func (r *replyAnnotations) set(key string, value []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sent {
		return fmt.Errorf("%w: the reply was already sent", ErrNoReply)
	}
	value = bytes.Clone(value)
	for i := range r.anns {
		if r.anns[i].Key == key {
			if r.size-len(r.anns[i].Value)+len(value) > MaxAnnotationsSize {
				return fmt.Errorf("%w: response annotations would exceed %d bytes", ErrInvalidAnnotation, MaxAnnotationsSize)
			}
			r.size += len(value) - len(r.anns[i].Value)
			r.anns[i].Value = value
			return nil
		}
	}
	if r.size+6+len(value) > MaxAnnotationsSize {
		return fmt.Errorf("%w: response annotations would exceed %d bytes", ErrInvalidAnnotation, MaxAnnotationsSize)
	}
	r.size += 6 + len(value)
	r.anns = append(r.anns, wire.Annotation{Key: key, Value: value})
	return nil
}

// take returns the annotations set so far and refuses later ones.
func (r *replyAnnotations) take() []wire.Annotation {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = true
	return r.anns
}

// SetResponseAnnotation adds a custom annotation to the reply of the call ctx belongs to
// (ctx is a method's context, or one derived from it), or, in DaemonConfig.Handshake, to the
// handshake's answer: Pyro4's current_context.response_annotations. Setting a key again
// replaces its value. A oneway call has no reply: there it does nothing.
//
// Like Pyro4, the daemon keeps one set of response annotations per connection, which only a
// successful result empties: what the handshake hook sets goes out with the handshake answer
// and again with the first result; the reply to a call that fails carries only the daemon's
// annotations, and what that call set goes with the connection's next reply. Keys go out in
// the order they first entered the set, as a Python dict's: each reply adds what was set for
// it, the correlation id, then DaemonConfig.ResponseAnnotations.
//
// It returns ErrInvalidAnnotation for a bad or reserved key or too many bytes, and ErrNoReply
// when ctx belongs to no reply or the reply was sent.
func SetResponseAnnotation(ctx context.Context, key string, value []byte) error {
	if err := checkAnnotationKey(key); err != nil {
		return err
	}
	var r *replyAnnotations
	if ci, ok := CallInfoFrom(ctx); ok {
		if ci.Oneway {
			return nil
		}
		r = ci.reply
	} else {
		r, _ = ctx.Value(handshakeReplyKey{}).(*replyAnnotations)
	}
	if r == nil {
		return fmt.Errorf("%w: the context is not a call's or a handshake's", ErrNoReply)
	}
	return r.set(key, value)
}

// daemonAnnotations returns what DaemonConfig.ResponseAnnotations gives, in key order. Bad
// keys are logged and none are sent: the reply still goes.
func (c *serverConn) daemonAnnotations() []wire.Annotation {
	f := c.d.cfg.ResponseAnnotations
	if f == nil {
		return nil
	}
	a := f(c.ctx)
	if err := a.Check(); err != nil {
		c.log().Warn("pyro: DaemonConfig.ResponseAnnotations returned invalid annotations; none sent", "err", err)
		return nil
	}
	list := make([]wire.Annotation, 0, len(a))
	for _, k := range slices.Sorted(maps.Keys(a)) {
		list = append(list, wire.Annotation{Key: k, Value: a[k]})
	}
	return list
}

// setAnnotation sets key in an ordered annotation list as a Python dict does: a new key goes
// last, a known one keeps its place and takes the new value.
func setAnnotation(list []wire.Annotation, key string, value []byte) []wire.Annotation {
	for i := range list {
		if list[i].Key == key {
			list[i].Value = value
			return list
		}
	}
	return append(list, wire.Annotation{Key: key, Value: value})
}

// Pyro4 keeps a connection's response annotations in one dict (current_context's, per
// worker thread, and a thread serves one connection): what the handshake hook or a method
// adds, then the correlation id, then the daemon's annotations go in, every reply but an
// exception sends the whole dict, and only a successful result empties it. So what the
// handshake hook set goes out again with the first result, what a failing call set goes
// with the next reply, and the keys come in the order that dict has. serverConn.pending is
// that dict; only the serving goroutine touches it.

// annotateReply gives a handshake answer, a ping or a call's result its annotations, the
// way Pyro4 does (see above); result says the dict is emptied afterwards.
func (c *serverConn) annotateReply(m *wire.Message, set *replyAnnotations, corr []byte, result bool) {
	c.carry(set)
	if corr != nil {
		c.pending = setAnnotation(c.pending, wire.AnnCorrelation, corr)
	}
	for _, a := range c.daemonAnnotations() {
		c.pending = setAnnotation(c.pending, a.Key, a.Value)
	}
	if len(m.Annotations) == 0 {
		// The message is written before the next reply touches pending, so it can share it.
		m.Annotations = c.pending
	} else {
		m.Annotations = append(m.Annotations, c.pending...)
	}
	if result {
		c.pending = c.pending[:0:cap(c.pending)]
	}
}

// carry keeps what a call set for the connection's next reply: its own carries only the
// daemon's annotations (an exception, an item stream).
func (c *serverConn) carry(set *replyAnnotations) {
	for _, a := range set.take() {
		c.pending = setAnnotation(c.pending, a.Key, a.Value)
	}
}

// annotateException gives an exception reply the daemon's annotations, after those it has
// (an item stream's id), as Pyro4 does.
func (c *serverConn) annotateException(m *wire.Message) {
	for _, a := range c.daemonAnnotations() {
		m.SetAnnotation(a.Key, a.Value)
	}
}
