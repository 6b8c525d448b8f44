package pyro

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/gopyro/pyro/internal/wire"
	"github.com/gopyro/pyro/internal/wire5"
)

// WireProtocol is a Pyro wire protocol: Pyro4's (version 48) or Pyro5's (version 502).
//
// A Daemon serves both on every listener and connection kind: the first bytes of a connection
// say which one it speaks (ConnInfo.Protocol). A Proxy speaks the one ProxyConfig.Protocol
// (WithProtocol) names; the zero value, AutoProtocol, finds out (see AutoProtocol).
type WireProtocol uint8

const (
	// AutoProtocol, the zero value, lets a proxy find out which protocol the daemon speaks:
	// it speaks the one that worked last at the daemon's address in this process (Pyro4 the
	// first time, so a Pyro4 daemon sees exactly what it always saw), and when the daemon
	// answers its handshake in the other protocol, as a Python daemon does (it speaks only
	// its own), it connects again once in that one and remembers it for the address. A Go
	// daemon speaks both and is spoken to in Pyro4. A proxy with an HMAC key speaks Pyro4
	// only: Pyro5 has no HMAC.
	AutoProtocol WireProtocol = iota
	// Pyro4 is protocol version 48 (Python Pyro4 4.x).
	Pyro4
	// Pyro5 is protocol version 502 (Python Pyro5 5.x): no HMAC (use TLS), the correlation
	// id in the header, its own serializer ids and class names (Pyro5.core.URI,
	// Pyro5.client.Proxy, Pyro5.errors.*).
	Pyro5
)

// String returns "auto", "Pyro4" or "Pyro5".
func (p WireProtocol) String() string {
	switch p {
	case AutoProtocol:
		return "auto"
	case Pyro4:
		return "Pyro4"
	case Pyro5:
		return "Pyro5"
	}
	return fmt.Sprintf("WireProtocol(%d)", uint8(p))
}

// ParseWireProtocol reads a protocol name as a flag or setting gives it: "auto" (or ""),
// "4", "pyro4" or "48" for Pyro4, "5", "pyro5" or "502" for Pyro5, in any case.
func ParseWireProtocol(s string) (WireProtocol, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return AutoProtocol, nil
	case "4", "pyro4", "48":
		return Pyro4, nil
	case "5", "pyro5", "502":
		return Pyro5, nil
	}
	return AutoProtocol, fmt.Errorf("pyro: unknown wire protocol %q (want auto, pyro4 or pyro5)", s)
}

// other is the protocol AutoProtocol falls back to.
func (p WireProtocol) other() WireProtocol {
	if p == Pyro5 {
		return Pyro4
	}
	return Pyro5
}

// The protocol seam. The daemon's call machinery (serverconn.go: dispatch, instance modes,
// streams, batch, attributes, oneway, annotations, tracebacks) and the proxy's (proxy.go) work
// on internal/wire's Message in Pyro4's numbering: its message types, flag bits and
// serializer ids, and the correlation id as a CORR annotation. A Pyro5 connection reads and
// writes internal/wire5 frames and translates them at the edge, here: serializer ids, flag
// bits, the correlation id between the header and the CORR annotation. What else differs is a
// convention of values (pyro5values.go: class names and shapes) and of the handshake
// (CONNECTOK always carries the metadata), applied where a message is made.

// Pyro5's serializer ids (Pyro5.serializers): marshal and json are swapped against Pyro4's,
// and msgpack has the id that is Pyro4's pickle.
const (
	pyro5SerpentID = 1
	pyro5MarshalID = 2
	pyro5JSONID    = 3
	pyro5MsgpackID = 4
)

// unknownPyro5Serializer marks, in Pyro4 numbering, a Pyro5 serializer id with no Pyro4
// counterpart, so that no codec matches it and it maps back to itself.
const unknownPyro5Serializer = 0x1000

