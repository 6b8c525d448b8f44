package framing

import "io"

// readChunk is the most ReadBody allocates ahead of the bytes actually arriving: a header may
// claim gigabytes, and memory must follow what the peer sends, not what it claims.
const readChunk = 1 << 20

// growFactor is how much larger each buffer of a growing body is than the bytes received so
// far. Four keeps what a sender that stops short can make us allocate within four and a half
// times what it sent, while a body that does arrive is copied a third of its size once (1
// and 4 MiB of a 16 MiB frame), against all of it with doubling.
const growFactor = 4

// ReadBody reads exactly n bytes, growing the buffer as bytes arrive rather than trusting n:
// at most readChunk up front, then growFactor times what has arrived (an eighth more when
// that makes it the whole body: step), each buffer taken from
// budget into charge before it is allocated and given back once outgrown (a nil budget takes
// nothing). While it grows a body holds up to 1.25 times its size of the budget; once read,
// its size. The returned slice has a capacity of exactly n and is the caller's alone.
//
// On a short read it returns nil, the number of bytes read and the reader's error; on a
// budget that cannot give more, an error wrapping ErrBudget. What charge holds after an
// error is the caller's to release.
func ReadBody(r io.Reader, n int, budget *Budget, charge *Charge) ([]byte, int, error) {
	size := step(readChunk, n)
	if err := charge.Take(budget, int64(size)); err != nil {
		return nil, 0, err
	}
	b := make([]byte, size)
	got := 0
	for {
		k, err := io.ReadFull(r, b[got:])
		got += k
		if err != nil {
			return nil, got, err
		}
		if got == n {
			return b, n, nil
		}
		size = step(growFactor*got, n)
		if err := charge.Take(budget, int64(size)); err != nil {
			return nil, got, err
		}
		nb := make([]byte, size)
		copy(nb, b[:got])
		charge.Give(int64(got)) // garbage now: the collector's (see Budget)
		b = nb
	}
}

// step is the size of the next buffer of a body of n bytes: want, or n itself when n is at
// most an eighth more, so that a payload of a round size (1 MiB, 16 MiB) with its header and
// annotations is not copied once more for its last few bytes.
func step(want, n int) int {
	if n <= want+want/8 {
		return n
	}
	return want
}
