package serializer

// AliasMin is the size from which a decoder given owned data (OwnedDecoder) leaves a bytes
// value in the data instead of copying it, if the value is also at least half the data.
// Other values are copied, so that keeping one never keeps alive more than twice its size
// (a small value, a whole large frame).
const AliasMin = 4 << 10

// Alias reports whether a bytes value of n bytes in owned data of dataLen bytes is left in
// it (see AliasMin).
func Alias(n, dataLen int) bool { return n >= AliasMin && 2*n >= dataLen }

// OwnedDecoder is implemented by codecs that can decode without copying large bytes values,
// when the caller hands the data over: it will neither modify nor reuse it afterwards (a
// received frame's payload). Bytes values of AliasMin bytes or more in the result may then
// share the data's memory (see AliasMin). Results are otherwise those of Unmarshal and
// DecodeCall.
type OwnedDecoder interface {
	UnmarshalOwned(data []byte) (any, error)
	// DecodeCallOwned is CallDecoder.DecodeCall for owned data.
	DecodeCallOwned(data []byte) (Call, bool)
}

// UnmarshalOwned is c.Unmarshal(data) for data handed over to the decoder (see
// OwnedDecoder), which may then alias large bytes values into it.
func UnmarshalOwned(c Codec, data []byte) (any, error) {
	if d, ok := c.(OwnedDecoder); ok {
		return d.UnmarshalOwned(data)
	}
	return c.Unmarshal(data)
}

// UnmarshalCallOwned is UnmarshalCall for data handed over to the decoder (see OwnedDecoder).
func UnmarshalCallOwned(c Codec, data []byte) (Call, error) {
	if d, ok := c.(OwnedDecoder); ok {
		if call, ok := d.DecodeCallOwned(data); ok {
			return call, nil
		}
		v, err := d.UnmarshalOwned(data)
		if err != nil {
			return Call{}, err
		}
		return callFrom(v)
	}
	return UnmarshalCall(c, data)
}
