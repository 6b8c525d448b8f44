// Package wire reads and writes Pyro4 protocol version 48 message frames: the 24-byte header,
// the annotation chunks and the payload, with the optional zlib compression and HMAC-SHA1
// signature that Pyro4 applies at this layer.
//
// It knows bytes and frames only: payloads are opaque and no serializer is involved. The frame
// layout is described in docs/wire.md.
//
// Message.Data is always the plain payload. Write compresses it when Config.Compress asks for
// it and Read inflates it, so FlagCompressed never shows in a Message that Read returns and is
// ignored by Write. Likewise the HMAC annotation belongs to this package: Write adds it when
// Config.HMACKey is set, and Read checks it and removes it.
package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/gopyro/pyro/internal/framing"
)

// ProtocolVersion is the Pyro4 wire protocol version (Pyro4 4.x, PROTOCOL_VERSION).
const ProtocolVersion = 48

// HeaderSize is the size of the fixed message header in bytes.
const HeaderSize = 24

// ChecksumMagic is added to the sum of the header fields to form the header checksum.
const ChecksumMagic = 0x34E9

// PingSerializerID is the serializer id Pyro4 puts in the header of PING messages, whose
// payload is never deserialized.
const PingSerializerID = 42

// Message types (header offset 6).
const (
	Connect     uint16 = 1 // client → daemon: the handshake, first message on a connection
	ConnectOK   uint16 = 2 // daemon → client: handshake accepted
	ConnectFail uint16 = 3 // daemon → client: handshake refused, payload is a reason string
	Invoke      uint16 = 4 // client → daemon: a method call
	Result      uint16 = 5 // daemon → client: a call's result or exception
	Ping        uint16 = 6 // either way: payload "ping"/"pong", never deserialized
)

// Flag bits (header offset 8).
const (
	FlagException        uint16 = 1  // the RESULT payload is a serialized exception
	FlagCompressed       uint16 = 2  // the payload (not the annotations) is zlib-compressed
	FlagOneway           uint16 = 4  // INVOKE: the daemon sends no reply
	FlagBatch            uint16 = 8  // INVOKE/RESULT: a batch of calls or of results
	FlagMetaOnConnect    uint16 = 16 // CONNECT: send metadata back; CONNECTOK: metadata included
	FlagItemStreamResult uint16 = 32 // RESULT: an iterator; its id is in the STRM annotation
	FlagKeepSerialized   uint16 = 64 // INVOKE: the payload is a SerializedBlob pass-through
)

const (
	knownFlags                = 127
	compressMinSize           = 200 // Pyro4 does not try to compress smaller payloads
	maxAnnotationsSize        = 0xFFFF
	maxDataSize               = 0x7FFFFFFF
	annotationChunkHeaderSize = 6
	annotationKeySize         = 4
	hmacSize                  = 20 // SHA-1
)

// DefaultMaxDecompressedSize bounds an inflated payload when the Config sets no tighter limit,
// so that a small compressed frame cannot make Read allocate without end.
const DefaultMaxDecompressedSize = 1 << 30

// Annotation keys that Pyro4 itself uses.
const (
	AnnCorrelation = "CORR" // 16 raw bytes of the correlation UUID
	AnnHMAC        = "HMAC" // 20-byte HMAC-SHA1 of the message; owned by this package
	AnnStream      = "STRM" // ASCII id of an item stream (ITEMSTREAMRESULT replies)
	AnnBlobInfo    = "BLBI" // marshal-encoded SerializedBlob info (KEEPSERIALIZED calls)
)

