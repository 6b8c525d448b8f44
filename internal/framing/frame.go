// Package framing holds what the Pyro4 (internal/wire) and Pyro5 (internal/wire5) frame layers
// share: annotation chunks, zlib with bounded inflation, and the names of message types and
// flags. The two protocols differ in their headers and in the width of an annotation's length
// field; everything here takes that difference as a parameter.
package framing

import (
	"errors"
	"fmt"
)

// Annotation is one annotation chunk: a 4-character ASCII key and its value bytes.
type Annotation struct {
	Key   string
	Value []byte
}

// KeySize is the length of an annotation key in bytes, in both protocols.
const KeySize = 4

// SmallCount is how many annotations are handled with linear scans and fixed-size scratch
// space; more take a map.
const SmallCount = 16

// Index returns the position of key in anns, or -1.
func Index(anns []Annotation, key string) int {
	for i := range anns {
		if anns[i].Key == key {
			return i
		}
	}
	return -1
}

// Get returns the value of the annotation with the given key.
func Get(anns []Annotation, key string) ([]byte, bool) {
	if i := Index(anns, key); i >= 0 {
		return anns[i].Value, true
	}
	return nil, false
}

// Set sets an annotation, replacing the value in place if the key is present (so the order
// of the others is kept), appending it otherwise.
func Set(anns []Annotation, key string, value []byte) []Annotation {
	if i := Index(anns, key); i >= 0 {
		anns[i].Value = value
		return anns
	}
	return append(anns, Annotation{Key: key, Value: value})
}

// Delete removes the annotation with the given key, keeping the others' order.
func Delete(anns []Annotation, key string) []Annotation {
	if i := Index(anns, key); i >= 0 {
		return append(anns[:i], anns[i+1:]...)
	}
	return anns
}

// ValidKey reports whether k is a usable key: 4 bytes of ASCII.
func ValidKey(k string) bool {
	if len(k) != KeySize {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] >= 0x80 {
			return false
		}
	}
	return true
}

// ErrMalformed is wrapped by ParseAnnotations' errors; each frame layer reports them as its
// own protocol error.
var ErrMalformed = errors.New("malformed annotations")

// ParseAnnotations appends the chunks in b to anns. A chunk is a 4-byte ASCII key, a
// big-endian length of lenSize bytes (2 in Pyro4, 4 in Pyro5) and the value, which shares
// b's storage. A repeated key keeps its first position and takes the last value, as the
// Python dict that Pyro reads them into does. intern returns a protocol's own keys without
// allocating a string for them.
func ParseAnnotations(anns []Annotation, b []byte, lenSize int, intern func([]byte) string) ([]Annotation, error) {
	chunkHeader := KeySize + lenSize
	var index map[string]int // only for messages with many annotations
	for off := 0; off < len(b); {
		if len(b)-off < chunkHeader {
			return nil, fmt.Errorf("%w: truncated annotation chunk header at offset %d", ErrMalformed, off)
		}
		rawKey := b[off : off+KeySize]
		var size uint64
		for _, c := range b[off+KeySize : off+chunkHeader] {
			size = size<<8 | uint64(c)
		}
		off += chunkHeader
		if size > uint64(len(b)-off) {
			return nil, fmt.Errorf("%w: annotation %q of %d bytes overruns the annotations (%d left)", ErrMalformed, rawKey, size, len(b)-off)
		}
		value := b[off : off+int(size) : off+int(size)]
		off += int(size)
		for _, c := range rawKey {
			if c >= 0x80 {
				return nil, fmt.Errorf("%w: annotation key %q is not ASCII", ErrMalformed, rawKey)
			}
		}

		at := -1
		if index != nil {
			if i, ok := index[string(rawKey)]; ok {
				at = i
			}
		} else {
			at = Index(anns, string(rawKey))
		}
		if at >= 0 {
			anns[at].Value = value
			continue
		}
		key := intern(rawKey)
		anns = append(anns, Annotation{Key: key, Value: value})
		if index == nil && len(anns) > SmallCount {
			index = make(map[string]int, len(anns))
			for i, a := range anns {
				index[a.Key] = i
			}
		} else if index != nil {
			index[key] = len(anns) - 1
		}
	}
	return anns, nil
}

// CheckKeys reports the first annotation whose key is not 4 ASCII characters or repeats an
// earlier one. A key equal to skip (the HMAC annotation, which the Pyro4 layer owns) is
// passed over.
func CheckKeys(anns []Annotation, skip string) error {
	// Keys are usually few, and then a scan beats building a set.
	var seen map[string]struct{}
	if len(anns) > SmallCount {
		seen = make(map[string]struct{}, len(anns))
	}
	for i, a := range anns {
		if a.Key == skip && skip != "" {
			continue
		}
		if !ValidKey(a.Key) {
			return fmt.Errorf("annotation key %q must be 4 ASCII characters", a.Key)
		}
		dup := false
		if seen != nil {
			_, dup = seen[a.Key]
			seen[a.Key] = struct{}{}
		} else {
			dup = Index(anns[:i], a.Key) >= 0
		}
		if dup {
			return fmt.Errorf("duplicate annotation key %q", a.Key)
		}
	}
	return nil
}
