package serializer

// Meter is charged by a decoder for the memory it makes beyond the data it decodes: the
// slots of lists, tuples and sets, dict entries, copied strings and bytes. A decoded value
// can be many times larger than its encoding (a list of zeros: two bytes an element in
// serpent, one in msgpack, sixteen in Go), so a daemon bounds what a message may decode to
// by its memory budget. Charge returns an error to stop decoding, which the decoder returns
// wrapped (errors.Is finds it).
type Meter interface {
	Charge(n int) error
}

// What decoders charge a Meter for what they make.
const (
	// SlotSize is one element of a list, tuple or set (an interface value).
	SlotSize = 16
	// EntrySize is one dict entry: its key and value, their place in the order and index.
	EntrySize = 64
)

// MeteredDecoder is implemented by codecs that charge a Meter for what they make while
// decoding owned data (see OwnedDecoder); results are those of UnmarshalOwned. A nil Meter
// charges nothing.
type MeteredDecoder interface {
	UnmarshalMetered(data []byte, m Meter) (any, error)
}

// MeterFreeData is the data size up to which UnmarshalCallMetered decodes without charging:
// what so little data decodes to is bounded by the codec's largest expansion (sixteen-fold),
// and the typical call keeps its fast path.
const MeterFreeData = 4 << 10

// UnmarshalCallMetered is UnmarshalCallOwned charging m for what the call's values take
// beyond the data (nil m: nothing is charged). Codecs that are not MeteredDecoders decode
// unmetered.
func UnmarshalCallMetered(c Codec, data []byte, m Meter) (Call, error) {
	d, ok := c.(MeteredDecoder)
	if m == nil || !ok || len(data) <= MeterFreeData {
		return UnmarshalCallOwned(c, data)
	}
	v, err := d.UnmarshalMetered(data, m)
	if err != nil {
		return Call{}, err
	}
	return callFrom(v)
}

// UnmarshalMetered is UnmarshalOwned charging m (nil: nothing) when c is a MeteredDecoder.
func UnmarshalMetered(c Codec, data []byte, m Meter) (any, error) {
	if d, ok := c.(MeteredDecoder); ok && m != nil {
		return d.UnmarshalMetered(data, m)
	}
	return UnmarshalOwned(c, data)
}

// Debt gathers a decoder's charges to its Meter into batches, so that a small value costs
// an addition rather than a call: Owe charges the meter once Batch bytes are owed, Settle
// charges the rest at the end of a decode. A Debt without a Meter charges nothing.
type Debt struct {
	Meter Meter
	Batch int
	owed  int
}

// Owe adds n bytes to the debt, charging the meter all of it once Batch bytes are owed.
func (d *Debt) Owe(n int) error {
	d.owed += n
	if d.owed < d.Batch {
		return nil
	}
	return d.Settle()
}

// Settle charges the meter what is owed.
func (d *Debt) Settle() error {
	n := d.owed
	d.owed = 0
	if n == 0 || d.Meter == nil {
		return nil
	}
	return d.Meter.Charge(n)
}
