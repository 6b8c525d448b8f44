package gateway

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
)

// correlationID is the X-Pyro-Correlation-Id to answer with, and to send with the call: the
// request's, read as Python's uuid.UUID reads it (urn:uuid: prefix, braces and dashes
// allowed), in str(uuid)'s form, or a new random (version 4) one.
func correlationID(header string) (string, error) {
	s, _, err := correlation(header)
	return s, err
}

// correlation is correlationID, with the id's bytes for the call.
func correlation(header string) (string, [16]byte, error) {
	var id [16]byte
	if header == "" {
		rand.Read(id[:])
		id[6] = id[6]&0x0f | 0x40
		id[8] = id[8]&0x3f | 0x80
	} else {
		h := strings.ReplaceAll(strings.ReplaceAll(header, "urn:", ""), "uuid:", "")
		h = strings.ReplaceAll(strings.Trim(h, "{}"), "-", "")
		if len(h) != 32 {
			return "", id, errBadUUID
		}
		if _, err := hex.Decode(id[:], []byte(h)); err != nil {
			return "", id, errBadUUID
		}
	}
	s := hex.EncodeToString(id[:])
	return s[:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:], id, nil
}

// errBadUUID is Python's uuid.UUID refusal, word for word.
var errBadUUID = errors.New("badly formed hexadecimal UUID string")
