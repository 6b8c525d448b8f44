package wire5

import (
	"encoding/binary"
	"fmt"
	"github.com/gopyro/pyro/internal/framing"
	"io"
	"slices"
	"sync"
)

// Buffers kept in the pools stay below this size so that one large message does not pin
// memory for the life of the process.
const maxPooledBuffer = 64 << 10

var (
	bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}
)

// Write encodes m and sends it with a single w.Write call, as Pyro5 sends a message in one
// send (splitting it would trip Nagle's algorithm). It encodes into a pooled buffer, so a
// write allocates nothing in the common case.
func Write(w io.Writer, m *Message, cfg *Config) error {
	bp := bufPool.Get().(*[]byte)
	buf, err := Append((*bp)[:0], m, cfg)
	if err == nil {
		if _, werr := w.Write(buf); werr != nil {
			err = fmt.Errorf("pyro5 wire: write %s: %w", TypeName(m.Type), werr)
		}
	}
	if cap(buf) <= maxPooledBuffer {
		*bp = buf[:0]
	} else {
		*bp = nil // the next Append sizes its buffer to its own frame
	}
	bufPool.Put(bp)
	return err
}

// Append encodes m as one frame (header, annotations, payload) appended to dst. On error it
// returns dst unchanged in length. See Config for compression and the size limit. The flags
// go out as they are in m, except FlagCompressed, which Append sets when it compresses.
func Append(dst []byte, m *Message, cfg *Config) ([]byte, error) {
	cfg = configOrZero(cfg)
	start := len(dst)

	annSize, err := checkAnnotations(m.Annotations)
	if err != nil {
		return dst, err
	}
	compress := cfg.Compress && len(m.Data) >= compressMinSize
	if !compress && uint64(len(m.Data)) > maxFieldSize {
		return dst, fmt.Errorf("pyro5 wire: %w: payload of %d bytes, more than %d", ErrTooLarge, len(m.Data), uint64(maxFieldSize))
	}

	// One allocation for the whole frame when dst is short (a compressed payload is
	// almost always smaller than the plain one).
	dst = slices.Grow(dst, HeaderSize+int(annSize)+len(m.Data))
	dst = append(dst, make([]byte, HeaderSize)...)
	for _, a := range m.Annotations {
		dst = append(dst, a.Key...)
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(a.Value)))
		dst = append(dst, a.Value...)
	}
	dataAt := len(dst)

	flags := m.Flags &^ FlagCompressed
	if compress {
		dst = deflate(dst, m.Data)
		if len(dst)-dataAt < len(m.Data) {
			flags |= FlagCompressed
		} else {
			// Pyro5 would send the bigger stream; the plain payload is as valid and cheaper.
			dst = append(dst[:dataAt], m.Data...)
		}
	} else {
		dst = append(dst, m.Data...)
	}
	dataSize := uint64(len(dst) - dataAt)
	if dataSize > maxFieldSize {
		return dst[:start], fmt.Errorf("pyro5 wire: %w: payload of %d bytes, more than %d", ErrTooLarge, dataSize, uint64(maxFieldSize))
	}
	if limit := cfg.maxMessageSize(); limit >= 0 && dataSize+annSize > uint64(limit) {
		return dst[:start], fmt.Errorf("pyro5 wire: %w: max message size exceeded (%d where max=%d)", ErrTooLarge, dataSize+annSize, limit)
	}
	header(dst[start:start+HeaderSize]).encode(m, flags, uint32(dataSize), uint32(annSize))
	return dst, nil
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
