package wire5

import (
	"encoding/binary"
	"fmt"
	"github.com/gopyro/pyro/internal/framing"
	"io"
	"net"
	"slices"
	"sync"
)

// Buffers kept in the pools stay below this size so that one large message does not pin
// memory for the life of the process.
const maxPooledBuffer = 64 << 10

var (
	bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}
)

// hmacRoom: Pyro5 frames carry no HMAC.
const hmacRoom = 0

// vectorMin is the payload size from which Write sends the payload from the caller's slice
// beside the encoded header (one writev) instead of copying it into the frame buffer.
const vectorMin = 32 << 10

// Write encodes m and sends it with a single system call, as Pyro5 sends a message in one
// send (splitting it would trip Nagle's algorithm). Header and annotations go into a pooled
// buffer; on a TCP or unix socket, a payload of vectorMin bytes or more is not copied but
// sent from m.Data beside it with one writev (net.Buffers). A write allocates nothing in the
// common case.
func Write(w io.Writer, m *Message, cfg *Config) error {
	vectored := framing.Vectored(w)
	if m.Splice.Len() > 0 && (!vectored || mustJoin(cfg)) {
		return Write(w, joined(m), cfg)
	}
	bp := bufPool.Get().(*[]byte)
	buf := (*bp)[:0]
	if !vectored || len(m.Data) < vectorMin {
		// One allocation at most: room for the annotations and the payload besides.
		buf = slices.Grow(buf, HeaderSize+framing.AnnotationsLen(m.Annotations)+hmacRoom+len(m.Data))
	}
	head, payload, err := encode(buf, m, cfg)
	if err == nil {
		if m.Splice.Len() > 0 {
			bufs := m.Splice.Buffers(head, payload)
			_, err = bufs.WriteTo(w)
		} else if !vectored || len(payload) < vectorMin {
			head = append(head, payload...)
			_, err = w.Write(head)
		} else {
			bufs := net.Buffers{head, payload}
			_, err = bufs.WriteTo(w)
		}
		if err != nil {
			err = fmt.Errorf("pyro5 wire: write %s: %w", TypeName(m.Type), err)
		}
	}
	if cap(head) <= maxPooledBuffer {
		*bp = head[:0]
	} else {
		*bp = nil // the next encode sizes its buffer to its own frame
	}
	bufPool.Put(bp)
	return err
}

// Append encodes m as one frame (header, annotations, payload) appended to dst. On error it
// returns dst unchanged in length. See Config for compression and the size limit. The flags
// go out as they are in m, except FlagCompressed, which Append sets when it compresses.
func Append(dst []byte, m *Message, cfg *Config) ([]byte, error) {
	if m.Splice.Len() > 0 {
		m = joined(m)
	}
	dst = slices.Grow(dst, HeaderSize+len(m.Data)) // one allocation for a short dst
	head, payload, err := encode(dst, m, cfg)
	if err != nil {
		return dst, err
	}
	return append(head, payload...), nil
}

// encode appends m's header and annotations to dst and returns them with the payload that
// follows them on the wire: m.Data itself when it goes uncompressed, so that a large payload
// is never copied, or nil when the compressed payload has been appended to head. On error
// head is dst.
func encode(dst []byte, m *Message, cfg *Config) (head, payload []byte, err error) {
	cfg = configOrZero(cfg)
	start := len(dst)

	annSize, err := checkAnnotations(m.Annotations)
	if err != nil {
		return dst, nil, err
	}
	compress := cfg.Compress && len(m.Data) >= compressMinSize
	if n := len(m.Data) + m.Splice.Len(); !compress && uint64(n) > maxFieldSize {
		return dst, nil, fmt.Errorf("pyro5 wire: %w: payload of %d bytes, more than %d", ErrTooLarge, n, uint64(maxFieldSize))
	}

	dst = append(dst, make([]byte, HeaderSize)...)
	for _, a := range m.Annotations {
		dst = append(dst, a.Key...)
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(a.Value)))
		dst = append(dst, a.Value...)
	}
	dataAt := len(dst)

	flags := m.Flags &^ FlagCompressed
	payload = m.Data
	if compress {
		dst = deflate(dst, m.Data)
		if len(dst)-dataAt < len(m.Data) {
			flags |= FlagCompressed
			payload = nil
		} else {
			// Pyro5 would send the bigger stream; the plain payload is as valid and cheaper.
			dst = dst[:dataAt]
		}
	}
	dataSize := uint64(len(payload) + m.Splice.Len()) // never compressed (Write joins those)
	if payload == nil {
		dataSize = uint64(len(dst) - dataAt)
	}
	if dataSize > maxFieldSize {
		return dst[:start], nil, fmt.Errorf("pyro5 wire: %w: payload of %d bytes, more than %d", ErrTooLarge, dataSize, uint64(maxFieldSize))
	}
	if limit := cfg.maxMessageSize(); limit >= 0 && dataSize+annSize > uint64(limit) {
		return dst[:start], nil, fmt.Errorf("pyro5 wire: %w: max message size exceeded (%d where max=%d)", ErrTooLarge, dataSize+annSize, limit)
	}
	header(dst[start:start+HeaderSize]).encode(m, flags, uint32(dataSize), uint32(annSize))
	return dst, payload, nil
}

// checkAnnotations validates the keys as Pyro5 does on send (4 ASCII characters; unique, as
// Pyro5 keeps them in a dict) and returns the chunks' total size.
func checkAnnotations(anns []Annotation) (uint64, error) {
	var size uint64
	if err := framing.CheckKeys(anns, ""); err != nil {
		return 0, fmt.Errorf("pyro5 wire: %w: %v", ErrProtocol, err)
	}
	for _, a := range anns {
		size += annotationChunkHeaderSize + uint64(len(a.Value))
		if size > maxFieldSize {
			return 0, fmt.Errorf("pyro5 wire: %w: annotations take more than %d bytes", ErrTooLarge, uint64(maxFieldSize))
		}
	}
	return size, nil
}

// deflater compresses at Pyro5's level.
var deflater = framing.NewDeflater(compressLevel)

// deflate appends the zlib stream of data at Pyro5's level.
func deflate(dst, data []byte) []byte { return deflater.Append(dst, data) }

// mustJoin says whether a spliced payload must be made contiguous first: compression reads
// it whole.
func mustJoin(cfg *Config) bool { return cfg != nil && cfg.Compress }

// joined is m with its splice joined into Data (framing.Splice.Join).
func joined(m *Message) *Message {
	j := *m
	j.Data, j.Splice = m.Splice.Join(m.Data), framing.Splice{}
	return &j
}
