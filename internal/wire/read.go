package wire

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"fmt"
	"github.com/gopyro/pyro/internal/framing"
	"io"
	"sync"
)

var (
	hdrPool = sync.Pool{New: func() any { return new([HeaderSize]byte) }}
)

// messageBox allocates a Message together with room for its first annotations, so a typical
// read costs two allocations: this and the frame body.
type messageBox struct {
	m     Message
	anns  [3]Annotation
	small [smallFrame]byte
}

// smallFrame is the body size up to which a frame is read into its messageBox: a typical
// call or result with a CORR annotation fits.
const smallFrame = 256

// Read reads one frame from r and returns it with its payload inflated and its HMAC checked
// and removed.
//
// A clean end of stream before the first header byte returns io.EOF itself, so a caller can
// tell a peer that hung up from a broken frame. Otherwise errors wrap ErrProtocol, ErrTooLarge
// or ErrSecurity; an end of stream inside a frame also wraps io.ErrUnexpectedEOF, and other
// I/O errors are wrapped as they are.
func Read(r io.Reader, cfg *Config) (*Message, error) {
	cfg = configOrZero(cfg)

	hb := hdrPool.Get().(*[HeaderSize]byte)
	n, err := io.ReadFull(r, hb[:])
	h := header(hb[:])
	var (
		typ, flags, seq, serID = h.msgType(), h.flags(), h.seq(), h.serializerID()
		dataSize, annSize      = h.dataSize(), h.annotationsSize()
		hdrErr                 = checkHeader(h)
	)
	hdrPool.Put(hb)
	switch {
	case err == io.EOF:
		return nil, io.EOF
	case errors.Is(err, io.ErrUnexpectedEOF):
		return nil, fmt.Errorf("pyro wire: %w: truncated header (%d of %d bytes): %w", ErrProtocol, n, HeaderSize, io.ErrUnexpectedEOF)
	case err != nil:
		return nil, fmt.Errorf("pyro wire: read header: %w", err)
	case hdrErr != nil:
		return nil, hdrErr
	}
	total := int(dataSize) + annSize
	if cfg.MaxMessageSize > 0 && total > cfg.MaxMessageSize {
		return nil, fmt.Errorf("pyro wire: %w: max message size exceeded (%d where max=%d)", ErrTooLarge, total, cfg.MaxMessageSize)
	}

	if b := cfg.Budget; b != nil && int64(total) > b.Limit() {
		return nil, fmt.Errorf("pyro wire: %w: a frame of %d bytes is larger than the whole memory budget (%d): %w", ErrTooLarge, total, b.Limit(), framing.ErrBudget)
	}

	box := &messageBox{}
	m := &box.m
	var body []byte
	if total <= len(box.small) {
		// Small frames (most calls) share one allocation with their Message.
		body = box.small[:total]
		if got, err := io.ReadFull(r, body); err != nil {
			return nil, truncated(err, got, total)
		}
	} else if body, err = readBody(r, total, chargedBudget(cfg, total), &m.Held); err != nil {
		m.Held.Release()
		return nil, err
	}
	held := m.Held
	*m = Message{Type: typ, Flags: flags, Seq: seq, SerializerID: serID, Annotations: box.anns[:0], Held: held}
	if err := finish(m, body, annSize, cfg); err != nil {
		m.Held.Release()
		return nil, err
	}
	return m, nil
}

// finish parses the annotations, checks the HMAC and inflates the payload of a frame whose
// body has been read.
func finish(m *Message, body []byte, annSize int, cfg *Config) error {
	var err error
	if m.Annotations, err = parseAnnotations(m.Annotations, body[:annSize]); err != nil {
		return err
	}
	m.Data = body[annSize:len(body):len(body)]
	if err := verify(cfg.HMACKey, m); err != nil {
		return err
	}
	if m.Flags&FlagCompressed != 0 {
		compressed := int64(cap(body))
		if m.Data, err = inflate(m.Data, inflateLimit(cfg, annSize), cfg.Budget, &m.Held); err != nil {
			return err
		}
		if len(body) > framing.FreeSize {
			m.Held.Give(compressed) // the compressed body is garbage now
		}
		m.Flags &^= FlagCompressed
	}
	return nil
}

// chargedBudget is the budget a body of n bytes is read against: none for small frames.
func chargedBudget(cfg *Config, n int) *framing.Budget {
	if n <= framing.FreeSize {
		return nil
	}
	return cfg.Budget
}

