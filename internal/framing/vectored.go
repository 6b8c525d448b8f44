package framing

import (
	"io"
	"net"
)

// Vectored reports whether w sends net.Buffers with one system call (writev), so a frame's
// header and a large payload can go out together without being copied into one buffer.
// Other writers (a tls.Conn, a bufio.Writer, a test's buffer) get one Write of a copy: a
// frame must not be split into several sends (Nagle's algorithm would delay the second).
func Vectored(w io.Writer) bool {
	switch w.(type) {
	case *net.TCPConn, *net.UnixConn:
		return true
	}
	return false
}

// AnnotationsLen is an upper bound of the bytes anns take in a frame of either protocol.
func AnnotationsLen(anns []Annotation) int {
	n := 0
	for _, a := range anns {
		n += KeySize + 4 + len(a.Value)
	}
	return n
}
