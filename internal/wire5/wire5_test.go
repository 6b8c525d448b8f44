package wire5

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gopyro/pyro/internal/wire"
)

var (
	allTypes = []uint8{Connect, ConnectOK, ConnectFail, Invoke, Result, Ping}
	allFlags = []uint16{0, FlagException, FlagOneway, FlagBatch, FlagItemStreamResult, FlagKeepSerialized, FlagCorrID,
		FlagException | FlagItemStreamResult | FlagCorrID, knownFlags &^ FlagCompressed, 0x80, 0xff00}
	testCorr = [16]byte{0x12, 0x34, 0x56, 0x78, 0x12, 0x34, 0x56, 0x78, 0x12, 0x34, 0x56, 0x78, 0x12, 0x34, 0x56, 0x78}
)

// compressible returns n bytes of text that zlib shrinks.
func compressible(n int) []byte {
	return []byte(strings.Repeat("the quick brown fox jumps over the lazy dog. ", n/45+1)[:n])
}

// random returns n bytes that zlib cannot shrink.
func random(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, seed))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func mustAppend(t testing.TB, m *Message, cfg *Config) []byte {
	t.Helper()
	b, err := Append(nil, m, cfg)
	if err != nil {
		t.Fatalf("Append(%v): %v", m, err)
	}
	return b
}

// chunk encodes one annotation chunk, independently of Append.
func chunk(key string, v []byte) []byte {
	b := append([]byte(key), 0, 0, 0, 0)
	binary.BigEndian.PutUint32(b[len(key):], uint32(len(v)))
	return append(b, v...)
}

// frame encodes a frame from raw field values, independently of Append, so that tests can
// build what Append refuses to.
func frame(typ uint8, flags, seq uint16, ser uint8, corr [16]byte, anns, data []byte) []byte {
	h := make([]byte, HeaderSize)
	copy(h, "PYRO")
	binary.BigEndian.PutUint16(h[4:], ProtocolVersion)
	h[6], h[7] = typ, ser
	binary.BigEndian.PutUint16(h[8:], flags)
	binary.BigEndian.PutUint16(h[10:], seq)
	binary.BigEndian.PutUint32(h[12:], uint32(len(data)))
	binary.BigEndian.PutUint32(h[16:], uint32(len(anns)))
	copy(h[20:36], corr[:])
	binary.BigEndian.PutUint16(h[38:], Magic)
	return append(append(h, anns...), data...)
}

