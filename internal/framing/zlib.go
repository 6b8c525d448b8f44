package framing

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"sync"
)

// Deflater appends zlib streams at one compression level, with pooled compressors.
type Deflater struct {
	level int
	pool  sync.Pool
}

// NewDeflater returns a Deflater for a zlib level (zlib.DefaultCompression, or 0 to 9).
func NewDeflater(level int) *Deflater { return &Deflater{level: level} }

// zlibWriter is a pooled zlib compressor that appends to a byte slice.
type zlibWriter struct {
	zw  *zlib.Writer
	out []byte
}

func (z *zlibWriter) Write(p []byte) (int, error) {
	z.out = append(z.out, p...)
	return len(p), nil
}

// Append appends the zlib stream of data to dst.
func (d *Deflater) Append(dst, data []byte) []byte {
	z, _ := d.pool.Get().(*zlibWriter)
	if z == nil {
		z = new(zlibWriter)
	}
	z.out = dst
	if z.zw == nil {
		// The levels in use are constants in range, so there is no error to handle.
		z.zw, _ = zlib.NewWriterLevel(z, d.level)
	} else {
		z.zw.Reset(z)
	}
	// Writes into a slice cannot fail.
	_, _ = z.zw.Write(data)
	_ = z.zw.Close()
	dst = z.out
	z.out = nil
	d.pool.Put(z)
	return dst
}

// ErrInflateLimit is returned by Inflate for a payload that inflates past its limit.
var ErrInflateLimit = errors.New("payload inflates past the limit")

// ErrBadZlib is wrapped by Inflate's errors for a corrupt stream. The zlib error is kept as
// text only: a stream that ends early is a broken payload inside a whole frame, not a
// truncated frame.
var ErrBadZlib = errors.New("bad compressed payload")

// zlibReader is a pooled zlib decompressor with its source.
type zlibReader struct {
	src bytes.Reader
	zr  io.ReadCloser
}

var readers = sync.Pool{New: func() any { return new(zlibReader) }}

// Inflate decompresses a zlib stream of at most limit bytes of output. Like Python's
// zlib.decompress it ignores bytes after the end of the stream. Memory grows with the output
// actually produced, never with what the sender claims, each buffer taken from budget into
// charge before it is allocated and given back once outgrown (a nil budget takes nothing).
// What charge holds after an error is the caller's to release.
func Inflate(data []byte, limit int, budget *Budget, charge *Charge) ([]byte, error) {
	z := readers.Get().(*zlibReader)
	defer readers.Put(z)
	z.src.Reset(data)
	var err error
	if z.zr == nil {
		z.zr, err = zlib.NewReader(&z.src)
	} else {
		err = z.zr.(zlib.Resetter).Reset(&z.src, nil)
	}
	if err != nil {
		z.zr = nil // a failed NewReader leaves nothing reusable
		return nil, fmt.Errorf("%w: %v", ErrBadZlib, err)
	}
	// Start from a guess (at most readChunk: a small compressed frame cannot make Inflate
	// allocate much before any output exists), then double with the output actually
	// produced (append alone would grow a large buffer by a quarter at a time).
	size := min(max(4*len(data), 512), limit+1, readChunk)
	if err := charge.Take(budget, int64(size)); err != nil {
		return nil, err
	}
	out := make([]byte, 0, size)
	for {
		if len(out) == cap(out) {
			size = min(2*cap(out), limit+1)
			if err := charge.Take(budget, int64(size)); err != nil {
				return nil, fmt.Errorf("inflating past %d bytes: %w", len(out), err)
			}
			grown := make([]byte, len(out), size)
			copy(grown, out)
			charge.Give(int64(cap(out)))
			out = grown
		}
		n, err := z.zr.Read(out[len(out):cap(out)])
		out = out[:len(out)+n]
		if len(out) > limit {
			return nil, fmt.Errorf("%w of %d bytes", ErrInflateLimit, limit)
		}
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadZlib, err)
		}
	}
}
