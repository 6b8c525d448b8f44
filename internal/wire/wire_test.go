package wire

import (
	"bytes"
	"compress/zlib"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"runtime"
	"strings"
	"testing"
)

var allTypes = []uint16{Connect, ConnectOK, ConnectFail, Invoke, Result, Ping}

var allFlags = []uint16{0, FlagException, FlagOneway, FlagBatch, FlagMetaOnConnect, FlagItemStreamResult,
	FlagKeepSerialized, FlagException | FlagItemStreamResult, FlagOneway | FlagBatch | FlagKeepSerialized, 0xFF80}

// sameMessage reports how two messages differ, treating nil and empty slices alike.
func sameMessage(a, b *Message) error {
	if a.Type != b.Type || a.Flags != b.Flags || a.Seq != b.Seq || a.SerializerID != b.SerializerID {
		return fmt.Errorf("header fields differ: %v vs %v", a, b)
	}
	if !bytes.Equal(a.Data, b.Data) {
		return fmt.Errorf("data differs: %d bytes vs %d bytes", len(a.Data), len(b.Data))
	}
	if len(a.Annotations) != len(b.Annotations) {
		return fmt.Errorf("annotations differ: %v vs %v", a, b)
	}
	for i := range a.Annotations {
		x, y := a.Annotations[i], b.Annotations[i]
		if x.Key != y.Key || !bytes.Equal(x.Value, y.Value) {
			return fmt.Errorf("annotation %d differs: %q=%x vs %q=%x", i, x.Key, x.Value, y.Key, y.Value)
		}
	}
	return nil
}

func mustAppend(t testing.TB, m *Message, cfg *Config) []byte {
	t.Helper()
	b, err := Append(nil, m, cfg)
	if err != nil {
		t.Fatalf("Append(%v): %v", m, err)
	}
	return b
}

func mustRead(t testing.TB, b []byte, cfg *Config) *Message {
	t.Helper()
	m, err := Read(bytes.NewReader(b), cfg)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return m
}

// frame builds a frame by hand, with a correct checksum unless told otherwise, so tests can
// say things the writer refuses to.
func frame(typ, flags, seq uint16, dataSize int32, serID uint16, anns, data []byte) []byte {
	b := make([]byte, HeaderSize, HeaderSize+len(anns)+len(data))
	header(b).encode(typ, flags, seq, uint32(dataSize), serID, uint16(len(anns)))
	b = append(b, anns...)
	return append(b, data...)
}

func chunk(key string, value []byte) []byte {
	b := append([]byte(key), byte(len(value)>>8), byte(len(value)))
	return append(b, value...)
}

func compressible(n int) []byte {
	return bytes.Repeat([]byte("pyro"), n/4+1)[:n]
}

