package wire5

import (
	"bytes"
	"errors"
	"github.com/gopyro/pyro/internal/framing"
	"io"
	"testing"
)

// fuzzConfigs are the settings each input is read with.
var fuzzConfigs = []*Config{
	nil,
	{MaxMessageSize: 4096, MaxDecompressedSize: 1 << 16},
	{MaxMessageSize: -1, MaxDecompressedSize: 1 << 20},
	{Budget: framing.NewBudget(1<<16, 0)}, // frames over framing.FreeSize and inflation take from it
}

func fuzzSeeds(f *testing.F) {
	for _, fr := range loadGolden(f) {
		f.Add(unhex(f, fr.Frame))
	}
	m := &Message{Type: Invoke, Flags: FlagOneway, Seq: 3, SerializerID: 1, Data: compressible(400)}
	m.SetCorrelationID(testCorr)
	m.SetAnnotation("XTRA", []byte("x"))
	for _, cfg := range []*Config{nil, {Compress: true}} {
		f.Add(mustAppend(f, m, cfg))
	}
	var zero [16]byte
	f.Add(frame(Invoke, 0, 0, 1, zero, append(chunk("AAAA", []byte("1")), chunk("AAAA", []byte("2"))...), nil))
	f.Add(frame(Result, FlagCompressed, 0, 1, zero, nil, []byte{0x78, 0x9c, 0x63, 0x60, 0x18, 0x05, 0xa3, 0x60, 0x14, 0x0c, 0x77, 0, 0}))
	f.Add(frame(Invoke, 0, 0, 1, zero, []byte{'A', 'B', 'C', 'D', 0xff, 0xff, 0xff, 0xff}, nil))
	f.Add([]byte("PYRO\x00\x30"))
}

// FuzzRead feeds arbitrary bytes to Read: it must never panic, every error must be one of the
// documented kinds, and whatever reads must write and read back to the same message.
func FuzzRead(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, cfg := range fuzzConfigs {
			m, err := Read(bytes.NewReader(b), cfg)
			if err != nil {
				if !errors.Is(err, ErrProtocol) && !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrBusy) && err != io.EOF {
					t.Fatalf("undocumented error kind: %v", err)
				}
				if m != nil {
					t.Fatal("message returned with an error")
				}
				continue
			}
			if m.Flags&FlagCompressed != 0 {
				t.Fatalf("Read returned a message still flagged compressed: %v", m)
			}
			m.Held.Release() // the budget counts bytes, the data stays valid
			for _, wcfg := range []*Config{cfg, withCompress(cfg)} {
				out, err := Append(nil, m, wcfg)
				if errors.Is(err, ErrTooLarge) {
					continue // an inflated payload may not fit the limit uncompressed
				}
				if err != nil {
					t.Fatalf("%v read but does not write: %v", m, err)
				}
				back, err := Read(bytes.NewReader(out), wcfg)
				if errors.Is(err, ErrBusy) || errors.Is(err, ErrTooLarge) && wcfg.Budget != nil {
					continue // a small budget may not hold what inflates from the rewrite
				}
				if err != nil {
					t.Fatalf("%v written but does not read back: %v", m, err)
				}
				back.Held.Release()
				if err := sameMessage(back, m); err != nil {
					t.Fatal(err)
				}
			}
			if cfg != nil && cfg.Budget.Held() != 0 {
				t.Fatalf("budget still holds %d bytes", cfg.Budget.Held())
			}
		}
	})
}

func withCompress(c *Config) *Config {
	var n Config
	if c != nil {
		n = *c
	}
	n.Compress = true
	return &n
}
