package framing

import "net"

// Splice is a large bytes value an encoder left out of a payload (serializer.Splice), so
// that it goes to the socket from its owner's memory instead of being copied into the
// encoding: the payload is Data[:At], then Bytes, then Data[At:]. Bytes must stay unchanged
// until the frame is written.
type Splice struct {
	Bytes []byte
	At    int
}

// Len is the number of payload bytes the splice adds.
func (s Splice) Len() int { return len(s.Bytes) }

// Join returns the whole payload in one new slice, for what needs it contiguous
// (compression, an HMAC, a writer that is not Vectored).
func (s Splice) Join(data []byte) []byte {
	if len(s.Bytes) == 0 {
		return data
	}
	out := make([]byte, 0, len(data)+len(s.Bytes))
	out = append(out, data[:s.At]...)
	out = append(out, s.Bytes...)
	return append(out, data[s.At:]...)
}

// Buffers is head and the payload data with the splice in place, for one writev.
func (s Splice) Buffers(head, data []byte) net.Buffers {
	if len(s.Bytes) == 0 {
		return net.Buffers{head, data}
	}
	return net.Buffers{head, data[:s.At], s.Bytes, data[s.At:]}
}
