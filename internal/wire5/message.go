package wire5

import (
	"encoding/hex"
	"github.com/gopyro/pyro/internal/framing"
	"strconv"
	"strings"
)

// Message is one Pyro5 message. Data is the plain payload (see the package comment for
// compression). Annotations go on the wire in slice order; keys must be unique, 4 ASCII
// characters each.
type Message struct {
	Type          uint8    // Connect, ConnectOK, ConnectFail, Invoke, Result or Ping
	SerializerID  uint8    // serializer of Data (PingSerializerID on pings)
	Flags         uint16   // Flag* bits
	Seq           uint16   // sequence number; a reply carries its request's
	CorrelationID [16]byte // raw UUID bytes; meaningful only with FlagCorrID (see HasCorrelationID)
	Annotations   []Annotation
	Data          []byte

	// Splice, on a message to write, is a large bytes value the encoder left out of Data
	// (framing.Splice): Write sends it from its own memory, Append joins it.
	Splice framing.Splice

	// Held is what the message holds of the Config.Budget it was read with; whoever
	// handles the message releases it when done with Data.
	Held framing.Charge
}

// HasCorrelationID reports whether FlagCorrID is set, which is when Pyro5 takes the header's
// correlation id into account; without it the id bytes are zero and ignored.
func (m *Message) HasCorrelationID() bool { return m.Flags&FlagCorrID != 0 }

// SetCorrelationID sets the correlation id and FlagCorrID, as Pyro5 does when its call
// context has a correlation id.
func (m *Message) SetCorrelationID(id [16]byte) {
	m.CorrelationID = id
	m.Flags |= FlagCorrID
}

// ClearCorrelationID zeroes the correlation id and clears FlagCorrID.
func (m *Message) ClearCorrelationID() {
	m.CorrelationID = [16]byte{}
	m.Flags &^= FlagCorrID
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

// String describes the message for logs, without the payload bytes:
// "INVOKE seq=1 flags=ONEWAY|CORR_ID serializer=1 data=100 corr=000102030405060708090a0b0c0d0e0f
// annotations=[BLBI]".
// The correlation id shows only when FlagCorrID is set.
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
	if m.HasCorrelationID() {
		b.WriteString(" corr=")
		b.WriteString(hex.EncodeToString(m.CorrelationID[:]))
	}
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
