package framing

import (
	"bytes"
	"compress/zlib"
	"errors"
	"strings"
	"testing"
)

func intern(k []byte) string { return string(k) }

// Both protocols' chunk layouts parse, repeated keys keep their first place with the last
// value, and malformed chunks are refused.
func TestParseAnnotations(t *testing.T) {
	for _, lenSize := range []int{2, 4} {
		chunk := func(key, value string) []byte {
			b := []byte(key)
			for i := lenSize - 1; i >= 0; i-- {
				b = append(b, byte(len(value)>>(8*i)))
			}
			return append(b, value...)
		}
		b := bytes.Join([][]byte{chunk("AAAA", "1"), chunk("BBBB", "22"), chunk("AAAA", "333")}, nil)
		anns, err := ParseAnnotations(nil, b, lenSize, intern)
		if err != nil || len(anns) != 2 || anns[0].Key != "AAAA" || string(anns[0].Value) != "333" || string(anns[1].Value) != "22" {
			t.Fatalf("lenSize %d: %+v %v", lenSize, anns, err)
		}
		for name, bad := range map[string][]byte{
			"cut header": chunk("AAAA", "x")[:KeySize+1],
			"overrun":    chunk("AAAA", "xyz")[:KeySize+lenSize+1],
			"non-ASCII":  chunk("AA\xffA", ""),
		} {
			if _, err := ParseAnnotations(nil, bad, lenSize, intern); !errors.Is(err, ErrMalformed) {
				t.Errorf("lenSize %d, %s: %v", lenSize, name, err)
			}
		}
	}
}

// Inflate stops at its limit and reports a corrupt stream; Deflate's output inflates back.
func TestDeflateInflate(t *testing.T) {
	data := bytes.Repeat([]byte("pyro "), 10000)
	z := NewDeflater(zlib.DefaultCompression).Append(nil, data)
	if out, err := Inflate(z, len(data), nil, nil); err != nil || !bytes.Equal(out, data) {
		t.Fatalf("round trip: %d bytes, %v", len(out), err)
	}
	if _, err := Inflate(z, len(data)-1, nil, nil); !errors.Is(err, ErrInflateLimit) {
		t.Fatalf("past the limit: %v", err)
	}
	if _, err := Inflate([]byte("not zlib"), 100, nil, nil); !errors.Is(err, ErrBadZlib) {
		t.Fatalf("corrupt: %v", err)
	}
}

func TestNames(t *testing.T) {
	names := []string{"A", "B", "C"}
	if got := FlagNames(0b101|0x100, names); got != "A|C|0x100" {
		t.Errorf("FlagNames: %s", got)
	}
	if got := TypeName(Invoke) + TypeName(99); !strings.HasPrefix(got, "INVOKETYPE(99)") {
		t.Errorf("TypeName: %s", got)
	}
}
