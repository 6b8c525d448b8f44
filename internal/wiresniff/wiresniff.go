// Package wiresniff tells which Pyro protocol a connection speaks from its first bytes, so
// that one daemon can serve Pyro4 (internal/wire) and Pyro5 (internal/wire5) clients.
//
// Both protocols open every frame with the ASCII tag "PYRO" and a 16-bit big-endian version:
// 48 for Pyro4, 502 for Pyro5. Those 6 bytes decide; they are also what each Pyro checks
// before reading the rest of a header. A client's first message is its CONNECT handshake,
// sent whole in one send, so the 6 bytes come at once from a real Pyro peer.
package wiresniff

import (
	"bufio"
	"encoding/binary"
	"io"

	"github.com/gopyro/pyro/internal/wire"
	"github.com/gopyro/pyro/internal/wire5"
)

// Protocol is the protocol a connection speaks.
type Protocol int

// The protocols Detect tells apart.
const (
	Unknown Protocol = iota // not Pyro, or a Pyro version we do not speak
	Pyro4                   // Pyro4, protocol 48: read it with internal/wire
	Pyro5                   // Pyro5, protocol 502: read it with internal/wire5
)

// String returns "Pyro4", "Pyro5" or "unknown".
func (p Protocol) String() string {
	switch p {
	case Pyro4:
		return "Pyro4"
	case Pyro5:
		return "Pyro5"
	}
	return "unknown"
}

// PrefixSize is how many bytes decide: the tag and the version.
const PrefixSize = 6

var tag = [4]byte{'P', 'Y', 'R', 'O'}

// Classify looks at the first bytes of a connection, however many have arrived. decided is
// false when b is a proper prefix of "PYRO" plus a version and more bytes are needed;
// otherwise p is the answer, and it is Unknown as soon as a byte rules Pyro out.
func Classify(b []byte) (p Protocol, decided bool) {
	n := min(len(b), len(tag))
	if string(b[:n]) != string(tag[:n]) {
		return Unknown, true
	}
	if len(b) < PrefixSize {
		return Unknown, false
	}
	switch binary.BigEndian.Uint16(b[4:6]) {
	case wire.ProtocolVersion:
		return Pyro4, true
	case wire5.ProtocolVersion:
		return Pyro5, true
	}
	return Unknown, true
}

// Detect peeks at the first bytes of a connection and says which protocol it speaks. It
// consumes nothing: the frame reader of that protocol then reads the same bytes from r.
//
// It returns as soon as the bytes buffered so far decide (a first byte other than 'P' does),
// and otherwise waits for more, up to PrefixSize bytes. It cannot tell how long a peer will
// take to send them: a peer that sends part of a prefix and waits would block it forever, so
// the caller sets a read deadline on the connection beneath r first (the handshake timeout,
// say) and clears it after. A real Pyro client never does this: its CONNECT is sent whole.
//
// When r fails before the prefix decides, Detect returns Unknown and an error: io.EOF itself
// if the peer closed without sending a byte (a port probe, say), io.ErrUnexpectedEOF if it
// closed after part of a prefix, and otherwise r's error as it is (a deadline stays
// matchable with errors.Is(err, os.ErrDeadlineExceeded)).
func Detect(r *bufio.Reader) (Protocol, error) {
	for {
		// Ask for one byte more than is buffered: Peek returns as soon as it has it.
		b, err := r.Peek(min(r.Buffered()+1, PrefixSize))
		if p, decided := Classify(b); decided {
			return p, nil
		}
		if err != nil {
			if err == io.EOF && len(b) > 0 {
				err = io.ErrUnexpectedEOF
			}
			return Unknown, err
		}
	}
}
