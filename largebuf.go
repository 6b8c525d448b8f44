package pyro

import "sync"

// Large results and requests are encoded into buffers reused across calls: a fresh megabyte
// costs page faults and clearing on every call, which dominated the time of a large payload.
// Only the daemon's and the proxy's own encodings come back here, after their frame is
// written (never a caller's bytes, such as a SerializedBlob's); sync.Pool lets the GC take
// idle ones back.
const (
	largeBufMin = 64 << 10  // smaller encodings are cheap to make
	largeBufMax = 256 << 20 // larger ones are not kept
)

// spliceMin is the size from which a bytes value in a result or a request is not copied into
// the encoding at all but written from its owner's memory (serializer.Splice, wire's
// Message.Splice): the copy into the encode buffer was a quarter of a 16 MB result's time.
const spliceMin = 64 << 10

var largeBufs sync.Pool // of *[]byte, empty, with cap in [largeBufMin, largeBufMax]

// getLargeBuf returns an empty pooled buffer, or nil when there is none.
func getLargeBuf() []byte {
	if p, ok := largeBufs.Get().(*[]byte); ok {
		return (*p)[:0]
	}
	return nil
}

// putLargeBuf keeps b for reuse if it is large; the caller must hold no other reference.
func putLargeBuf(b []byte) {
	if c := cap(b); c >= largeBufMin && c <= largeBufMax {
		kept := b[:0] // a variable of its own: were b's address taken, every call would allocate b
		largeBufs.Put(&kept)
	}
}
