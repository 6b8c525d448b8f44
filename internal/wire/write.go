package wire

import (
	"compress/zlib"
	"crypto/sha1"
	"fmt"
	"github.com/gopyro/pyro/internal/framing"
	"hash"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
)

// Config holds the per-connection settings of the frame layer. The zero value (and a nil
// *Config) means: no size limit, no HMAC, no compression, as Pyro4's defaults.
type Config struct {
	// MaxMessageSize limits data plus annotations, in bytes (Pyro4's MAX_MESSAGE_SIZE);
	// 0 or less means unlimited. Read refuses a bigger frame before reading its body, Write
	// refuses to send one. Read also applies it to the decompressed payload, which Pyro4 does
	// not, so that a compressed frame cannot inflate past it.
	MaxMessageSize int

	// MaxDecompressedSize bounds an inflated payload; 0 or less means
	// DefaultMaxDecompressedSize. MaxMessageSize, when set and smaller, wins.
	MaxDecompressedSize int

	// HMACKey, when not empty, signs every written message and requires a valid signature on
	// every read one (Pyro4's HMAC_KEY / _pyroHmacKey). Both peers must agree.
	HMACKey []byte

	// Compress makes Write zlib-compress payloads of 200 bytes or more when that makes them
	// strictly smaller (Pyro4's COMPRESSION). Read inflates whatever it receives regardless.
	Compress bool

	// Budget, when set, is taken from by Read for frame bodies over framing.FreeSize and for
	// every inflated payload (Message.Held); a frame larger than the whole budget is
	// ErrTooLarge, one that cannot get its bytes within the budget's wait ErrBusy.
	Budget *framing.Budget
}

var zeroConfig Config

func configOrZero(c *Config) *Config {
	if c == nil {
		return &zeroConfig
	}
	return c
}

// Buffers kept in the pools stay below this size so that one large message does not pin
// memory for the life of the process.
const maxPooledBuffer = 64 << 10

var (
	bufPool  = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}
	hmacPool = sync.Pool{New: func() any { return &hmacSHA1{inner: sha1.New(), outer: sha1.New()} }}
)

// hmacRoom is the room an HMAC annotation chunk takes.
const hmacRoom = annotationChunkHeaderSize + hmacSize

// vectorMin is the payload size from which Write sends the payload from the caller's slice
// beside the encoded header (one writev) instead of copying it into the frame buffer.
const vectorMin = 32 << 10

// Write encodes m and sends it with a single system call, as Pyro4 sends a message in one
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
			err = fmt.Errorf("pyro wire: write %s: %w", TypeName(m.Type), err)
		}
	}
	if cap(head) <= maxPooledBuffer {
		*bp = head[:0]
		bufPool.Put(bp)
	}
	return err
}

// Append encodes m as one frame (header, annotations, payload) appended to dst. On error it
// returns dst unchanged in length. See Config for compression, HMAC and the size limit.
func Append(dst []byte, m *Message, cfg *Config) ([]byte, error) {
	if m.Splice.Len() > 0 {
		m = joined(m)
	}
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
	signed := len(cfg.HMACKey) > 0

	annSize, err := checkAnnotations(m.Annotations)
	if err != nil {
		return dst, nil, err
	}
	if signed {
		annSize += annotationChunkHeaderSize + hmacSize
	}
	if annSize > maxAnnotationsSize {
		return dst, nil, fmt.Errorf("pyro wire: %w: annotations take %d bytes, more than %d", ErrTooLarge, annSize, maxAnnotationsSize)
	}
	compress := cfg.Compress && len(m.Data) >= compressMinSize
	if n := len(m.Data) + m.Splice.Len(); !compress && n > maxDataSize {
		return dst, nil, fmt.Errorf("pyro wire: %w: payload of %d bytes, more than %d", ErrTooLarge, n, maxDataSize)
	}

	dst = append(dst, make([]byte, HeaderSize)...)
	for _, a := range m.Annotations {
		if a.Key == AnnHMAC {
			continue
		}
		dst = append(dst, a.Key...)
		dst = append(dst, byte(len(a.Value)>>8), byte(len(a.Value)))
		dst = append(dst, a.Value...)
	}
	hmacAt := len(dst)
	if signed {
		dst = append(dst, AnnHMAC...)
		dst = append(dst, 0, hmacSize)
		dst = append(dst, make([]byte, hmacSize)...)
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
			dst = dst[:dataAt]
		}
	}
	data := payload
	if payload == nil {
		data = dst[dataAt:]
	}
	dataSize := len(data)
	if payload != nil {
		dataSize += m.Splice.Len() // never signed nor compressed (Write joins those)
	}
	if dataSize > maxDataSize {
		return dst[:start], nil, fmt.Errorf("pyro wire: %w: payload of %d bytes, more than %d", ErrTooLarge, dataSize, maxDataSize)
	}
	if cfg.MaxMessageSize > 0 && dataSize+annSize > cfg.MaxMessageSize {
		return dst[:start], nil, fmt.Errorf("pyro wire: %w: max message size exceeded (%d where max=%d)", ErrTooLarge, dataSize+annSize, cfg.MaxMessageSize)
	}
	if signed {
		signature(cfg.HMACKey, data, m.Annotations, dst[hmacAt+annotationChunkHeaderSize:dataAt])
	}
	header(dst[start:start+HeaderSize]).encode(m.Type, flags, m.Seq, uint32(dataSize), m.SerializerID, uint16(annSize))
	return dst, payload, nil
}

