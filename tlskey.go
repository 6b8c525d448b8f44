package pyro

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
)

// Encrypted private keys: Go's standard library reads PKCS#8 keys only in the clear, so the
// PBES2 scheme OpenSSL writes (RFC 8018) is decrypted here with crypto/pbkdf2 and CBC.

var (
	oidPBES2  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
)

// pbkdf2PRFs are PBKDF2's pseudo-random functions by OID (hmacWithSHA1 is the default).
var pbkdf2PRFs = map[string]func() hash.Hash{
	"1.2.840.113549.2.7":  sha1.New,
	"1.2.840.113549.2.8":  sha256.New224,
	"1.2.840.113549.2.9":  sha256.New,
	"1.2.840.113549.2.10": sha512.New384,
	"1.2.840.113549.2.11": sha512.New,
}

// pbes2Ciphers are the CBC ciphers by OID, with their key sizes.
var pbes2Ciphers = map[string]struct {
	keyLen int
	block  func([]byte) (cipher.Block, error)
}{
	"2.16.840.1.101.3.4.1.2":  {16, aes.NewCipher},
	"2.16.840.1.101.3.4.1.22": {24, aes.NewCipher},
	"2.16.840.1.101.3.4.1.42": {32, aes.NewCipher},
	"1.2.840.113549.3.7":      {24, des.NewTripleDESCipher},
}

type encryptedPrivateKeyInfo struct {
	Algo pkix
	Data []byte
}

type pkix struct {
	Algorithm  asn1.ObjectIdentifier
	Parameters asn1.RawValue `asn1:"optional"`
}

type pbes2Params struct {
	KDF, Cipher pkix
}

type pbkdf2Params struct {
	Salt       []byte
	Iterations int
	KeyLength  int  `asn1:"optional"`
	PRF        pkix `asn1:"optional"`
}

// decryptPKCS8 returns the DER of the PKCS#8 key inside an EncryptedPrivateKeyInfo.
func decryptPKCS8(der, password []byte) ([]byte, error) {
	var info encryptedPrivateKeyInfo
	if _, err := asn1.Unmarshal(der, &info); err != nil {
		return nil, fmt.Errorf("encrypted PKCS#8 key: %w", err)
	}
	if !info.Algo.Algorithm.Equal(oidPBES2) {
		return nil, fmt.Errorf("encrypted PKCS#8 key: unsupported scheme %v (only PBES2 is; re-encrypt with openssl pkcs8 -topk8 -v2 aes-256-cbc)", info.Algo.Algorithm)
	}
	var params pbes2Params
	if _, err := asn1.Unmarshal(info.Algo.Parameters.FullBytes, &params); err != nil {
		return nil, fmt.Errorf("encrypted PKCS#8 key: PBES2 parameters: %w", err)
	}
	if !params.KDF.Algorithm.Equal(oidPBKDF2) {
		return nil, fmt.Errorf("encrypted PKCS#8 key: unsupported key derivation %v (only PBKDF2 is)", params.KDF.Algorithm)
	}
	var kdf pbkdf2Params
	if _, err := asn1.Unmarshal(params.KDF.Parameters.FullBytes, &kdf); err != nil {
		return nil, fmt.Errorf("encrypted PKCS#8 key: PBKDF2 parameters: %w", err)
	}
	prf := sha1.New
	if len(kdf.PRF.Algorithm) > 0 {
		var ok bool
		if prf, ok = pbkdf2PRFs[kdf.PRF.Algorithm.String()]; !ok {
			return nil, fmt.Errorf("encrypted PKCS#8 key: unsupported PBKDF2 hash %v", kdf.PRF.Algorithm)
		}
	}
	ciph, ok := pbes2Ciphers[params.Cipher.Algorithm.String()]
	if !ok {
		return nil, fmt.Errorf("encrypted PKCS#8 key: unsupported cipher %v (AES-CBC and DES-EDE3-CBC are)", params.Cipher.Algorithm)
	}
	var iv []byte
	if _, err := asn1.Unmarshal(params.Cipher.Parameters.FullBytes, &iv); err != nil {
		return nil, fmt.Errorf("encrypted PKCS#8 key: cipher IV: %w", err)
	}
	if kdf.Iterations <= 0 || kdf.Iterations > 10_000_000 {
		return nil, fmt.Errorf("encrypted PKCS#8 key: PBKDF2 iteration count %d out of range", kdf.Iterations)
	}
	key, err := pbkdf2.Key(prf, string(password), kdf.Salt, kdf.Iterations, ciph.keyLen)
	if err != nil {
		return nil, fmt.Errorf("encrypted PKCS#8 key: %w", err)
	}
	block, err := ciph.block(key)
	if err != nil {
		return nil, fmt.Errorf("encrypted PKCS#8 key: %w", err)
	}
	plain, err := cbcDecrypt(block, iv, info.Data)
	if err != nil {
		return nil, err
	}
	if _, err := x509.ParsePKCS8PrivateKey(plain); err != nil {
		return nil, ErrKeyPassword // padding that happens to look right, from a wrong key
	}
	return plain, nil
}

// cbcDecrypt decrypts CBC data and removes its PKCS#7 padding; bad padding almost always
// means a wrong password.
func cbcDecrypt(block cipher.Block, iv, data []byte) ([]byte, error) {
	bs := block.BlockSize()
	if len(iv) != bs || len(data) == 0 || len(data)%bs != 0 {
		return nil, errors.New("encrypted key: malformed IV or data length")
	}
	out := make([]byte, len(data))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(out, data)
	n := int(out[len(out)-1])
	if n == 0 || n > bs || n > len(out) {
		return nil, ErrKeyPassword
	}
	for _, b := range out[len(out)-n:] {
		if int(b) != n {
			return nil, ErrKeyPassword
		}
	}
	return out[:len(out)-n], nil
}

// decryptLegacyPEM decrypts an OpenSSL "traditional" encrypted PEM block (RFC 1423,
// what openssl rsa -aes256 -traditional writes). Go deprecated the function because the
// format is weak, but the keys exist and Python reads them.
func decryptLegacyPEM(b *pem.Block, password []byte) ([]byte, error) {
	//lint:ignore SA1019 reading the legacy format is the point; writing it is not offered
	der, err := x509.DecryptPEMBlock(b, password)
	if errors.Is(err, x509.IncorrectPasswordError) {
		return nil, ErrKeyPassword
	}
	if err != nil {
		return nil, fmt.Errorf("encrypted PEM key: %w", err)
	}
	return der, nil
}