// serializerIDFrom5 turns a Pyro5 serializer id into Pyro4's numbering.
func serializerIDFrom5(id uint8) uint16 {
	switch id {
	case pyro5SerpentID:
		return 1 // serpent is 1 in both
	case pyro5MarshalID:
		return 3
	case pyro5JSONID:
		return 2
	case pyro5MsgpackID:
		return 6
	case wire5.PingSerializerID:
		return wire.PingSerializerID
	}
	return unknownPyro5Serializer | uint16(id)
}

// serializerIDTo5 turns a serializer id in Pyro4's numbering into Pyro5's.
func serializerIDTo5(id uint16) uint8 {
	switch id {
	case 1:
		return pyro5SerpentID
	case 3:
		return pyro5MarshalID
	case 2:
		return pyro5JSONID
	case 6:
		return pyro5MsgpackID
	case wire.PingSerializerID:
		return wire5.PingSerializerID
	}
	return uint8(id &^ unknownPyro5Serializer)
}

// serializerNumber is the id a peer of protocol p wrote for the serializer id (in Pyro4's
// numbering), for messages that quote it.
func serializerNumber(p WireProtocol, id uint16) int {
	if p == Pyro5 {
		return int(serializerIDTo5(id))
	}
	return int(id)
}

// fromWire5 translates a Pyro5 frame into Pyro4's numbering, the correlation id going into a
// CORR annotation. fresh, when not nil, makes an id for a message without one (a daemon gives
// each request one, as Pyro5's does). Annotations a Pyro5 peer sent under the keys that Pyro4
// reserves for itself (CORR, HMAC) are dropped.
func fromWire5(m *wire5.Message, fresh func(id []byte)) *wire.Message {
	box := &struct {
		m    wire.Message
		corr [16]byte
	}{}
	out := &box.m
	*out = wire.Message{Type: uint16(m.Type), Flags: flagsFrom5(m.Flags), Seq: m.Seq,
		SerializerID: serializerIDFrom5(m.SerializerID), Data: m.Data, Held: m.Held}
	anns := m.Annotations
	for _, a := range anns {
		if a.Key == wire.AnnCorrelation || a.Key == wire.AnnHMAC {
			anns = dropReserved(anns)
			break
		}
	}
	switch {
	case m.HasCorrelationID():
		box.corr = m.CorrelationID
	case fresh != nil:
		fresh(box.corr[:])
	default:
		out.Annotations = anns
		return out
	}
	// Usually within the room the frame's own slice has.
	out.Annotations = append(anns, wire.Annotation{Key: wire.AnnCorrelation, Value: box.corr[:]})
	return out
}

func dropReserved(anns []wire.Annotation) []wire.Annotation {
	kept := make([]wire.Annotation, 0, len(anns))
	for _, a := range anns {
		if a.Key != wire.AnnCorrelation && a.Key != wire.AnnHMAC {
			kept = append(kept, a)
		}
	}
	return kept
}

// toWire5 translates a message in Pyro4's numbering into the Pyro5 frame out. A CORR
// annotation of 16 bytes becomes the header's correlation id (else corr, when it is 16 bytes);
// flags with no Pyro5 counterpart (META_ON_CONNECT) are dropped. out's annotations are a new
// slice (m's may be shared: serverConn.pending), nil when only CORR was there.
func toWire5(out *wire5.Message, m *wire.Message, corr []byte) {
	*out = wire5.Message{Type: uint8(m.Type), Flags: flagsTo5(m.Flags), Seq: m.Seq,
		SerializerID: serializerIDTo5(m.SerializerID), Data: m.Data, Splice: m.Splice}
	kept := 0
	for _, a := range m.Annotations {
		switch {
		case a.Key == wire.AnnCorrelation && len(a.Value) == 16:
			corr = a.Value
		case a.Key != wire.AnnCorrelation && a.Key != wire.AnnHMAC:
			kept++
		}
	}
	if kept > 0 {
		out.Annotations = make([]wire5.Annotation, 0, kept)
		for _, a := range m.Annotations {
			if a.Key != wire.AnnCorrelation && a.Key != wire.AnnHMAC {
				out.Annotations = append(out.Annotations, a)
			}
		}
	}
	if len(corr) == 16 {
		out.SetCorrelationID([16]byte(corr))
	}
}

