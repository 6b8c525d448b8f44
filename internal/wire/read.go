package wire

import (
	"bytes"
	"compress/zlib"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"sync"
)

// readChunk is the most Read allocates ahead of the bytes actually arriving: a header may
// announce up to 2 GiB, and memory should follow the input, not the claim.
const readChunk = 1 << 20

var (
	hdrPool = sync.Pool{New: func() any { return new([HeaderSize]byte) }}
	zrPool  = sync.Pool{New: func() any { return new(zlibReader) }}
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

	box := &messageBox{}
	var body []byte
	if total <= len(box.small) {
		// Small frames (most calls) share one allocation with their Message.
		body = box.small[:total]
		if got, err := io.ReadFull(r, body); err != nil {
			return nil, truncated(err, got, total)
		}
	} else if body, err = readBody(r, total); err != nil {
		return nil, err
	}
	m := &box.m
	*m = Message{Type: typ, Flags: flags, Seq: seq, SerializerID: serID, Annotations: box.anns[:0]}
	if m.Annotations, err = parseAnnotations(m.Annotations, body[:annSize]); err != nil {
		return nil, err
	}
	m.Data = body[annSize:total:total]

	if err := verify(cfg.HMACKey, m); err != nil {
		return nil, err
	}
	if m.Flags&FlagCompressed != 0 {
		if m.Data, err = inflate(m.Data, inflateLimit(cfg, annSize)); err != nil {
			return nil, err
		}
		m.Flags &^= FlagCompressed
	}
	return m, nil
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

// readBody reads exactly n bytes, growing the buffer as bytes arrive rather than trusting n.
func readBody(r io.Reader, n int) ([]byte, error) {
	b := make([]byte, 0, min(n, readChunk))
	for len(b) < n {
		if len(b) == cap(b) {
			b = append(b, make([]byte, min(cap(b), n-len(b)))...)[:len(b)]
		}
		got, err := io.ReadFull(r, b[len(b):min(cap(b), n)])
		b = b[:len(b)+got]
		if err != nil {
			return nil, truncated(err, len(b), n)
		}
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

// parseAnnotations appends the chunks in b to anns. A repeated key keeps its first position
// and takes the last value, as the Python dict that Pyro4 reads them into does.
func parseAnnotations(anns []Annotation, b []byte) ([]Annotation, error) {
	var index map[string]int // only for messages with many annotations
	for off := 0; off < len(b); {
		if len(b)-off < annotationChunkHeaderSize {
			return nil, fmt.Errorf("pyro wire: %w: truncated annotation chunk header at offset %d", ErrProtocol, off)
		}
		rawKey := b[off : off+annotationKeySize]
		size := int(b[off+4])<<8 | int(b[off+5])
		off += annotationChunkHeaderSize
		if size > len(b)-off {
			return nil, fmt.Errorf("pyro wire: %w: annotation %q of %d bytes overruns the annotations (%d left)", ErrProtocol, rawKey, size, len(b)-off)
		}
		value := b[off : off+size : off+size]
		off += size
		for _, c := range rawKey {
			if c >= 0x80 {
				return nil, fmt.Errorf("pyro wire: %w: annotation key %q is not ASCII", ErrProtocol, rawKey)
			}
		}

		at := -1
		if index != nil {
			if i, ok := index[string(rawKey)]; ok {
				at = i
			}
		} else {
			for i := range anns {
				if anns[i].Key == string(rawKey) {
					at = i
					break
				}
			}
		}
		if at >= 0 {
			anns[at].Value = value
			continue
		}
		key := internKey(rawKey)
		anns = append(anns, Annotation{Key: key, Value: value})
		if index == nil && len(anns) > smallAnnotationCount {
			index = make(map[string]int, len(anns))
			for i, a := range anns {
				index[a.Key] = i
			}
		} else if index != nil {
			index[key] = len(anns) - 1
		}
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
	i := m.annotationIndex(AnnHMAC)
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
	return limit
}

// zlibReader is a pooled zlib decompressor with its source.
type zlibReader struct {
	src bytes.Reader
	zr  io.ReadCloser
}

// inflate decompresses a zlib stream of at most limit bytes of output. Like Python's
// zlib.decompress it ignores bytes after the end of the stream.
func inflate(data []byte, limit int) ([]byte, error) {
	z := zrPool.Get().(*zlibReader)
	defer zrPool.Put(z)
	z.src.Reset(data)
	var err error
	if z.zr == nil {
		z.zr, err = zlib.NewReader(&z.src)
	} else {
		err = z.zr.(zlib.Resetter).Reset(&z.src, nil)
	}
	if err != nil {
		z.zr = nil // a failed NewReader leaves nothing reusable
		return nil, fmt.Errorf("pyro wire: %w: bad compressed payload: %w", ErrProtocol, err)
	}
	// Start from a guess, then grow with the output actually produced.
	out := make([]byte, 0, min(max(4*len(data), 512), limit+1, readChunk))
	for {
		if len(out) == cap(out) {
			out = append(out, 0)[:len(out)]
		}
		n, err := z.zr.Read(out[len(out):min(cap(out), limit+1)])
		out = out[:len(out)+n]
		if len(out) > limit {
			return nil, fmt.Errorf("pyro wire: %w: payload inflates past the limit of %d bytes", ErrTooLarge, limit)
		}
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("pyro wire: %w: bad compressed payload: %w", ErrProtocol, err)
		}
	}
}
