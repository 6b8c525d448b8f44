package wire

import (
	"github.com/gopyro/pyro/internal/framing"
	"strconv"
	"strings"
)

// Annotation is one annotation chunk: a 4-character ASCII key and its value bytes (the same
// type as Pyro5's).
type Annotation = framing.Annotation

// Message is one Pyro4 message. Data is the plain payload (see the package comment for
// compression and HMAC). Annotations go on the wire in slice order; keys must be unique,
// 4 ASCII characters each. Read returns Data in memory of its own, which the caller may keep:
// decoders leave large bytes values in it (serializer.OwnedDecoder) rather than copy them.
type Message struct {
	Type         uint16 // Connect, ConnectOK, ConnectFail, Invoke, Result or Ping
	Flags        uint16 // Flag* bits
	Seq          uint16 // sequence number; a reply carries its request's
	SerializerID uint16 // serializer of Data (PingSerializerID on pings)
	Annotations  []Annotation
	Data         []byte

	// Splice, on a message to write, is a large bytes value the encoder left out of Data
	// (framing.Splice): Write sends it from its own memory, Append joins it.
	Splice framing.Splice

	// Held is what the message holds of the Config.Budget it was read with; whoever
	// handles the message releases it when done with Data.
	Held framing.Charge
}

// Annotation returns the value of the annotation with the given key.
func (m *Message) Annotation(key string) ([]byte, bool) { return framing.Get(m.Annotations, key) }

// SetAnnotation sets an annotation, replacing the value in place if the key is present (so
// its position on the wire stays), appending it otherwise. The key is checked on write.
func (m *Message) SetAnnotation(key string, value []byte) {
	m.Annotations = framing.Set(m.Annotations, key, value)
}

// DeleteAnnotation removes the annotation with the given key, keeping the others' order.
func (m *Message) DeleteAnnotation(key string) { m.Annotations = framing.Delete(m.Annotations, key) }

// CorrelationID returns the 16-byte correlation id from the CORR annotation; ok is false if
// there is none or it is not 16 bytes long.
func (m *Message) CorrelationID() (id [16]byte, ok bool) {
	v, found := m.Annotation(AnnCorrelation)
	if !found || len(v) != len(id) {
		return id, false
	}
	copy(id[:], v)
	return id, true
}

// SetCorrelationID sets the CORR annotation to the raw bytes of a UUID.
func (m *Message) SetCorrelationID(id [16]byte) {
	m.SetAnnotation(AnnCorrelation, id[:])
}

// String describes the message for logs, without the payload bytes:
// "INVOKE seq=1 flags=ONEWAY serializer=1 data=100 annotations=[CORR]".
func (m *Message) String() string {
	var b strings.Builder
	b.WriteString(TypeName(m.Type))
	b.WriteString(" seq=")
	b.WriteString(strconv.Itoa(int(m.Seq)))
	b.WriteString(" flags=")
	b.WriteString(FlagNames(m.Flags))
	b.WriteString(" serializer=")
	b.WriteString(strconv.Itoa(int(m.SerializerID)))
	b.WriteString(" data=")
	b.WriteString(strconv.Itoa(len(m.Data)))
	b.WriteString(" annotations=[")
	for i, a := range m.Annotations {
		if i > 0 {
			b.WriteByte(' ')
		}
		q := strconv.QuoteToASCII(a.Key) // keys from a broken peer may hold anything
		b.WriteString(q[1 : len(q)-1])
	}
	b.WriteByte(']')
	return b.String()
}
