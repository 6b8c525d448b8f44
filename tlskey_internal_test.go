package pyro

import (
	"encoding/pem"
	"os"
	"testing"

	"github.com/gopyro/pyro/internal/tlstest"
)

// FuzzDecryptPKCS8 feeds the encrypted-key reader arbitrary DER, seeded with a key openssl
// encrypted: it must answer with an error or a key, never panic or run away (the PBKDF2
// iteration count is bounded).
func FuzzDecryptPKCS8(f *testing.F) {
	dir := f.TempDir()
	ca := tlstest.NewCA(f, dir, "fuzz-ca")
	enc := tlstest.EncryptKey(f, ca.Issue(f, "fuzz"), "pw", false)
	data, err := os.ReadFile(enc)
	if err != nil {
		f.Fatal(err)
	}
	b, _ := pem.Decode(data)
	if b == nil {
		f.Fatal("no PEM block in openssl's output")
	}
	if _, err := decryptPKCS8(b.Bytes, []byte("pw")); err != nil {
		f.Fatalf("openssl's key: %v", err)
	}
	f.Add(b.Bytes, "pw")
	f.Add(b.Bytes, "wrong")
	f.Add([]byte{0x30, 0x00}, "")
	f.Fuzz(func(t *testing.T, der []byte, password string) {
		decryptPKCS8(der, []byte(password))
	})
}
