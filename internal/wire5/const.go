// Package wire5 reads and writes Pyro5 protocol version 502 message frames: the 40-byte
// header with its correlation id, the annotation chunks and the payload, with the optional
// zlib compression that Pyro5 applies at this layer. It is the Pyro5 sibling of
// internal/wire (Pyro4, protocol 48); internal/wiresniff tells the two apart on a connection.
//
// It knows bytes and frames only: payloads are opaque and no serializer is involved. The frame
// layout is described in docs/wire5.md.
//
// Message.Data is always the plain payload. Write compresses it when Config.Compress asks for
// it and Read inflates it, so FlagCompressed never shows in a Message that Read returns and is
// ignored by Write. The correlation id and FlagCorrID travel as they are: Pyro5 honours the id
// only when the flag is set. There is no HMAC: Pyro5 dropped it.
package wire5

import (
	"encoding/binary"
	"errors"

	"github.com/gopyro/pyro/internal/framing"
)

// ProtocolVersion is the Pyro5 wire protocol version (Pyro5.protocol.PROTOCOL_VERSION).
const ProtocolVersion = 502

// HeaderSize is the size of the fixed message header in bytes.
const HeaderSize = 40

// Magic is the number in the last two header bytes; Pyro5 has it instead of a checksum.
const Magic = 0x4dc5

// PingSerializerID is the serializer id Pyro5 puts in the header of PING messages, whose
// payload is never deserialized. The daemon answers with the id it received.
const PingSerializerID = 42

// Message types (header offset 6, one byte). The numbers are Pyro4's.
const (
	Connect     uint8 = 1 // client → daemon: the handshake, first message on a connection
	ConnectOK   uint8 = 2 // daemon → client: handshake accepted, metadata always included
	ConnectFail uint8 = 3 // daemon → client: handshake refused, payload is a reason string
	Invoke      uint8 = 4 // client → daemon: a method call
	Result      uint8 = 5 // daemon → client: a call's result or exception
	Ping        uint8 = 6 // either way: payload "ping"/"pong", never deserialized
)

// Flag bits (header offset 8). From ITEMSTREAMRESULT on they differ from Pyro4's: Pyro5 has
// no META_ON_CONNECT, so the later bits moved down, and CORR_ID is new.
const (
	FlagException        uint16 = 1  // the RESULT payload is a serialized exception
	FlagCompressed       uint16 = 2  // the payload (not the annotations) is zlib-compressed
	FlagOneway           uint16 = 4  // INVOKE: the daemon sends no reply
	FlagBatch            uint16 = 8  // INVOKE/RESULT: a batch of calls or of results
	FlagItemStreamResult uint16 = 16 // RESULT: an iterator; its id is in the STRM annotation
	FlagKeepSerialized   uint16 = 32 // INVOKE: the payload is a SerializedBlob pass-through
	FlagCorrID           uint16 = 64 // the header's correlation id is set and meaningful
)

// Annotation keys that Pyro5 itself uses. The correlation id, an annotation in Pyro4, is a
// header field here.
const (
	AnnStream   = "STRM" // ASCII id of an item stream (ITEMSTREAMRESULT replies)
	AnnBlobInfo = "BLBI" // marshal-encoded SerializedBlob info (KEEPSERIALIZED calls)
)

// DefaultMaxMessageSize is Pyro5's MAX_MESSAGE_SIZE (1 GiB): the limit on data plus
// annotations when Config.MaxMessageSize is 0.
const DefaultMaxMessageSize = 1 << 30

// DefaultMaxDecompressedSize bounds an inflated payload when the Config sets no tighter limit,
// so that a small compressed frame cannot make Read allocate without end.
const DefaultMaxDecompressedSize = 1 << 30

const (
	knownFlags                = 127
	compressMinSize           = 101 // Pyro5 compresses payloads of more than 100 bytes
	compressLevel             = 4   // Pyro5's zlib.compress(payload, 4)
	maxFieldSize              = 0xFFFFFFFF
	annotationChunkHeaderSize = 8 // 4-byte key, 4-byte length
	annotationKeySize         = 4
	prefixSize                = 6 // tag and version: what Pyro5 reads and checks first
)

var (
	// ErrProtocol reports a frame that is not valid Pyro5 protocol 502: bad tag, another
	// protocol version, bad magic number, a truncated frame, malformed annotations or a
	// corrupt compressed payload. On write, a bad or duplicate annotation key. After a read
	// error the connection is out of sync and should be closed.
	ErrProtocol = errors.New("protocol error")

	// ErrTooLarge reports a frame over the message size limit (or over the decompression
	// limit) on read, or one that cannot be encoded on write (a size over 2^32-1, or over the
	// limit). On read the frame body has not been consumed, so the connection must be closed,
	// as Pyro5 does.
	ErrTooLarge = errors.New("message too large")

	// ErrBusy reports a frame refused because the memory budget (Config.Budget) could not
	// give the bytes it needed within its wait; it also wraps framing.ErrBudget. The frame
	// may not have been consumed, so the connection must be closed.
	ErrBusy = errors.New("memory budget exhausted")
)

// Annotation is one annotation chunk: a 4-character ASCII key and its value bytes. It is
// internal/wire's type, so that code serving both protocols can pass annotations between them;
// only the chunk encoding differs (Pyro5 allows values up to 2^32-1 bytes).
type Annotation = framing.Annotation

// header is a view of the 40 header bytes with accessors, in the byte order of the wire.
type header []byte

var tag = [4]byte{'P', 'Y', 'R', 'O'}

func (h header) tag() []byte             { return h[0:4] }
func (h header) version() uint16         { return binary.BigEndian.Uint16(h[4:6]) }
func (h header) msgType() uint8          { return h[6] }
func (h header) serializerID() uint8     { return h[7] }
func (h header) flags() uint16           { return binary.BigEndian.Uint16(h[8:10]) }
func (h header) seq() uint16             { return binary.BigEndian.Uint16(h[10:12]) }
func (h header) dataSize() uint32        { return binary.BigEndian.Uint32(h[12:16]) }
func (h header) annotationsSize() uint32 { return binary.BigEndian.Uint32(h[16:20]) }
func (h header) magic() uint16           { return binary.BigEndian.Uint16(h[38:40]) }

// encode fills the header; the reserved field is always 0.
func (h header) encode(m *Message, flags uint16, dataSize, annSize uint32) {
	copy(h[0:4], tag[:])
	binary.BigEndian.PutUint16(h[4:6], ProtocolVersion)
	h[6] = m.Type
	h[7] = m.SerializerID
	binary.BigEndian.PutUint16(h[8:10], flags)
	binary.BigEndian.PutUint16(h[10:12], m.Seq)
	binary.BigEndian.PutUint32(h[12:16], dataSize)
	binary.BigEndian.PutUint32(h[16:20], annSize)
	copy(h[20:36], m.CorrelationID[:])
	binary.BigEndian.PutUint16(h[36:38], 0)
	binary.BigEndian.PutUint16(h[38:40], Magic)
}

// TypeName returns Pyro5's name for a message type ("INVOKE"), or "TYPE(n)" for unknown ones.
func TypeName(t uint8) string { return framing.TypeName(uint16(t)) }

var flagNames = [...]string{"EXCEPTION", "COMPRESSED", "ONEWAY", "BATCH", "ITEMSTREAMRESULT", "KEEPSERIALIZED", "CORR_ID"}

// FlagNames returns the flag bits as Pyro5 names joined by "|" ("ONEWAY|CORR_ID"), unknown
// bits as a number, and "0" for none.
func FlagNames(f uint16) string { return framing.FlagNames(f, flagNames[:]) }