func random(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// The header of a CONNECT with serpent, flags 16, seq 0 and 74 payload bytes, as captured
// from Python Pyro4 on the wire (PYRO4-INVENTORY.md 1.1).
func TestWorkedExampleHeader(t *testing.T) {
	want, _ := hex.DecodeString(strings.ReplaceAll("50 59 52 4f 00 30 00 01 00 10 00 00 00 00 00 4a 00 01 00 00 00 00 35 75", " ", ""))
	m := &Message{Type: Connect, Flags: FlagMetaOnConnect, Seq: 0, SerializerID: 1, Data: compressible(74)}
	b := mustAppend(t, m, nil)
	if !bytes.Equal(b[:HeaderSize], want) {
		t.Fatalf("header\n got % x\nwant % x", b[:HeaderSize], want)
	}
	if len(b) != HeaderSize+74 {
		t.Fatalf("frame is %d bytes, want %d", len(b), HeaderSize+74)
	}
	got := mustRead(t, b, nil)
	if err := sameMessage(got, m); err != nil {
		t.Fatal(err)
	}
}

func TestRoundTripEveryTypeAndFlag(t *testing.T) {
	configs := map[string]*Config{
		"plain":     nil,
		"compress":  {Compress: true},
		"hmac":      {HMACKey: []byte("secret")},
		"both":      {Compress: true, HMACKey: []byte("secret")},
		"limited":   {MaxMessageSize: 1 << 20},
		"long key":  {HMACKey: bytes.Repeat([]byte("k"), 100)},
		"empty key": {HMACKey: []byte{}},
	}
	payloads := [][]byte{nil, []byte("ping"), compressible(199), compressible(200), compressible(5000), random(3000, 7)}
	n := 0
	for name, cfg := range configs {
		for _, typ := range allTypes {
			for _, flags := range allFlags {
				for pi, data := range payloads {
					m := &Message{Type: typ, Flags: flags, Seq: uint16(n * 997), SerializerID: uint16(pi + 1), Data: data}
					if pi%2 == 0 {
						m.SetCorrelationID([16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
						m.SetAnnotation("ZZZZ", []byte("last key, first on the wire"))
						m.SetAnnotation("AAAA", nil)
					}
					got := mustRead(t, mustAppend(t, m, cfg), cfg)
					if err := sameMessage(got, m); err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					n++
				}
			}
		}
	}
	t.Logf("%d round trips", n)
}

func TestRoundTripOverPipe(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	cfg := &Config{Compress: true, HMACKey: []byte("k")}
	msgs := []*Message{
		{Type: Connect, Flags: FlagMetaOnConnect, SerializerID: 1, Data: compressible(500)},
		{Type: Invoke, Seq: 1, SerializerID: 1, Data: []byte("call")},
		{Type: Ping, Seq: 2, SerializerID: PingSerializerID, Data: []byte("ping")},
	}
	errc := make(chan error, 1)
	go func() {
		for _, m := range msgs {
			if err := Write(a, m, cfg); err != nil {
				errc <- err
				return
			}
		}
		errc <- a.Close()
	}()
	for _, want := range msgs {
		got, err := Read(b, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := sameMessage(got, want); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Read(b, cfg); err != io.EOF {
		t.Fatalf("after the peer closed: got %v, want io.EOF itself", err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

type countingWriter struct {
	calls int
	buf   bytes.Buffer
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.calls++
	return w.buf.Write(p)
}

func TestWriteIsOneCall(t *testing.T) {
	w := &countingWriter{}
	m := &Message{Type: Invoke, SerializerID: 1, Data: compressible(1000)}
	m.SetAnnotation("CORR", make([]byte, 16))
	if err := Write(w, m, &Config{Compress: true, HMACKey: []byte("k")}); err != nil {
		t.Fatal(err)
	}
	if w.calls != 1 {
		t.Fatalf("Write made %d calls, want 1", w.calls)
	}
}

func TestWriteError(t *testing.T) {
	boom := errors.New("boom")
	err := Write(failingWriter{boom}, &Message{Type: Ping}, nil)
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want it to wrap %v", err, boom)
	}
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

func TestCompressionRules(t *testing.T) {
	cases := []struct {
		name       string
		data       []byte
		compress   bool
		compressed bool
	}{
		{"199 bytes stay plain", compressible(199), true, false},
		{"200 bytes compress", compressible(200), true, true},
		{"incompressible stays plain", random(1000, 3), true, false},
		{"off by default", compressible(5000), false, false},
		{"empty", nil, true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := &Message{Type: Result, Flags: FlagBatch, SerializerID: 1, Data: c.data}
			b := mustAppend(t, m, &Config{Compress: c.compress})
			h := header(b[:HeaderSize])
			if got := h.flags()&FlagCompressed != 0; got != c.compressed {
				t.Fatalf("compressed flag = %v, want %v", got, c.compressed)
			}
			if h.flags()&^FlagCompressed != FlagBatch {
				t.Fatalf("other flags changed: %d", h.flags())
			}
			size := int(h.dataSize())
			if c.compressed {
				if size >= len(c.data) {
					t.Fatalf("compressed payload is %d bytes, not smaller than %d", size, len(c.data))
				}
				// The payload must be a plain zlib stream, as Python's zlib.decompress wants.
				zr, err := zlib.NewReader(bytes.NewReader(b[HeaderSize:]))
				if err != nil {
					t.Fatal(err)
				}
				plain, err := io.ReadAll(zr)
				if err != nil || !bytes.Equal(plain, c.data) {
					t.Fatalf("zlib stream does not inflate to the data: %v", err)
				}
			} else if size != len(c.data) {
				t.Fatalf("data size %d, want %d", size, len(c.data))
			}
			got := mustRead(t, b, nil)
			if err := sameMessage(got, m); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestWriteIgnoresCallerCompressedFlagAndHMAC(t *testing.T) {
	m := &Message{Type: Result, Flags: FlagCompressed | FlagException, Data: []byte("plain")}
	m.SetAnnotation(AnnHMAC, []byte("forged"))
	b := mustAppend(t, m, nil)
	h := header(b[:HeaderSize])
	if h.flags() != FlagException || h.annotationsSize() != 0 {
		t.Fatalf("header %v: want flags 1 and no annotations", h)
	}
	b = mustAppend(t, m, &Config{HMACKey: []byte("k")})
	if got := header(b).annotationsSize(); got != 26 {
		t.Fatalf("annotations size %d, want one HMAC chunk (26)", got)
	}
	mustRead(t, b, &Config{HMACKey: []byte("k")})
}

// signature must be HMAC-SHA1 over data then the other values by key, as Pyro4 computes it.
func TestSignatureMatchesCryptoHMAC(t *testing.T) {
	anns := []Annotation{{Key: "ZZZZ", Value: []byte("z")}, {Key: "CORR", Value: []byte("corr")}, {Key: "HMAC", Value: []byte("skip")}, {Key: "AAAA", Value: []byte("a")}, {Key: "BLBI"}}
	for _, keyLen := range []int{1, 20, 63, 64, 65, 200} {
		key := random(keyLen, uint64(keyLen))
		data := random(keyLen*3, 99)
		mac := hmac.New(sha1.New, key)
		mac.Write(data)
		for _, v := range []string{"a", "", "corr", "z"} { // AAAA BLBI CORR ZZZZ
			mac.Write([]byte(v))
		}
		var got [20]byte
		signature(key, data, anns, got[:])
		if want := mac.Sum(nil); !bytes.Equal(got[:], want) {
			t.Fatalf("key of %d bytes: got %x want %x", keyLen, got, want)
		}
	}
	// Many annotations take the sorting path for big sets.
	var many []Annotation
	for i := 40; i > 0; i-- {
		many = append(many, Annotation{Key: fmt.Sprintf("K%03d", i), Value: []byte{byte(i)}})
	}
	mac := hmac.New(sha1.New, []byte("k"))
	mac.Write([]byte("d"))
	for i := 1; i <= 40; i++ {
		mac.Write([]byte{byte(i)})
	}
	var got [20]byte
	signature([]byte("k"), []byte("d"), many, got[:])
	if !bytes.Equal(got[:], mac.Sum(nil)) {
		t.Fatal("signature over 40 annotations is not in key order")
	}
}

func TestHMACFailures(t *testing.T) {
	key := &Config{HMACKey: []byte("secret")}
	m := &Message{Type: Invoke, Seq: 5, SerializerID: 1, Data: []byte("payload")}
	m.SetAnnotation("CORR", make([]byte, 16))
	signed := mustAppend(t, m, key)
	unsigned := mustAppend(t, m, nil)

	tamperedData := bytes.Clone(signed)
	tamperedData[len(tamperedData)-1] ^= 1
	tamperedAnn := bytes.Clone(signed)
	tamperedAnn[HeaderSize+6] ^= 1 // first byte of the CORR value
	tamperedMAC := bytes.Clone(signed)
	tamperedMAC[HeaderSize+22+6] ^= 1 // first byte of the HMAC value

	cases := []struct {
		name  string
		frame []byte
		cfg   *Config
		msg   string
	}{
		{"signed, no key", signed, nil, "hmac key config not symmetric"},
		{"unsigned, key", unsigned, key, "hmac key config not symmetric"},
		{"wrong key", signed, &Config{HMACKey: []byte("Secret")}, "message hmac mismatch"},
		{"data tampered", tamperedData, key, "message hmac mismatch"},
		{"annotation tampered", tamperedAnn, key, "message hmac mismatch"},
		{"digest tampered", tamperedMAC, key, "message hmac mismatch"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// The next frame must still read: a security error consumes the whole frame.
			r := bytes.NewReader(append(bytes.Clone(c.frame), mustAppend(t, m, c.cfg)...))
			_, err := Read(r, c.cfg)
			if !errors.Is(err, ErrSecurity) || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("got %v, want ErrSecurity with %q", err, c.msg)
			}
			if _, err := Read(r, c.cfg); err != nil {
				t.Fatalf("stream out of sync after a security error: %v", err)
			}
		})
	}
}

func TestTruncationAtEveryOffset(t *testing.T) {
	m := &Message{Type: Result, Seq: 9, SerializerID: 2, Data: compressible(300)}
	m.SetAnnotation("CORR", make([]byte, 16))
	for _, cfg := range []*Config{nil, {Compress: true, HMACKey: []byte("k")}} {
		b := mustAppend(t, m, cfg)
		for i := 0; i < len(b); i++ {
			_, err := Read(bytes.NewReader(b[:i]), cfg)
			if i == 0 {
				if err != io.EOF {
					t.Fatalf("empty input: got %v, want io.EOF itself", err)
				}
				continue
			}
			if !errors.Is(err, io.ErrUnexpectedEOF) || !errors.Is(err, ErrProtocol) {
				t.Fatalf("cut at %d of %d: got %v, want ErrProtocol and io.ErrUnexpectedEOF", i, len(b), err)
			}
		}
	}
}

type errAfter struct {
	data []byte
	err  error
}

func (r *errAfter) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestIOErrorsAreWrapped(t *testing.T) {
	timeout := errors.New("i/o timeout")
	b := mustAppend(t, &Message{Type: Ping, Data: []byte("ping")}, nil)
	for _, cut := range []int{0, 10, HeaderSize, HeaderSize + 2} {
		_, err := Read(&errAfter{b[:cut], timeout}, nil)
		if !errors.Is(err, timeout) || errors.Is(err, ErrProtocol) {
			t.Fatalf("cut at %d: got %v, want the reader's error and no ErrProtocol", cut, err)
		}
	}
}

func TestMalformedFrames(t *testing.T) {
	good := mustAppend(t, &Message{Type: Invoke, SerializerID: 1, Data: []byte("data")}, nil)
	with := func(off int, b ...byte) []byte {
		f := bytes.Clone(good)
		copy(f[off:], b)
		return f
	}
	cases := []struct {
		name  string
		frame []byte
		cfg   *Config
		want  error
		msg   string
	}{
		{"bad magic", with(0, 'P', 'Y', 'R', '0'), nil, ErrProtocol, "bad magic"},
		{"http", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), nil, ErrProtocol, "bad magic"},
		{"version 47", with(4, 0, 47), nil, ErrProtocol, "unsupported protocol version 47"},
		{"pyro5", with(4, 0x01, 0xF6), nil, ErrProtocol, "Pyro5"},
		{"bad checksum", with(23, good[23]^1), nil, ErrProtocol, "header checksum mismatch"},
		{"field changed", with(11, 1), nil, ErrProtocol, "header checksum mismatch"},
		{"negative size", frame(Invoke, 0, 0, -1, 1, nil, nil), nil, ErrProtocol, "negative data size"},
		{"min int32 size", frame(Invoke, 0, 0, -1<<31, 1, nil, nil), nil, ErrProtocol, "negative data size"},
		{"oversize", frame(Invoke, 0, 0, 100, 1, chunk("CORR", make([]byte, 16)), make([]byte, 100)),
			&Config{MaxMessageSize: 121}, ErrTooLarge, "max message size exceeded (122 where max=121)"},
		{"chunk overrun", frame(Invoke, 0, 0, 0, 1, chunk("CORR", make([]byte, 16))[:20], make([]byte, 2)),
			nil, ErrProtocol, "overruns"},
		{"chunk header cut", frame(Invoke, 0, 0, 0, 1, append(chunk("CORR", nil), 'X', 'Y', 'Z'), nil),
			nil, ErrProtocol, "truncated annotation chunk header"},
		{"non-ASCII key", frame(Invoke, 0, 0, 0, 1, chunk("CO\xffR", nil), nil), nil, ErrProtocol, "not ASCII"},
		{"bad zlib", frame(Result, FlagCompressed, 0, 5, 1, nil, []byte("hello")), nil, ErrProtocol, "bad compressed payload"},
		{"cut zlib", frame(Result, FlagCompressed, 0, 10, 1, nil, deflate(nil, compressible(300))[:10]), nil, ErrProtocol, "bad compressed payload"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Read(bytes.NewReader(c.frame), c.cfg)
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("got %v, want %v with %q", err, c.want, c.msg)
			}
		})
	}
}

// An oversize frame is refused from its header: nothing of the body is read or allocated.
func TestOversizeReadsHeaderOnly(t *testing.T) {
	b := frame(Invoke, 0, 0, 1<<31-1, 1, nil, nil)
	r := &errAfter{data: b, err: errors.New("must not read the body")}
	_, err := Read(r, &Config{MaxMessageSize: 1 << 20})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("got %v, want ErrTooLarge", err)
	}
}

// A header claiming 2 GiB followed by a few bytes must not allocate 2 GiB.
func TestHugeClaimAllocatesLittle(t *testing.T) {
	b := frame(Invoke, 0, 0, 1<<31-1, 1, nil, []byte("tiny"))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 5 {
		if _, err := Read(bytes.NewReader(b), nil); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("got %v", err)
		}
	}
	runtime.ReadMemStats(&after)
	if d := after.TotalAlloc - before.TotalAlloc; d > 64<<20 {
		t.Fatalf("reading 5 truncated 2 GiB claims allocated %d bytes", d)
	}
}

func TestDecompressionLimits(t *testing.T) {
	bomb := deflate(nil, make([]byte, 10<<20)) // 10 MiB of zeros in about 10 KiB
	f := frame(Result, FlagCompressed, 0, int32(len(bomb)), 1, chunk("CORR", make([]byte, 16)), bomb)
	cases := []struct {
		name string
		cfg  *Config
		ok   bool
	}{
		{"default limit", nil, true},
		{"max message size", &Config{MaxMessageSize: 1 << 20}, false},
		{"exactly fits max message size", &Config{MaxMessageSize: 10<<20 + 22}, true},
		{"one byte short", &Config{MaxMessageSize: 10<<20 + 21}, false},
		{"max decompressed", &Config{MaxDecompressedSize: 10<<20 - 1}, false},
		{"max decompressed fits", &Config{MaxDecompressedSize: 10 << 20}, true},
		{"smaller of both", &Config{MaxDecompressedSize: 100 << 20, MaxMessageSize: 5 << 20}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := Read(bytes.NewReader(f), c.cfg)
			if c.ok {
				if err != nil || len(m.Data) != 10<<20 {
					t.Fatalf("got %v", err)
				}
				return
			}
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("got %v, want ErrTooLarge", err)
			}
		})
	}
}

// Python ignores bytes after the end of a zlib stream; so do we.
func TestTrailingBytesAfterZlibStream(t *testing.T) {
	z := append(deflate(nil, compressible(300)), "junk"...)
	m := mustRead(t, frame(Result, FlagCompressed, 0, int32(len(z)), 1, nil, z), nil)
	if !bytes.Equal(m.Data, compressible(300)) || m.Flags != 0 {
		t.Fatalf("got %v", m)
	}
}

// Receivers collapse repeated keys into a dict: the first position, the last value.
func TestDuplicateAnnotationsLastWins(t *testing.T) {
	anns := slicesConcat(chunk("AAAA", []byte("1")), chunk("BBBB", []byte("2")), chunk("AAAA", []byte("3")))
	m := mustRead(t, frame(Invoke, 0, 0, 0, 1, anns, nil), nil)
	want := []Annotation{{Key: "AAAA", Value: []byte("3")}, {Key: "BBBB", Value: []byte("2")}}
	if err := sameMessage(m, &Message{Type: Invoke, SerializerID: 1, Annotations: want}); err != nil {
		t.Fatal(err)
	}
	// Past the small-set threshold the lookup switches to a map; same rule.
	var many []byte
	for i := range 40 {
		many = append(many, chunk(fmt.Sprintf("K%03d", i%20), []byte{byte(i)})...)
	}
	m = mustRead(t, frame(Invoke, 0, 0, 0, 1, many, nil), nil)
	if len(m.Annotations) != 20 {
		t.Fatalf("%d annotations, want 20", len(m.Annotations))
	}
	for i, a := range m.Annotations {
		if a.Key != fmt.Sprintf("K%03d", i) || a.Value[0] != byte(i+20) {
			t.Fatalf("annotation %d = %q %v", i, a.Key, a.Value)
		}
	}
}

func slicesConcat(bs ...[]byte) []byte { return bytes.Join(bs, nil) }

func TestWriteRefuses(t *testing.T) {
	big := make([]byte, 65535-6+1)
	cases := []struct {
		name string
		m    *Message
		cfg  *Config
		want error
	}{
		{"short key", &Message{Annotations: []Annotation{{Key: "COR"}}}, nil, ErrProtocol},
		{"long key", &Message{Annotations: []Annotation{{Key: "CORRE", Value: nil}}}, nil, ErrProtocol},
		{"non-ASCII key", &Message{Annotations: []Annotation{{Key: "CÖR", Value: nil}}}, nil, ErrProtocol},
		{"duplicate key", &Message{Annotations: []Annotation{{Key: "CORR", Value: nil}, {Key: "XXXX", Value: nil}, {Key: "CORR", Value: nil}}}, nil, ErrProtocol},
		{"annotations over 65535", &Message{Annotations: []Annotation{{Key: "BIGA", Value: big}}}, nil, ErrTooLarge},
		{"HMAC pushes over 65535", &Message{Annotations: []Annotation{{Key: "BIGA", Value: big[:65535-6-10]}}}, &Config{HMACKey: []byte("k")}, ErrTooLarge},
		{"max message size", &Message{Data: make([]byte, 100), Annotations: []Annotation{{Key: "CORR", Value: make([]byte, 16)}}}, &Config{MaxMessageSize: 121}, ErrTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dst := []byte("prefix")
			out, err := Append(dst, c.m, c.cfg)
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			if string(out) != "prefix" {
				t.Fatalf("dst changed to %q", out)
			}
		})
	}
	// Just inside the limits is fine.
	m := &Message{Annotations: []Annotation{{Key: "BIGA", Value: big[:65535-6]}}, Data: make([]byte, 100)}
	if _, err := Append(nil, m, &Config{MaxMessageSize: 65535 + 100}); err != nil {
		t.Fatal(err)
	}
	// Many annotations use a set for the duplicate check.
	var many []Annotation
	for i := range 100 {
		many = append(many, Annotation{Key: fmt.Sprintf("K%03d", i), Value: nil})
	}
	if _, err := Append(nil, &Message{Annotations: many}, nil); err != nil {
		t.Fatal(err)
	}
	many = append(many, Annotation{Key: "K042", Value: nil})
	if _, err := Append(nil, &Message{Annotations: many}, nil); !errors.Is(err, ErrProtocol) {
		t.Fatalf("duplicate among 101: got %v", err)
	}
}

func TestAppendKeepsPrefix(t *testing.T) {
	m := &Message{Type: Ping, SerializerID: PingSerializerID, Data: []byte("ping")}
	b := mustAppend(t, m, nil)
	out, err := Append([]byte("prefix"), m, nil)
	if err != nil || !bytes.Equal(out, append([]byte("prefix"), b...)) {
		t.Fatalf("got %q, %v", out, err)
	}
}

func TestAnnotationHelpers(t *testing.T) {
	m := &Message{}
	if _, ok := m.CorrelationID(); ok {
		t.Fatal("correlation id on an empty message")
	}
	m.SetAnnotation("XTRA", []byte("1"))
	id := [16]byte{0xde, 0xad}
	m.SetCorrelationID(id)
	m.SetAnnotation("XTRA", []byte("2"))
	if got, ok := m.CorrelationID(); !ok || got != id {
		t.Fatalf("CorrelationID = %x, %v", got, ok)
	}
	if v, ok := m.Annotation("XTRA"); !ok || string(v) != "2" || m.Annotations[0].Key != "XTRA" {
		t.Fatalf("SetAnnotation did not replace in place: %v", m.Annotations)
	}
	m.DeleteAnnotation("XTRA")
	m.DeleteAnnotation("NONE")
	if len(m.Annotations) != 1 || m.Annotations[0].Key != AnnCorrelation {
		t.Fatalf("after delete: %v", m.Annotations)
	}
	m.SetAnnotation(AnnCorrelation, []byte("short"))
	if _, ok := m.CorrelationID(); ok {
		t.Fatal("a 5-byte CORR is not a correlation id")
	}
}

func TestString(t *testing.T) {
	m := &Message{Type: Invoke, Flags: FlagOneway | FlagBatch | 0x100, Seq: 7, SerializerID: 1, Data: make([]byte, 100)}
	m.SetAnnotation("CORR", nil)
	m.SetAnnotation("a\x00\xffb", nil)
	want := `INVOKE seq=7 flags=ONEWAY|BATCH|0x100 serializer=1 data=100 annotations=[CORR a\x00\xffb]`
	if got := m.String(); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if got := TypeName(99) + " " + FlagNames(0); got != "TYPE(99) 0" {
		t.Fatal(got)
	}
	m.DeleteAnnotation("a\x00\xffb")
	h := header(mustAppend(t, m, nil))
	if got := h.String(); !strings.HasPrefix(got, "PYRO v48 type=4 flags=268 seq=7 data=100") {
		t.Fatal(got)
	}
}

// The checksum is computed on the signed data size, as Python does; a negative size in a
// header with a Python-computed checksum passes the checksum and fails the size check.
func TestChecksumOfSignedSize(t *testing.T) {
	b := make([]byte, HeaderSize)
	copy(b, "PYRO")
	binary.BigEndian.PutUint16(b[4:], 48)
	binary.BigEndian.PutUint16(b[6:], Invoke)
	binary.BigEndian.PutUint32(b[12:], uint32(0xFFFFFFF6)) // -10
	binary.BigEndian.PutUint16(b[16:], 1)
	sum := (4 + 48 + -10 + 1 + 0x34E9) & 0xFFFF
	binary.BigEndian.PutUint16(b[22:], uint16(sum))
	_, err := Read(bytes.NewReader(b), nil)
	if !errors.Is(err, ErrProtocol) || !strings.Contains(err.Error(), "negative data size -10") {
		t.Fatalf("got %v", err)
	}
}
