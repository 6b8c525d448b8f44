package framing

import "io"

// readChunk is the most ReadBody allocates ahead of the bytes actually arriving: a header may
// claim gigabytes, and memory must follow what the peer sends, not what it claims.
const readChunk = 1 << 20

// ReadBody reads exactly n bytes, growing the buffer as bytes arrive rather than trusting n.
// On a short read it returns the bytes read so far with the reader's error.
func ReadBody(r io.Reader, n int) ([]byte, error) {
	b := make([]byte, 0, min(n, readChunk))
	for len(b) < n {
		if len(b) == cap(b) {
			b = append(b, make([]byte, min(cap(b), n-len(b)))...)[:len(b)]
		}
		got, err := io.ReadFull(r, b[len(b):min(cap(b), n)])
		b = b[:len(b)+got]
		if err != nil {
			return b, err
		}
	}
	return b, nil
}
