package wire5

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/gopyro/pyro/internal/framing"
	"io"
	"math"
)

// messageBox allocates a Message together with room for its first annotations and a small
// frame body, so a typical read costs one allocation. The header is read into small too,
// before the body replaces it.
type messageBox struct {
	m     Message
	anns  [2]Annotation
	small [smallFrame]byte
}

// smallFrame is the body size up to which a frame is read into its messageBox: a typical
// call or result fits.
const smallFrame = 256

// Read reads one frame from r and returns it with its payload inflated.
//
// Like Pyro5, it reads and checks the tag and version (6 bytes) before the rest of the header,
// so a peer speaking another protocol is refused without waiting for 40 bytes it may never
// send. A clean end of stream before the first header byte returns io.EOF itself, so a caller
// can tell a peer that hung up from a broken frame. Otherwise errors wrap ErrProtocol or
// ErrTooLarge; an end of stream inside a frame also wraps io.ErrUnexpectedEOF, and other I/O
// errors are wrapped as they are.
func Read(r io.Reader, cfg *Config) (*Message, error) {
	cfg = configOrZero(cfg)
	box := &messageBox{}
	h := header(box.small[:HeaderSize])

	n, err := io.ReadFull(r, h[:prefixSize])
	switch {
	case err == io.EOF:
		return nil, io.EOF
	case err != nil:
		return nil, truncatedHeader(err, n)
	}
	if err := checkPrefix(h); err != nil {
		return nil, err
	}
	if n, err = io.ReadFull(r, h[prefixSize:]); err != nil {
		return nil, truncatedHeader(err, prefixSize+n)
	}
	if mg := h.magic(); mg != Magic {
		return nil, fmt.Errorf("pyro5 wire: %w: bad magic number %#04x, want %#04x", ErrProtocol, mg, Magic)
	}

	m := &box.m
	*m = Message{Type: h.msgType(), SerializerID: h.serializerID(), Flags: h.flags(), Seq: h.seq(), Annotations: box.anns[:0]}
	copy(m.CorrelationID[:], h[20:36])
	dataSize, annSize := uint64(h.dataSize()), uint64(h.annotationsSize())
	total64 := dataSize + annSize
	if limit := cfg.maxMessageSize(); limit >= 0 && total64 > uint64(limit) {
		return nil, fmt.Errorf("pyro5 wire: %w: max message size exceeded (%d where max=%d)", ErrTooLarge, total64, limit)
	}
	if total64 > math.MaxInt {
		return nil, fmt.Errorf("pyro5 wire: %w: a frame of %d bytes does not fit in memory here", ErrTooLarge, total64)
	}
	total, annLen := int(total64), int(annSize)
	if b := cfg.Budget; b != nil && total64 > uint64(b.Limit()) {
		return nil, fmt.Errorf("pyro5 wire: %w: a frame of %d bytes is larger than the whole memory budget (%d): %w", ErrTooLarge, total64, b.Limit(), framing.ErrBudget)
	}

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
	if err := finish(m, body, annLen, cfg); err != nil {
		m.Held.Release()
		return nil, err
	}
	return m, nil
}

// finish parses the annotations and inflates the payload of a frame whose body has been
// read.
func finish(m *Message, body []byte, annLen int, cfg *Config) error {
	var err error
	if m.Annotations, err = parseAnnotations(m.Annotations, body[:annLen]); err != nil {
		return err
	}
	m.Data = body[annLen:len(body):len(body)]
	if m.Flags&FlagCompressed != 0 {
		compressed := int64(cap(body))
		if m.Data, err = inflate(m.Data, cfg.inflateLimit(annLen), cfg.Budget, &m.Held); err != nil {
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

// checkPrefix validates the tag and version, as Pyro5's ReceivingMessage.validate does first.
func checkPrefix(h header) error {
	if !bytes.Equal(h.tag(), tag[:]) {
		return fmt.Errorf("pyro5 wire: %w: bad tag %q, not a Pyro message", ErrProtocol, h.tag())
	}
	if v := h.version(); v != ProtocolVersion {
		hint := ""
		if v == 48 {
			hint = " (a Pyro4 peer?)"
		}
		return fmt.Errorf("pyro5 wire: %w: unsupported protocol version %d%s, want %d", ErrProtocol, v, hint, ProtocolVersion)
	}
	return nil
}

func truncatedHeader(err error, got int) error {
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("pyro5 wire: %w: truncated header (%d of %d bytes): %w", ErrProtocol, got, HeaderSize, io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("pyro5 wire: read header: %w", err)
}

// readBody reads exactly n bytes, growing the buffer as bytes arrive rather than trusting n
// (framing.ReadBody).
func readBody(r io.Reader, n int, budget *framing.Budget, charge *framing.Charge) ([]byte, error) {
	b, got, err := framing.ReadBody(r, n, budget, charge)
	switch {
	case errors.Is(err, framing.ErrBudget):
		return nil, fmt.Errorf("pyro5 wire: %w: frame of %d bytes: %w", ErrBusy, n, err)
	case err != nil:
		return nil, truncated(err, got, n)
	}
	return b, nil
}

// truncated wraps an error that cut a frame body short, after got of n bytes.
func truncated(err error, got, n int) error {
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("pyro5 wire: %w: truncated frame (%d of %d bytes after the header): %w", ErrProtocol, got, n, io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("pyro5 wire: read frame body: %w", err)
}

// parseAnnotations appends the chunks in b (4-byte lengths) to anns.
func parseAnnotations(anns []Annotation, b []byte) ([]Annotation, error) {
	anns, err := framing.ParseAnnotations(anns, b, 4, internKey)
	if err != nil {
		return nil, fmt.Errorf("pyro5 wire: %w: %v", ErrProtocol, err)
	}
	return anns, nil
}

// internKey returns Pyro5's own keys without allocating a string for them.
func internKey(k []byte) string {
	switch string(k) {
	case AnnStream:
		return AnnStream
	case AnnBlobInfo:
		return AnnBlobInfo
	}
	return string(k)
}

// inflate decompresses a zlib payload of at most limit bytes (framing.Inflate). A corrupt
// stream is a broken payload inside a whole frame, never a truncated frame.
func inflate(data []byte, limit int, budget *framing.Budget, charge *framing.Charge) ([]byte, error) {
	out, err := framing.Inflate(data, limit, budget, charge)
	switch {
	case errors.Is(err, framing.ErrInflateLimit):
		return nil, fmt.Errorf("pyro5 wire: %w: payload inflates past the limit of %d bytes", ErrTooLarge, limit)
	case errors.Is(err, framing.ErrBudget):
		return nil, fmt.Errorf("pyro5 wire: %w: %w", ErrBusy, err)
	case err != nil:
		return nil, fmt.Errorf("pyro5 wire: %w: %v", ErrProtocol, err)
	}
	return out, nil
}