func zlibBytes(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zlib.NewWriter(&b)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// sameMessage compares two messages field by field; nil and empty slices are equal.
func sameMessage(got, want *Message) error {
	if got.Type != want.Type || got.Flags != want.Flags || got.Seq != want.Seq || got.SerializerID != want.SerializerID {
		return fmt.Errorf("header: got %v, want %v", got, want)
	}
	if got.CorrelationID != want.CorrelationID {
		return fmt.Errorf("correlation id: got %x, want %x", got.CorrelationID, want.CorrelationID)
	}
	if len(got.Annotations) != len(want.Annotations) {
		return fmt.Errorf("annotations: got %v, want %v", got, want)
	}
	for i := range got.Annotations {
		if got.Annotations[i].Key != want.Annotations[i].Key || !bytes.Equal(got.Annotations[i].Value, want.Annotations[i].Value) {
			return fmt.Errorf("annotation %d: got %q=%x, want %q=%x", i, got.Annotations[i].Key, got.Annotations[i].Value,
				want.Annotations[i].Key, want.Annotations[i].Value)
		}
	}
	if !bytes.Equal(got.Data, want.Data) {
		return fmt.Errorf("data: got %d bytes %.40q, want %d bytes %.40q", len(got.Data), got.Data, len(want.Data), want.Data)
	}
	return nil
}

func roundTrip(t *testing.T, m *Message, cfg *Config) *Message {
	t.Helper()
	b := mustAppend(t, m, cfg)
	r := bytes.NewReader(b)
	got, err := Read(r, cfg)
	if err != nil {
		t.Fatalf("Read(%v): %v", m, err)
	}
	if r.Len() != 0 {
		t.Fatalf("%v: %d bytes left unread", m, r.Len())
	}
	want := *m
	want.Flags &^= FlagCompressed
	if err := sameMessage(got, &want); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestRoundTrip(t *testing.T) {
	for _, typ := range allTypes {
		for _, flags := range allFlags {
			for _, ser := range []uint8{0, 1, 2, 3, 4, PingSerializerID, 255} {
				m := &Message{Type: typ, Flags: flags, Seq: uint16(typ)*1000 + flags, SerializerID: ser, Data: []byte("data")}
				if flags&FlagCorrID != 0 {
					m.CorrelationID = testCorr
				}
				roundTrip(t, m, nil)
			}
		}
	}
	big := &Message{Type: Result, Seq: 65535, SerializerID: 1, Data: random(1<<20, 1)}
	big.SetCorrelationID(testCorr)
	big.SetAnnotation("HUGE", random(70000, 2)) // over Pyro4's 65535-byte cap on all annotations
	big.SetAnnotation("tiny", nil)
	roundTrip(t, big, nil)
	roundTrip(t, &Message{Type: Invoke}, nil)
	roundTrip(t, &Message{Type: 0, Data: []byte{}}, nil) // the frame layer leaves types to its callers
	// More annotations than the small-count scans handle.
	many := &Message{Type: Invoke, SerializerID: 1, Data: []byte("x")}
	for i := range 40 {
		many.SetAnnotation(fmt.Sprintf("k%03d", i), []byte{byte(i)})
	}
	roundTrip(t, many, nil)
	// Compression on: small payloads stay plain, big compressible ones shrink.
	for _, n := range []int{0, 1, 100, 101, 4000, 1 << 20} {
		m := &Message{Type: Result, SerializerID: 4, Data: compressible(n), Flags: FlagBatch}
		m.SetAnnotation("XTRA", compressible(300))
		roundTrip(t, m, &Config{Compress: true})
	}
	roundTrip(t, &Message{Type: Result, SerializerID: 4, Data: random(1000, 3)}, &Config{Compress: true})
}

// The header bytes as protocol.py lays them out: '!4sHBBHHII16sHH'.
func TestHeaderLayout(t *testing.T) {
	m := &Message{Type: Invoke, SerializerID: 3, Flags: FlagOneway, Seq: 0x0102, Data: []byte("hello")}
	m.SetCorrelationID([16]byte{0xa0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0xaf})
	m.SetAnnotation("ABCD", []byte("xy"))
	b := mustAppend(t, m, nil)
	want := []byte{
		'P', 'Y', 'R', 'O', 0x01, 0xf6, // tag, version 502
		4, 3, // type, serializer
		0x00, 0x44, 0x01, 0x02, // flags ONEWAY|CORR_ID, seq
		0, 0, 0, 5, 0, 0, 0, 10, // data size, annotations size
		0xa0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0xaf, // correlation id
		0, 0, 0x4d, 0xc5, // reserved, magic
		'A', 'B', 'C', 'D', 0, 0, 0, 2, 'x', 'y', // annotation chunk
		'h', 'e', 'l', 'l', 'o',
	}
	if !bytes.Equal(b, want) {
		t.Fatalf("got\n% x\nwant\n% x", b, want)
	}
	if !bytes.Equal(b, frame(4, 0x44, 0x0102, 3, m.CorrelationID, chunk("ABCD", []byte("xy")), []byte("hello"))) {
		t.Fatal("test helper frame disagrees with Append")
	}
}

func TestReadErrors(t *testing.T) {
	good := mustAppend(t, &Message{Type: Invoke, SerializerID: 1, Data: []byte("payload"), Annotations: []Annotation{{Key: "ABCD", Value: []byte("v")}}}, nil)
	with := func(off int, b ...byte) []byte {
		c := bytes.Clone(good)
		copy(c[off:], b)
		return c
	}
	pyro4 := new(bytes.Buffer)
	if err := wire.Write(pyro4, &wire.Message{Type: wire.Connect, SerializerID: 1, Data: []byte("hello")}, nil); err != nil {
		t.Fatal(err)
	}
	var zero [16]byte
	comp := zlibBytes(t, compressible(5000))
	cases := []struct {
		name      string
		in        []byte
		cfg       *Config
		want      error // sentinel
		truncated bool  // also io.ErrUnexpectedEOF
		contains  string
	}{
		{"bad tag", with(0, 'P', 'Y', 'R', 'X'), nil, ErrProtocol, false, "bad tag"},
		{"http", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n0123456789"), nil, ErrProtocol, false, "bad tag"},
		{"pyro4 frame", pyro4.Bytes(), nil, ErrProtocol, false, "version 48 (a Pyro4 peer?)"},
		{"version 501", with(4, 0x01, 0xf5), nil, ErrProtocol, false, "version 501"},
		{"bad magic", with(38, 0x4d, 0xc6), nil, ErrProtocol, false, "bad magic number 0x4dc6"},
		{"no magic", with(38, 0, 0), nil, ErrProtocol, false, "magic"},
		{"truncated prefix", good[:3], nil, ErrProtocol, true, "truncated header (3 of 40"},
		{"truncated header", good[:20], nil, ErrProtocol, true, "truncated header (20 of 40"},
		{"header only", good[:HeaderSize], nil, ErrProtocol, true, "truncated frame (0 of 16"},
		{"truncated annotations", good[:HeaderSize+5], nil, ErrProtocol, true, "truncated frame"},
		{"truncated data", good[:len(good)-1], nil, ErrProtocol, true, "truncated frame (15 of 16"},
		{"annotation chunk header cut", frame(Invoke, 0, 0, 1, zero, []byte("ABCDE"), nil), nil, ErrProtocol, false, "truncated annotation chunk header"},
		{"annotation overruns", frame(Invoke, 0, 0, 1, zero, chunk("ABCD", []byte("value"))[:11], []byte("data")), nil, ErrProtocol, false, "overruns"},
		{"annotation length 2^32-1", frame(Invoke, 0, 0, 1, zero, []byte{'A', 'B', 'C', 'D', 0xff, 0xff, 0xff, 0xff}, nil), nil, ErrProtocol, false, "overruns"},
		{"second annotation overruns", frame(Invoke, 0, 0, 1, zero, append(chunk("ABCD", nil), 'E', 'F', 'G', 'H', 0, 0, 0, 9, 'x'), nil), nil, ErrProtocol, false, "overruns"},
		{"annotation key not ascii", frame(Invoke, 0, 0, 1, zero, chunk("AB\xc3\xa9", nil), nil), nil, ErrProtocol, false, "not ASCII"},
		{"over the size limit", good, &Config{MaxMessageSize: 15}, ErrTooLarge, false, "(16 where max=15)"},
		{"4 GiB announced", with(12, 0xff, 0xff, 0xff, 0xff), nil, ErrTooLarge, false, "max=1073741824"},
		{"8 GiB announced", with(12, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), nil, ErrTooLarge, false, "max message size"},
		{"4 GiB announced, no limit", with(12, 0xff, 0xff, 0xff, 0xff), &Config{MaxMessageSize: -1}, ErrProtocol, true, "truncated frame"},
		{"corrupt zlib", frame(Result, FlagCompressed, 0, 1, zero, nil, []byte("not zlib at all")), nil, ErrProtocol, false, "bad compressed payload"},
		{"empty zlib", frame(Result, FlagCompressed, 0, 1, zero, nil, nil), nil, ErrProtocol, false, "bad compressed payload"},
		{"cut zlib", frame(Result, FlagCompressed, 0, 1, zero, nil, comp[:len(comp)/2]), nil, ErrProtocol, false, "bad compressed payload"},
		{"zlib checksum", frame(Result, FlagCompressed, 0, 1, zero, nil, append(bytes.Clone(comp[:len(comp)-1]), comp[len(comp)-1]^1)), nil, ErrProtocol, false, "bad compressed payload"},
		{"inflates past MaxDecompressedSize", frame(Result, FlagCompressed, 0, 1, zero, nil, comp), &Config{MaxDecompressedSize: 4999}, ErrTooLarge, false, "limit of 4999"},
		{"inflates past MaxMessageSize", frame(Result, FlagCompressed, 0, 1, zero, chunk("ABCD", []byte("v")), comp), &Config{MaxMessageSize: 5000}, ErrTooLarge, false, "limit of 4991"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := Read(bytes.NewReader(c.in), c.cfg)
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, %v; want %v", m, err, c.want)
			}
			if errors.Is(err, io.ErrUnexpectedEOF) != c.truncated {
				t.Fatalf("%v: io.ErrUnexpectedEOF is %v, want %v", err, !c.truncated, c.truncated)
			}
			if !strings.Contains(err.Error(), c.contains) {
				t.Fatalf("%v: does not say %q", err, c.contains)
			}
			if m != nil {
				t.Fatal("message returned with an error")
			}
		})
	}
	// Exactly at the limits is fine.
	if _, err := Read(bytes.NewReader(good), &Config{MaxMessageSize: 16}); err != nil {
		t.Fatal(err)
	}
	m, err := Read(bytes.NewReader(frame(Result, FlagCompressed, 0, 1, zero, nil, comp)), &Config{MaxDecompressedSize: 5000})
	if err != nil || len(m.Data) != 5000 {
		t.Fatalf("inflating to exactly the limit: %v", err)
	}
}

func TestReadEOF(t *testing.T) {
	if m, err := Read(bytes.NewReader(nil), nil); err != io.EOF || m != nil {
		t.Fatalf("empty stream: %v, %v; want io.EOF itself", m, err)
	}
	// Two frames back to back, then the end.
	a := mustAppend(t, &Message{Type: Ping, SerializerID: PingSerializerID, Data: []byte("ping")}, nil)
	b := mustAppend(t, &Message{Type: Invoke, SerializerID: 1, Data: compressible(1000)}, &Config{Compress: true})
	r := bytes.NewReader(append(a, b...))
	for _, want := range []uint8{Ping, Invoke} {
		m, err := Read(r, nil)
		if err != nil || m.Type != want {
			t.Fatalf("got %v, %v; want a %s", m, err, TypeName(want))
		}
	}
	if _, err := Read(r, nil); err != io.EOF {
		t.Fatalf("after the last frame: %v", err)
	}
}

// A reader error that is not an end of stream (a deadline, say) is passed on as it is.
func TestReadIOError(t *testing.T) {
	good := mustAppend(t, &Message{Type: Invoke, SerializerID: 1, Data: compressible(2000)}, nil)
	for _, n := range []int{0, 3, 6, 39, 40, 100} {
		r := io.MultiReader(bytes.NewReader(good[:n]), errReader{os.ErrDeadlineExceeded})
		_, err := Read(r, nil)
		if !errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, ErrProtocol) {
			t.Fatalf("after %d bytes: %v", n, err)
		}
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// A peer speaking Pyro4 sends a shorter header and waits for the answer; Read must refuse it
// from its first 6 bytes instead of waiting for 40.
func TestReadRefusesWithoutWaiting(t *testing.T) {
	pr, pw := io.Pipe()
	defer pr.Close()
	go func() {
		// A Pyro4 ping is 28 bytes, fewer than a Pyro5 header; the writer then keeps the
		// stream open.
		_ = wire.Write(pw, &wire.Message{Type: wire.Ping, SerializerID: wire.PingSerializerID, Data: []byte("ping")}, nil)
	}()
	done := make(chan error, 1)
	go func() { _, err := Read(pr, nil); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrProtocol) || !strings.Contains(err.Error(), "Pyro4") {
			t.Fatalf("got %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Read waits for a full Pyro5 header from a Pyro4 peer")
	}
}

// A header may claim gigabytes; memory must follow the bytes that arrive.
func TestReadDoesNotTrustSizes(t *testing.T) {
	var zero [16]byte
	claim := frame(Result, 0, 0, 1, zero, nil, nil)
	binary.BigEndian.PutUint32(claim[12:], 0xfffffff0)
	binary.BigEndian.PutUint32(claim[16:], 0xfffffff0)
	claim = append(claim, bytes.Repeat([]byte("x"), 1000)...)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Read(bytes.NewReader(claim), &Config{MaxMessageSize: -1})
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrProtocol) || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("got %v", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 8<<20 {
		t.Fatalf("reading 1040 bytes allocated %d bytes", grew)
	}
}

// zlibZeros builds by hand the zlib stream of 1+258*k zero bytes: a literal zero, then k
// fixed-Huffman copies of 258 bytes at distance 1, 13 bits each. Compressing that much with
// compress/zlib would take seconds under the race detector.
func zlibZeros(k int) (stream []byte, n int) {
	out := []byte{0x78, 0x01} // deflate, 32 KiB window, no dictionary, fastest
	var acc uint64
	var nacc uint
	put := func(v uint64, bits uint) { // LSB first, as deflate packs bits
		acc |= v << nacc
		nacc += bits
		for nacc >= 8 {
			out = append(out, byte(acc))
			acc >>= 8
			nacc -= 8
		}
	}
	code := func(c uint64, bits uint) { // Huffman codes go most significant bit first
		var r uint64
		for i := range bits {
			r |= (c >> i & 1) << (bits - 1 - i)
		}
		put(r, bits)
	}
	put(1, 1)           // BFINAL
	put(1, 2)           // BTYPE 01: fixed Huffman
	code(0b00110000, 8) // literal 0
	for range k {
		code(0b11000101, 8) // length 258 (symbol 285)
		code(0, 5)          // distance 1
	}
	code(0, 7) // end of block
	if nacc > 0 {
		put(0, 8-nacc)
	}
	n = 1 + 258*k
	// Adler-32 of n zero bytes: a stays 1, b adds 1 per byte.
	return binary.BigEndian.AppendUint32(out, uint32(n%65521)<<16|1), n
}

// A zlib bomb: 64 MiB of zeros in 400 KiB. Read stops at the limit without inflating the
// rest, under every way of setting it.
func TestZlibBomb(t *testing.T) {
	small, n := zlibZeros(100)
	m, err := Read(bytes.NewReader(frame(Result, FlagCompressed, 1, 1, [16]byte{}, nil, small)), nil)
	if err != nil || !bytes.Equal(m.Data, make([]byte, n)) {
		t.Fatalf("the hand-made zlib stream does not inflate to %d zeros: %v", n, err)
	}
	stream, n := zlibZeros((64<<20)/258 + 1)
	if n < 64<<20 || len(stream) > 500<<10 {
		t.Fatalf("bomb of %d bytes inflating to %d", len(stream), n)
	}
	bomb := frame(Result, FlagCompressed, 1, 1, [16]byte{}, nil, stream)
	for _, cfg := range []*Config{{MaxDecompressedSize: 1 << 20}, {MaxMessageSize: 1 << 20}, {MaxMessageSize: -1, MaxDecompressedSize: 1 << 20}} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := Read(bytes.NewReader(bomb), cfg)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("%+v: got %v", cfg, err)
		}
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
			t.Fatalf("%+v: the bomb made Read allocate %d bytes", cfg, grew)
		}
	}
}

