package codectest

import (
	"errors"
	"testing"

	"github.com/gopyro/pyro/internal/pyvaltest"
	"github.com/gopyro/pyro/serializer"
)

// AddRandomSeeds adds c's encodings of n random values (pyvaltest with seed and caps) to f's
// seed corpus.
func AddRandomSeeds(f *testing.F, c serializer.Codec, seed uint64, caps pyvaltest.Caps, n int) {
	f.Helper()
	for _, v := range RandomValues(seed, caps, n) {
		b, err := c.Marshal(v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzRoundTrip fuzzes c.Unmarshal: no input may panic, a decoding error must wrap one of
// sentinels, and whatever decodes must re-encode to bytes that decode and re-encode to the
// same bytes. Comparing encodings (deterministic) rather than values with pyval.Equal lets a
// NaN, even as a dict key, count as itself.
func FuzzRoundTrip(f *testing.F, c serializer.Codec, sentinels ...error) {
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, ok := c.(serializer.MeteredDecoder); ok {
			CheckMetered(t, c, data)
		}
		v, err := c.Unmarshal(data)
		if err != nil {
			for _, s := range sentinels {
				if errors.Is(err, s) {
					return
				}
			}
			t.Fatalf("error wraps none of %v: %v", sentinels, err)
		}
		enc, err := c.Marshal(v)
		if err != nil {
			t.Fatalf("decoded %q but cannot re-encode: %v", data, err)
		}
		v2, err := c.Unmarshal(enc)
		if err != nil {
			t.Fatalf("re-encoded %q does not decode: %v", enc, err)
		}
		enc2, err := c.Marshal(v2)
		if err != nil {
			t.Fatalf("second encoding of %q: %v", enc, err)
		}
		if string(enc) != string(enc2) {
			t.Fatalf("round trip changed the value:\n%q\n%q", enc, enc2)
		}
		if o, ok := c.(serializer.OwnedDecoder); ok {
			// Decoding owned data (large bytes left in it) gives the same value.
			vo, err := o.UnmarshalOwned(append([]byte(nil), data...))
			if err != nil {
				t.Fatalf("Unmarshal decodes %q but UnmarshalOwned fails: %v", data, err)
			}
			if enc3, err := c.Marshal(vo); err != nil || string(enc3) != string(enc) {
				t.Fatalf("UnmarshalOwned of %q differs from Unmarshal (%v)", data, err)
			}
		}
	})
}
