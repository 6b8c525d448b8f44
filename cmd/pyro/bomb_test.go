package main

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"io"
	"testing"
)

// zeroBomb is a zlib stream of 1 + 258*matches zero bytes, written from a generator so that
// neither it nor its output is ever in memory: one fixed-Huffman deflate block holding a
// literal 0 and then matches of length 258 at distance 1 (13 bits each).
type zeroBomb struct{ matches int }

// inflated is how many zero bytes the stream inflates to.
func (z zeroBomb) inflated() int { return 1 + 258*z.matches }

// size is the length of the zlib stream.
func (z zeroBomb) size() int {
	bits := 3 + 8 + 13*z.matches + 7 // block header, literal, matches, end of block
	return 2 + (bits+7)/8 + 4        // zlib header and Adler-32 trailer
}

// writeTo writes the stream to w.
func (z zeroBomb) writeTo(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write([]byte{0x78, 0x01})
	var acc uint64
	var n uint
	bits := func(v uint64, k uint) { // LSB first, as deflate packs header fields
		acc |= v << n
		n += k
		for n >= 8 {
			bw.WriteByte(byte(acc))
			acc >>= 8
			n -= 8
		}
	}
	code := func(c uint64, k uint) { // Huffman codes go most significant bit first
		var r uint64
		for i := uint(0); i < k; i++ {
			r = r<<1 | c>>i&1
		}
		bits(r, k)
	}
	bits(1, 1)    // BFINAL
	bits(1, 2)    // BTYPE 01: fixed Huffman codes
	code(0x30, 8) // literal 0
	for range z.matches {
		code(0xC5, 8) // length 258 (symbol 285)
		code(0, 5)    // distance 1
	}
	code(0, 7) // end of block
	if n > 0 {
		bits(0, 8-n)
	}
	// Adler-32 of zeros: A stays 1, B adds 1 per byte.
	var sum [4]byte
	binary.BigEndian.PutUint32(sum[:], uint32(z.inflated()%65521)<<16|1)
	bw.Write(sum[:])
	return bw.Flush()
}

// The generator writes what its size says, and zlib inflates it to the zeros it claims.
func TestZeroBomb(t *testing.T) {
	z := zeroBomb{matches: 1000}
	var buf bytes.Buffer
	if err := z.writeTo(&buf); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != z.size() {
		t.Fatalf("wrote %d bytes, size says %d", buf.Len(), z.size())
	}
	zr, err := zlib.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != z.inflated() || bytes.Count(out, []byte{0}) != len(out) {
		t.Fatalf("inflated to %d bytes (want %d zeros)", len(out), z.inflated())
	}
}