// flagsFrom5 maps Pyro5 flag bits to Pyro4's. EXCEPTION, ONEWAY and BATCH are the same bits;
// CORR_ID is carried as the CORR annotation instead; COMPRESSED never reaches here (the frame
// layer inflates). Unknown bits are dropped.
func flagsFrom5(f uint16) uint16 {
	out := f & (wire.FlagException | wire.FlagOneway | wire.FlagBatch)
	if f&wire5.FlagItemStreamResult != 0 {
		out |= wire.FlagItemStreamResult
	}
	if f&wire5.FlagKeepSerialized != 0 {
		out |= wire.FlagKeepSerialized
	}
	return out
}

// flagsTo5 maps Pyro4 flag bits to Pyro5's, dropping META_ON_CONNECT (Pyro5 always sends the
// metadata with CONNECTOK) and COMPRESSED (the frame layer sets it).
func flagsTo5(f uint16) uint16 {
	out := f & (wire5.FlagException | wire5.FlagOneway | wire5.FlagBatch)
	if f&wire.FlagItemStreamResult != 0 {
		out |= wire5.FlagItemStreamResult
	}
	if f&wire.FlagKeepSerialized != 0 {
		out |= wire5.FlagKeepSerialized
	}
	return out
}

// wire5Config is the frame configuration of Pyro5 connections for a Transport: its message
// size limit (0, unlimited as in Pyro4, is as much as protocol 502's 32-bit fields carry) and
// compression.
func wire5Config(t Transport) wire5.Config {
	c := wire5.Config{MaxMessageSize: t.MaxMessageSize, Compress: t.Compression}
	if c.MaxMessageSize == 0 {
		c.MaxMessageSize = -1
	}
	return c
}

// isProtocolError reports a frame error of either protocol (a malformed or oversized frame).
func isProtocolError(err error) bool {
	return errors.Is(err, wire.ErrProtocol) || errors.Is(err, wire.ErrTooLarge) ||
		errors.Is(err, wire5.ErrProtocol) || errors.Is(err, wire5.ErrTooLarge)
}

// errHMACPyro5 says why a Pyro5 peer and an HMAC key do not go together.
var errHMACPyro5 = errors.New("Pyro5 (protocol 502) has no HMAC; an HMAC key needs Pyro4 (use TLS with Pyro5)")

// protocolMemory remembers, per daemon address, which protocol AutoProtocol found there, so
// that only the first connection to a daemon of the protocol not tried first pays for a
// second handshake. It
// is a cache, not state: a wrong entry (a daemon replaced by one of the other protocol) costs
// one more handshake and is corrected. It keeps at most maxProtocolMemory addresses.
var protocolMemory = struct {
	mu sync.Mutex
	m  map[string]WireProtocol
}{m: map[string]WireProtocol{}}

const maxProtocolMemory = 4096

// rememberedProtocol returns the protocol that last worked at an address, if one did.
func rememberedProtocol(network, address string) (WireProtocol, bool) {
	protocolMemory.mu.Lock()
	defer protocolMemory.mu.Unlock()
	p, ok := protocolMemory.m[network+" "+address]
	return p, ok
}

// rememberProtocol records the protocol that worked at an address.
func rememberProtocol(network, address string, p WireProtocol) {
	key := network + " " + address
	protocolMemory.mu.Lock()
	defer protocolMemory.mu.Unlock()
	if old, ok := protocolMemory.m[key]; ok && old == p {
		return
	} else if !ok && len(protocolMemory.m) >= maxProtocolMemory {
		clear(protocolMemory.m)
	}
	protocolMemory.m[key] = p
}