// checkAnnotations validates the keys as Pyro4 does on send and returns the chunks' total
// size. The HMAC annotation is skipped: this package writes its own.
func checkAnnotations(anns []Annotation) (int, error) {
	size := 0
	if err := framing.CheckKeys(anns, AnnHMAC); err != nil {
		return 0, fmt.Errorf("pyro wire: %w: %v", ErrProtocol, err)
	}
	for _, a := range anns {
		if a.Key == AnnHMAC {
			continue
		}
		size += annotationChunkHeaderSize + len(a.Value)
		if size > maxAnnotationsSize {
			return 0, fmt.Errorf("pyro wire: %w: annotations take more than %d bytes", ErrTooLarge, maxAnnotationsSize)
		}
	}
	return size, nil
}

// deflater compresses at zlib's default level, like Python's zlib.compress.
var deflater = framing.NewDeflater(zlib.DefaultCompression)

// deflate appends the zlib stream of data.
func deflate(dst, data []byte) []byte { return deflater.Append(dst, data) }

// signature writes into out the HMAC-SHA1 of data followed by the values of all annotations
// except HMAC, in ascending key order, as Pyro4 computes it. Keys are unique here.
func signature(key, data []byte, anns []Annotation, out []byte) {
	h := hmacPool.Get().(*hmacSHA1)
	h.start(key)
	h.inner.Write(data)
	// Sort indexes, not the caller's slice; on the stack for the usual handful.
	var small [framing.SmallCount]int
	idx := small[:0]
	if len(anns) > len(small) {
		idx = make([]int, 0, len(anns))
	}
	for i := range anns {
		if anns[i].Key != AnnHMAC {
			idx = append(idx, i)
		}
	}
	if len(idx) <= len(small) {
		for i := 1; i < len(idx); i++ {
			for j := i; j > 0 && anns[idx[j-1]].Key > anns[idx[j]].Key; j-- {
				idx[j-1], idx[j] = idx[j], idx[j-1]
			}
		}
	} else {
		slices.SortFunc(idx, func(a, b int) int { return strings.Compare(anns[a].Key, anns[b].Key) })
	}
	for _, i := range idx {
		h.inner.Write(anns[i].Value)
	}
	copy(out, h.finish())
	hmacPool.Put(h)
}

// hmacSHA1 is HMAC-SHA1 (RFC 2104) over reusable hash states, so that signing a message in
// the pool allocates nothing; crypto/hmac would have to be rebuilt for every key.
type hmacSHA1 struct {
	inner, outer hash.Hash
	ipad, opad   [sha1.BlockSize]byte // kept here: a pad on the stack would escape into Write
	sum          [sha1.Size]byte
}

func (h *hmacSHA1) start(key []byte) {
	if len(key) > sha1.BlockSize {
		h.sum = sha1.Sum(key)
		key = h.sum[:]
	}
	h.ipad = [sha1.BlockSize]byte{}
	copy(h.ipad[:], key)
	h.opad = h.ipad
	for i := range h.ipad {
		h.ipad[i] ^= 0x36
		h.opad[i] ^= 0x5c
	}
	h.inner.Reset()
	h.inner.Write(h.ipad[:])
}

func (h *hmacSHA1) finish() []byte {
	inner := h.inner.Sum(h.sum[:0])
	h.outer.Reset()
	h.outer.Write(h.opad[:])
	h.outer.Write(inner)
	return h.outer.Sum(h.sum[:0])
}

// mustJoin says whether a spliced payload must be made contiguous first: compression and
// the HMAC read it whole.
func mustJoin(cfg *Config) bool {
	return cfg != nil && (cfg.Compress || len(cfg.HMACKey) > 0)
}

// joined is m with its splice joined into Data (framing.Splice.Join).
func joined(m *Message) *Message {
	j := *m
	j.Data, j.Splice = m.Splice.Join(m.Data), framing.Splice{}
	return &j
}