// checkHeader validates what the header alone can tell, in Pyro4's order.
func checkHeader(h header) error {
	if !bytes.Equal(h.magic(), magic[:]) {
		return fmt.Errorf("pyro wire: %w: bad magic %q, not a Pyro message", ErrProtocol, h.magic())
	}
	if v := h.version(); v != ProtocolVersion {
		hint := ""
		if v == 502 {
			hint = " (a Pyro5 peer?)"
		}
		return fmt.Errorf("pyro wire: %w: unsupported protocol version %d%s, want %d", ErrProtocol, v, hint, ProtocolVersion)
	}
	if h.checksum() != h.checksumField() {
		return fmt.Errorf("pyro wire: %w: header checksum mismatch", ErrProtocol)
	}
	if h.dataSize() < 0 {
		return fmt.Errorf("pyro wire: %w: negative data size %d", ErrProtocol, h.dataSize())
	}
	return nil
}

// readBody reads exactly n bytes, growing the buffer as bytes arrive rather than trusting n
// (framing.ReadBody).
func readBody(r io.Reader, n int, budget *framing.Budget, charge *framing.Charge) ([]byte, error) {
	b, got, err := framing.ReadBody(r, n, budget, charge)
	switch {
	case errors.Is(err, framing.ErrBudget):
		return nil, fmt.Errorf("pyro wire: %w: frame of %d bytes: %w", ErrBusy, n, err)
	case err != nil:
		return nil, truncated(err, got, n)
	}
	return b, nil
}

// truncated wraps an error that cut a frame body short, after got of n bytes.
func truncated(err error, got, n int) error {
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("pyro wire: %w: truncated frame (%d of %d bytes after the header): %w", ErrProtocol, got, n, io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("pyro wire: read frame body: %w", err)
}

// parseAnnotations appends the chunks in b (2-byte lengths) to anns.
func parseAnnotations(anns []Annotation, b []byte) ([]Annotation, error) {
	anns, err := framing.ParseAnnotations(anns, b, 2, internKey)
	if err != nil {
		return nil, fmt.Errorf("pyro wire: %w: %v", ErrProtocol, err)
	}
	return anns, nil
}

// internKey returns Pyro's own keys without allocating a string for them.
func internKey(k []byte) string {
	switch string(k) {
	case AnnCorrelation:
		return AnnCorrelation
	case AnnHMAC:
		return AnnHMAC
	case AnnStream:
		return AnnStream
	case AnnBlobInfo:
		return AnnBlobInfo
	}
	return string(k)
}

// verify checks the HMAC annotation against key, as Pyro4 does, and removes it.
func verify(key []byte, m *Message) error {
	i := framing.Index(m.Annotations, AnnHMAC)
	switch {
	case i < 0 && len(key) == 0:
		return nil
	case i < 0 || len(key) == 0:
		return fmt.Errorf("pyro wire: %w: hmac key config not symmetric (message signed: %t, key set: %t)", ErrSecurity, i >= 0, len(key) > 0)
	}
	var want [hmacSize]byte
	signature(key, m.Data, m.Annotations, want[:])
	if subtle.ConstantTimeCompare(m.Annotations[i].Value, want[:]) != 1 {
		return fmt.Errorf("pyro wire: %w: message hmac mismatch", ErrSecurity)
	}
	m.Annotations = append(m.Annotations[:i], m.Annotations[i+1:]...)
	return nil
}

func inflateLimit(cfg *Config, annSize int) int {
	limit := DefaultMaxDecompressedSize
	if cfg.MaxDecompressedSize > 0 {
		limit = cfg.MaxDecompressedSize
	}
	if cfg.MaxMessageSize > 0 && cfg.MaxMessageSize-annSize < limit {
		limit = cfg.MaxMessageSize - annSize
	}
	if b := cfg.Budget; b != nil && b.Limit() < int64(limit) {
		limit = int(b.Limit())
	}
	return limit
}

// inflate decompresses a zlib payload of at most limit bytes (framing.Inflate).
func inflate(data []byte, limit int, budget *framing.Budget, charge *framing.Charge) ([]byte, error) {
	out, err := framing.Inflate(data, limit, budget, charge)
	switch {
	case errors.Is(err, framing.ErrInflateLimit):
		return nil, fmt.Errorf("pyro wire: %w: payload inflates past the limit of %d bytes", ErrTooLarge, limit)
	case errors.Is(err, framing.ErrBudget):
		return nil, fmt.Errorf("pyro wire: %w: %w", ErrBusy, err)
	case err != nil:
		return nil, fmt.Errorf("pyro wire: %w: %v", ErrProtocol, err)
	}
	return out, nil
}