var (
	// ErrProtocol reports a frame that is not valid Pyro4 protocol 48: bad magic, another
	// protocol version, a header checksum mismatch, a truncated frame, malformed annotations or
	// a corrupt compressed payload. The connection is out of sync and should be closed.
	ErrProtocol = errors.New("protocol error")

	// ErrTooLarge reports a frame over Config.MaxMessageSize (or over the decompression limit)
	// on read, or one that cannot be encoded on write (annotations over 65535 bytes, data over
	// 2^31-1 bytes, or over MaxMessageSize). On read the frame body has not been consumed, so
	// the connection must be closed, as Pyro4 does.
	ErrTooLarge = errors.New("message too large")

	// ErrBusy reports a frame refused because the memory budget (Config.Budget) could not
	// give the bytes it needed within its wait; it also wraps framing.ErrBudget. The frame
	// may not have been consumed, so the connection must be closed.
	ErrBusy = errors.New("memory budget exhausted")

	// ErrSecurity reports an HMAC failure: a digest mismatch, or a digest present on one side
	// only. The whole frame has been consumed, so the stream is still in sync.
	ErrSecurity = errors.New("security error")
)

// header is a view of the 24 header bytes with accessors, in the byte order of the wire.
type header []byte

var magic = [4]byte{'P', 'Y', 'R', 'O'}

func (h header) magic() []byte         { return h[0:4] }
func (h header) version() uint16       { return binary.BigEndian.Uint16(h[4:6]) }
func (h header) msgType() uint16       { return binary.BigEndian.Uint16(h[6:8]) }
func (h header) flags() uint16         { return binary.BigEndian.Uint16(h[8:10]) }
func (h header) seq() uint16           { return binary.BigEndian.Uint16(h[10:12]) }
func (h header) dataSize() int32       { return int32(binary.BigEndian.Uint32(h[12:16])) }
func (h header) serializerID() uint16  { return binary.BigEndian.Uint16(h[16:18]) }
func (h header) annotationsSize() int  { return int(binary.BigEndian.Uint16(h[18:20])) }
func (h header) checksumField() uint16 { return binary.BigEndian.Uint16(h[22:24]) }

// checksum recomputes the header checksum from the fields. Pyro sums the integer values with
// the data size signed; the low 16 bits are the same either way.
func (h header) checksum() uint16 {
	return checksum(h.msgType(), h.flags(), h.seq(), uint32(h.dataSize()), h.serializerID(), uint16(h.annotationsSize()))
}

func checksum(typ, flags, seq uint16, dataSize uint32, serializerID, annSize uint16) uint16 {
	sum := uint32(typ) + ProtocolVersion + dataSize + uint32(annSize) + uint32(serializerID) +
		uint32(flags) + uint32(seq) + ChecksumMagic
	return uint16(sum)
}

// encode fills the header; the reserved field is always 0.
func (h header) encode(typ, flags, seq uint16, dataSize uint32, serializerID, annSize uint16) {
	copy(h[0:4], magic[:])
	binary.BigEndian.PutUint16(h[4:6], ProtocolVersion)
	binary.BigEndian.PutUint16(h[6:8], typ)
	binary.BigEndian.PutUint16(h[8:10], flags)
	binary.BigEndian.PutUint16(h[10:12], seq)
	binary.BigEndian.PutUint32(h[12:16], dataSize)
	binary.BigEndian.PutUint16(h[16:18], serializerID)
	binary.BigEndian.PutUint16(h[18:20], annSize)
	binary.BigEndian.PutUint16(h[20:22], 0)
	binary.BigEndian.PutUint16(h[22:24], checksum(typ, flags, seq, dataSize, serializerID, annSize))
}

func (h header) String() string {
	return fmt.Sprintf("PYRO v%d type=%d flags=%d seq=%d data=%d serializer=%d annotations=%d checksum=%#04x",
		h.version(), h.msgType(), h.flags(), h.seq(), h.dataSize(), h.serializerID(), h.annotationsSize(), h.checksumField())
}

// TypeName returns Pyro4's name for a message type ("INVOKE"), or "TYPE(n)" for unknown ones.
func TypeName(t uint16) string { return framing.TypeName(t) }

var flagNames = [...]string{"EXCEPTION", "COMPRESSED", "ONEWAY", "BATCH", "META_ON_CONNECT", "ITEMSTREAMRESULT", "KEEPSERIALIZED"}

// FlagNames returns the flag bits as Pyro4 names joined by "|" ("ONEWAY|BATCH"), unknown bits
// as a number, and "0" for none.
func FlagNames(f uint16) string { return framing.FlagNames(f, flagNames[:]) }