// The defaults: Pyro5's 1 GiB message limit, which also bounds inflation.
func TestDefaultLimits(t *testing.T) {
	cases := []struct {
		cfg          *Config
		max          int64
		inflateAnn10 int
	}{
		{nil, DefaultMaxMessageSize, DefaultMaxMessageSize - 10},
		{&Config{}, DefaultMaxMessageSize, DefaultMaxMessageSize - 10},
		{&Config{MaxMessageSize: -1}, -1, DefaultMaxDecompressedSize},
		{&Config{MaxMessageSize: -1, MaxDecompressedSize: 5}, -1, 5},
		{&Config{MaxMessageSize: 100}, 100, 90},
		{&Config{MaxMessageSize: 100, MaxDecompressedSize: 50}, 100, 50},
		{&Config{MaxMessageSize: 5}, 5, 0},
	}
	for _, c := range cases {
		cfg := configOrZero(c.cfg)
		if got := cfg.maxMessageSize(); got != c.max {
			t.Errorf("%+v: max message size %d, want %d", c.cfg, got, c.max)
		}
		if got := cfg.inflateLimit(10); got != c.inflateAnn10 {
			t.Errorf("%+v: inflate limit %d, want %d", c.cfg, got, c.inflateAnn10)
		}
	}
}

// Like Python's zlib.decompress, Read ignores bytes after the end of the zlib stream.
func TestTrailingBytesAfterZlib(t *testing.T) {
	data := append(zlibBytes(t, []byte("hello hello hello")), "trailing"...)
	m, err := Read(bytes.NewReader(frame(Result, FlagCompressed, 0, 1, [16]byte{}, nil, data)), nil)
	if err != nil || string(m.Data) != "hello hello hello" || m.Flags != 0 {
		t.Fatalf("got %v, %v", m, err)
	}
}

// Repeated keys read as the Python dict Pyro5 uses: first position, last value.
func TestReadDuplicateAnnotations(t *testing.T) {
	anns := bytes.Join([][]byte{chunk("AAAA", []byte("1")), chunk("BBBB", []byte("b")), chunk("AAAA", []byte("2"))}, nil)
	m, err := Read(bytes.NewReader(frame(Invoke, 0, 0, 1, [16]byte{}, anns, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := &Message{Type: Invoke, SerializerID: 1, Annotations: []Annotation{{Key: "AAAA", Value: []byte("2")}, {Key: "BBBB", Value: []byte("b")}}}
	if err := sameMessage(m, want); err != nil {
		t.Fatal(err)
	}
	// The same past the small-count scan.
	var many []byte
	for i := range 30 {
		many = append(many, chunk(fmt.Sprintf("k%03d", i%20), []byte{byte(i)})...)
	}
	m, err = Read(bytes.NewReader(frame(Invoke, 0, 0, 1, [16]byte{}, many, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Annotations) != 20 || m.Annotations[5].Key != "k005" || m.Annotations[5].Value[0] != 25 || m.Annotations[15].Value[0] != 15 {
		t.Fatalf("got %v", m)
	}
}

func TestWriteErrors(t *testing.T) {
	cases := []struct {
		name string
		m    *Message
		cfg  *Config
		want error
	}{
		{"short key", &Message{Annotations: []Annotation{{Key: "ABC"}}}, nil, ErrProtocol},
		{"long key", &Message{Annotations: []Annotation{{Key: "ABCDE"}}}, nil, ErrProtocol},
		{"non-ASCII key", &Message{Annotations: []Annotation{{Key: "AB\xc3\xa9"}}}, nil, ErrProtocol},
		{"4-rune key of more bytes", &Message{Annotations: []Annotation{{Key: "ééé"}}}, nil, ErrProtocol},
		{"duplicate key", &Message{Annotations: []Annotation{{Key: "AAAA"}, {Key: "BBBB"}, {Key: "AAAA"}}}, nil, ErrProtocol},
		{"over the limit", &Message{Data: make([]byte, 100)}, &Config{MaxMessageSize: 99}, ErrTooLarge},
		{"annotations over the limit", &Message{Annotations: []Annotation{{Key: "AAAA", Value: make([]byte, 92)}}}, &Config{MaxMessageSize: 99}, ErrTooLarge},
		{"compressed still over the limit", &Message{Data: random(1000, 4)}, &Config{MaxMessageSize: 999, Compress: true}, ErrTooLarge},
	}
	many := &Message{}
	for i := range 20 {
		many.Annotations = append(many.Annotations, Annotation{Key: fmt.Sprintf("k%03d", i%19)})
	}
	cases = append(cases, struct {
		name string
		m    *Message
		cfg  *Config
		want error
	}{"duplicate among many", many, nil, ErrProtocol})
	for _, c := range cases {
		dst := []byte("prefix")
		got, err := Append(dst, c.m, c.cfg)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
		if string(got) != "prefix" {
			t.Errorf("%s: dst changed to %q", c.name, got)
		}
		var w countingWriter
		if err := Write(&w, c.m, c.cfg); !errors.Is(err, c.want) || w.calls != 0 {
			t.Errorf("%s: Write: %v after %d writes", c.name, err, w.calls)
		}
	}
	// Exactly at the limit is fine; so is a payload that only fits compressed.
	if _, err := Append(nil, &Message{Data: make([]byte, 100)}, &Config{MaxMessageSize: 100}); err != nil {
		t.Error(err)
	}
	if _, err := Append(nil, &Message{Data: compressible(5000)}, &Config{MaxMessageSize: 1000, Compress: true}); err != nil {
		t.Error(err)
	}
}

type countingWriter struct {
	calls int
	bytes.Buffer
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.calls++
	return w.Buffer.Write(p)
}

// One frame, one w.Write: Pyro5 sends a message in one send.
func TestWriteOnce(t *testing.T) {
	m := &Message{Type: Result, SerializerID: 1, Data: compressible(200 << 10)}
	m.SetAnnotation("XTRA", compressible(70000))
	for _, cfg := range []*Config{nil, {Compress: true}} {
		var w countingWriter
		if err := Write(&w, m, cfg); err != nil {
			t.Fatal(err)
		}
		if w.calls != 1 {
			t.Fatalf("%d writes for one frame", w.calls)
		}
		back, err := Read(&w.Buffer, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := sameMessage(back, m); err != nil {
			t.Fatal(err)
		}
	}
	werr := errors.New("broken pipe")
	if err := Write(failingWriter{werr}, m, nil); !errors.Is(err, werr) || !strings.Contains(err.Error(), "RESULT") {
		t.Fatalf("got %v", err)
	}
}

type failingWriter struct{ err error }

func (f failingWriter) Write([]byte) (int, error) { return 0, f.err }

func TestAppendAppends(t *testing.T) {
	m := &Message{Type: Ping, SerializerID: PingSerializerID, Data: []byte("ping")}
	one := mustAppend(t, m, nil)
	two, err := Append(bytes.Clone(one), m, nil)
	if err != nil || !bytes.Equal(two, append(bytes.Clone(one), one...)) {
		t.Fatalf("got % x, %v", two, err)
	}
}

// Compression follows Pyro5's threshold (more than 100 bytes) but keeps only a smaller
// result; COMPRESSED in the message is ignored and never returned by Read.
func TestCompression(t *testing.T) {
	cfg := &Config{Compress: true}
	cases := []struct {
		data       []byte
		compressed bool
	}{
		{compressible(100), false},
		{compressible(101), true},
		{compressible(1 << 20), true},
		{random(101, 5), false},
		{random(5000, 6), false},
	}
	for _, c := range cases {
		m := &Message{Type: Result, Flags: FlagCompressed | FlagBatch, SerializerID: 1, Data: c.data}
		b := mustAppend(t, m, cfg)
		if got := header(b).flags()&FlagCompressed != 0; got != c.compressed {
			t.Errorf("%d bytes: compressed=%v, want %v", len(c.data), got, c.compressed)
		}
		if c.compressed && header(b).dataSize() >= uint32(len(c.data)) {
			t.Errorf("%d bytes: compressed to %d", len(c.data), header(b).dataSize())
		}
		got := roundTrip(t, m, cfg)
		if got.Flags != FlagBatch {
			t.Errorf("flags after the round trip: %s", FlagNames(got.Flags))
		}
		// Without Compress, the flag in the message does not make Write compress.
		if b := mustAppend(t, m, nil); header(b).flags() != FlagBatch || int(header(b).dataSize()) != len(c.data) {
			t.Errorf("%d bytes without Compress: %s", len(c.data), FlagNames(header(b).flags()))
		}
	}
}

func TestCorrelationID(t *testing.T) {
	m := &Message{Type: Invoke, Flags: FlagOneway}
	if m.HasCorrelationID() {
		t.Fatal("fresh message has a correlation id")
	}
	m.SetCorrelationID(testCorr)
	if !m.HasCorrelationID() || m.Flags != FlagOneway|FlagCorrID || m.CorrelationID != testCorr {
		t.Fatalf("after Set: %v", m)
	}
	got := roundTrip(t, m, nil)
	if !got.HasCorrelationID() || got.CorrelationID != testCorr {
		t.Fatalf("read back: %v", got)
	}
	m.ClearCorrelationID()
	if m.HasCorrelationID() || m.Flags != FlagOneway || m.CorrelationID != [16]byte{} {
		t.Fatalf("after Clear: %v", m)
	}
	// The id and the flag travel as they are, even when inconsistent: the receiver decides.
	roundTrip(t, &Message{Type: Invoke, CorrelationID: testCorr}, nil)
	roundTrip(t, &Message{Type: Invoke, Flags: FlagCorrID}, nil)
}

func TestAnnotationMethods(t *testing.T) {
	m := &Message{}
	m.SetAnnotation("AAAA", []byte("1"))
	m.SetAnnotation("BBBB", []byte("2"))
	m.SetAnnotation("CCCC", []byte("3"))
	m.SetAnnotation("AAAA", []byte("4")) // replaced in place
	if v, ok := m.Annotation("AAAA"); !ok || string(v) != "4" || m.Annotations[0].Key != "AAAA" {
		t.Fatalf("got %v", m.Annotations)
	}
	m.DeleteAnnotation("BBBB")
	m.DeleteAnnotation("ZZZZ")
	if len(m.Annotations) != 2 || m.Annotations[1].Key != "CCCC" {
		t.Fatalf("got %v", m.Annotations)
	}
	if _, ok := m.Annotation("BBBB"); ok {
		t.Fatal("deleted annotation found")
	}
	// The type is internal/wire's, so annotations pass between the protocols as they are.
	w := &wire.Message{Annotations: m.Annotations}
	if v, ok := w.Annotation("CCCC"); !ok || string(v) != "3" {
		t.Fatal("annotation lost on the way to a Pyro4 message")
	}
}

func TestNames(t *testing.T) {
	for typ, want := range map[uint8]string{Connect: "CONNECT", ConnectOK: "CONNECTOK", ConnectFail: "CONNECTFAIL",
		Invoke: "INVOKE", Result: "RESULT", Ping: "PING", 0: "TYPE(0)", 200: "TYPE(200)"} {
		if got := TypeName(typ); got != want {
			t.Errorf("TypeName(%d) = %q, want %q", typ, got, want)
		}
	}
	for f, want := range map[uint16]string{0: "0", FlagException | FlagItemStreamResult: "EXCEPTION|ITEMSTREAMRESULT",
		FlagOneway | FlagCorrID: "ONEWAY|CORR_ID", FlagCompressed | FlagBatch | FlagKeepSerialized: "COMPRESSED|BATCH|KEEPSERIALIZED",
		0x180: "0x180", FlagException | 0x8000: "EXCEPTION|0x8000"} {
		if got := FlagNames(f); got != want {
			t.Errorf("FlagNames(%#x) = %q, want %q", f, got, want)
		}
	}
	m := &Message{Type: Invoke, Flags: FlagOneway, Seq: 1, SerializerID: 1, Data: make([]byte, 100)}
	m.SetCorrelationID([16]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
	m.SetAnnotation(AnnBlobInfo, nil)
	m.SetAnnotation("\x00\x01\x02\x03", nil)
	want := `INVOKE seq=1 flags=ONEWAY|CORR_ID serializer=1 data=100 corr=000102030405060708090a0b0c0d0e0f annotations=[BLBI \x00\x01\x02\x03]`
	if got := m.String(); got != want {
		t.Errorf("String:\n got %s\nwant %s", got, want)
	}
	if got := (&Message{Type: Result}).String(); got != "RESULT seq=0 flags=0 serializer=0 data=0 annotations=[]" {
		t.Errorf("String: %s", got)
	}
}

// Read keeps no reference to its input buffer between calls, and messages do not share
// memory: reading a second frame does not change the first message.
func TestMessagesIndependent(t *testing.T) {
	a := mustAppend(t, &Message{Type: Result, SerializerID: 1, Data: []byte("first"), Annotations: []Annotation{{Key: "AAAA", Value: []byte("a")}}}, nil)
	b := mustAppend(t, &Message{Type: Result, SerializerID: 1, Data: []byte("second"), Annotations: []Annotation{{Key: "BBBB", Value: []byte("b")}}}, nil)
	r := bytes.NewReader(append(a, b...))
	m1, err := Read(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Read(r, nil); err != nil {
		t.Fatal(err)
	}
	if string(m1.Data) != "first" || m1.Annotations[0].Key != "AAAA" || string(m1.Annotations[0].Value) != "a" {
		t.Fatalf("first message changed: %v", m1)
	}
	// Appending to a read message's slices does not write into its neighbours.
	m1.Data = append(m1.Data, "!"...)
	if v, _ := m1.Annotation("AAAA"); string(v) != "a" {
		t.Fatal("append to Data overwrote an annotation")
	}
}
