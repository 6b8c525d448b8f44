package wire5

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopyro/pyro/internal/pytest"
)

var update = flag.Bool("update", false, "rewrite testdata/pyro5_frames.json from Python Pyro5")

// goldenFile holds frames written by Pyro5's SendingMessage (testdata/make_frames.py), those
// of up to goldenMaxFrame bytes: the fuzz seeds, and a check that runs without Python.
var goldenFile = filepath.Join("testdata", "pyro5_frames.json")

const goldenMaxFrame = 4 << 10

// pyFrame is one message as Python describes it: the frame bytes and what it holds, as
// make_frames.py and read_frames.py write them.
type pyFrame struct {
	Name       string      `json:"name"`
	Frame      string      `json:"frame"` // hex
	Max        int         `json:"max,omitempty"`
	Type       uint8       `json:"type"`
	Flags      uint16      `json:"flags"` // without COMPRESSED
	Seq        uint16      `json:"seq"`
	Ser        uint8       `json:"ser"`
	Corr       string      `json:"corr"` // hex of the 16 header bytes
	Compressed bool        `json:"compressed"`
	Anns       [][2]string `json:"anns"` // key, hex value
	Data       string      `json:"data"` // hex of the plain payload
	Rest       int         `json:"rest"` // bytes the reader left unread
	Error      string      `json:"error,omitempty"`
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (f pyFrame) message(t testing.TB) *Message {
	t.Helper()
	m := &Message{Type: f.Type, Flags: f.Flags, Seq: f.Seq, SerializerID: f.Ser, Data: unhex(t, f.Data)}
	if copy(m.CorrelationID[:], unhex(t, f.Corr)) != 16 {
		t.Fatalf("%s: correlation id %q", f.Name, f.Corr)
	}
	for _, a := range f.Anns {
		m.Annotations = append(m.Annotations, Annotation{Key: a[0], Value: unhex(t, a[1])})
	}
	return m
}

func loadGolden(t testing.TB) []pyFrame {
	t.Helper()
	b, err := os.ReadFile(goldenFile)
	if err != nil {
		t.Fatal(err)
	}
	var frames []pyFrame
	if err := json.Unmarshal(b, &frames); err != nil {
		t.Fatal(err)
	}
	return frames
}

// checkPythonFrames reads each frame in Go and compares it field by field with what Python put
// in it. Go must also write the uncompressed ones back byte for byte (zlib implementations
// differ in their output, not in what it inflates to).
func checkPythonFrames(t *testing.T, frames []pyFrame) {
	t.Helper()
	for _, f := range frames {
		raw := unhex(t, f.Frame)
		r := bytes.NewReader(raw)
		got, err := Read(r, nil)
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		if r.Len() != 0 {
			t.Fatalf("%s: %d bytes left unread", f.Name, r.Len())
		}
		if err := sameMessage(got, f.message(t)); err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		if onWire := header(raw).flags()&FlagCompressed != 0; onWire != f.Compressed {
			t.Fatalf("%s: COMPRESSED on the wire is %v, Python said %v", f.Name, onWire, f.Compressed)
		}
		if !f.Compressed {
			if b := mustAppend(t, got, nil); !bytes.Equal(b, raw) {
				t.Fatalf("%s: Go writes\n% x\nPython wrote\n% x", f.Name, b, raw)
			}
		}
	}
}

// The committed frames from Pyro5 read in Go, without Python.
func TestGoldenFrames(t *testing.T) {
	frames := loadGolden(t)
	if len(frames) < 80 {
		t.Fatalf("only %d golden frames", len(frames))
	}
	checkPythonFrames(t, frames)
}

// Frames written now by Pyro5's SendingMessage read in Go field by field; the golden file
// must still match them (with -update, it is rewritten from them).
func TestInteropPythonToGo(t *testing.T) {
	var frames []pyFrame
	if err := json.Unmarshal(pytest.RunPyro5(t, nil, filepath.Join("testdata", "make_frames.py")), &frames); err != nil {
		t.Fatal(err)
	}
	if len(frames) < 90 {
		t.Fatalf("python produced only %d frames", len(frames))
	}
	checkPythonFrames(t, frames)
	var kinds [3]int // compressed, with correlation id, with annotations
	for _, f := range frames {
		if f.Compressed {
			kinds[0]++
		}
		if f.Flags&FlagCorrID != 0 {
			kinds[1]++
		}
		if len(f.Anns) > 0 {
			kinds[2]++
		}
	}
	if kinds[0] < 8 || kinds[1] < 10 || kinds[2] < 5 {
		t.Fatalf("python frames lack variety (compressed, correlation id, annotations): %v", kinds)
	}

	var small []pyFrame
	for _, f := range frames {
		if len(f.Frame)/2 <= goldenMaxFrame {
			small = append(small, f)
		}
	}
	if *update {
		var b strings.Builder
		b.WriteString("[\n")
		for i, f := range small {
			line, err := json.Marshal(f)
			if err != nil {
				t.Fatal(err)
			}
			b.Write(line)
			if i < len(small)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString("]\n")
		if err := os.WriteFile(goldenFile, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Uncompressed frames are a pure function of the protocol: if Pyro5 now writes them
	// differently, the golden file (and this package) need a look.
	golden := map[string]pyFrame{}
	for _, f := range loadGolden(t) {
		golden[f.Name] = f
	}
	for _, f := range small {
		g, ok := golden[f.Name]
		if !ok {
			t.Errorf("%s: not in %s (go test -run Interop -update)", f.Name, goldenFile)
		} else if !f.Compressed && g.Frame != f.Frame {
			t.Errorf("%s: Pyro5 writes another frame than %s holds", f.Name, goldenFile)
		}
	}
	t.Logf("%d Pyro5 frames (%d compressed, %d with a correlation id, %d with annotations) read in Go; Pyro5 %s",
		len(frames), kinds[0], kinds[1], kinds[2], pytest.Pyro5Version(t))
}

// Frames written by Go parsed by Pyro5's recv_stub, field by field; malformed ones must be
// refused by Pyro5 and by Read alike.
func TestInteropGoToPython(t *testing.T) {
	type goCase struct {
		Name  string `json:"name"`
		Frame string `json:"frame"`
		Max   int    `json:"max,omitempty"`
		// expectations, not sent
		msg        *Message
		compressed bool
		pyErr      string // prefix of Python's "Type: message"
		goErr      error
	}
	var cases []*goCase
	add := func(name string, m *Message, cfg *Config, compressed bool) {
		cases = append(cases, &goCase{Name: name, Frame: hex.EncodeToString(mustAppend(t, m, cfg)), msg: m, compressed: compressed})
	}
	bad := func(name string, raw []byte, max int, pyErr string, goErr error) {
		cases = append(cases, &goCase{Name: name, Frame: hex.EncodeToString(raw), Max: max, pyErr: pyErr, goErr: goErr})
	}

	for _, typ := range allTypes {
		for _, flags := range allFlags {
			for _, ser := range []uint8{1, 2, 3, 4, PingSerializerID} {
				m := &Message{Type: typ, Flags: flags, Seq: uint16(typ)*1000 + flags, SerializerID: ser, Data: []byte("data")}
				if flags&FlagCorrID != 0 {
					m.CorrelationID = testCorr
				}
				add(TypeName(typ)+" "+FlagNames(flags), m, nil, false)
			}
		}
	}
	ordered := &Message{Type: Invoke, Seq: 65535, SerializerID: 4, Data: compressible(1000)}
	ordered.SetAnnotation("ZZZZ", []byte("z"))
	ordered.SetAnnotation("AAAA", nil)
	ordered.SetCorrelationID(testCorr)
	ordered.SetAnnotation("mid1", bytes.Repeat([]byte("m"), 300))
	add("ordered", ordered, nil, false)
	add("compressed", ordered, &Config{Compress: true}, true)
	add("incompressible", &Message{Type: Result, SerializerID: 1, Data: random(500, 1)}, &Config{Compress: true}, false)
	add("100", &Message{Type: Result, SerializerID: 1, Data: compressible(100)}, &Config{Compress: true}, false)
	add("101", &Message{Type: Result, SerializerID: 1, Data: compressible(101)}, &Config{Compress: true}, true)
	big := &Message{Type: Result, Flags: FlagCorrID | FlagBatch, SerializerID: 3, Data: random(1<<20, 2), CorrelationID: testCorr}
	big.SetAnnotation("HUGE", random(70000, 3))
	add("1 MiB and a 70000-byte annotation", big, nil, false)
	add("1 MiB compressed", &Message{Type: Result, SerializerID: 2, Data: compressible(1 << 20)}, &Config{Compress: true}, true)
	many := &Message{Type: Invoke, SerializerID: 1, Data: []byte("x")}
	for i := range 40 {
		many.SetAnnotation(string([]byte{'k', byte('A' + i/26), byte('a' + i%26), '0'}), []byte{byte(i)})
	}
	add("40 annotations", many, nil, false)

	good := mustAppend(t, &Message{Type: Invoke, SerializerID: 1, Data: []byte("payload"), Annotations: []Annotation{{Key: "ABCD", Value: []byte("v")}}}, nil)
	with := func(off int, b ...byte) []byte {
		c := bytes.Clone(good)
		copy(c[off:], b)
		return c
	}
	var zero [16]byte
	bad("bad tag", with(0, 'P', 'Y', 'R', 'X'), 0, "ProtocolError: invalid data", ErrProtocol)
	bad("pyro4 version", with(4, 0, 48), 0, "ProtocolError: invalid protocol version: 48", ErrProtocol)
	bad("bad magic", with(38, 0x4d, 0xc6), 0, "ProtocolError: invalid message or protocol version", ErrProtocol)
	bad("too large", good, 15, "ProtocolError: message too large (16, max=15)", ErrTooLarge)
	bad("4 GiB announced", with(12, 0xff, 0xff, 0xff, 0xff), 0, "ProtocolError: message too large", ErrTooLarge)
	bad("truncated data", good[:len(good)-1], 0, "ConnectionError", ErrProtocol)
	bad("annotation overruns", frame(Invoke, 0, 0, 1, zero, chunk("ABCD", []byte("value"))[:11], []byte("data")), 0,
		"ProtocolError: annotation chunk length exceeds remaining data", ErrProtocol)
	bad("annotation chunk header cut", frame(Invoke, 0, 0, 1, zero, []byte("ABCDE"), nil), 0,
		"ProtocolError: annotation chunk length exceeds remaining data", ErrProtocol)
	bad("annotation key not ascii", frame(Invoke, 0, 0, 1, zero, chunk("AB\xc3\xa9", nil), nil), 0, "UnicodeDecodeError", ErrProtocol)
	bad("corrupt zlib", frame(Result, FlagCompressed, 0, 1, zero, nil, []byte("not zlib")), 0, "error: Error -3", ErrProtocol)

	in, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	var got []pyFrame
	if err := json.Unmarshal(pytest.RunPyro5(t, in, filepath.Join("testdata", "read_frames.py")), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(cases) {
		t.Fatalf("python answered %d cases of %d", len(got), len(cases))
	}
	for i, c := range cases {
		g := got[i]
		if c.pyErr != "" {
			if !strings.HasPrefix(g.Error, c.pyErr) {
				t.Fatalf("%s: python said %q, want %q", c.Name, g.Error, c.pyErr)
			}
			if _, err := Read(bytes.NewReader(unhex(t, c.Frame)), &Config{MaxMessageSize: c.Max}); !errors.Is(err, c.goErr) {
				t.Fatalf("%s: Go read it with %v, want %v", c.Name, err, c.goErr)
			}
			continue
		}
		if g.Error != "" {
			t.Fatalf("%s: python: %s", c.Name, g.Error)
		}
		if g.Compressed != c.compressed {
			t.Fatalf("%s: python saw compressed=%v, want %v", c.Name, g.Compressed, c.compressed)
		}
		if g.Rest != 0 {
			t.Fatalf("%s: python left %d bytes unread", c.Name, g.Rest)
		}
		want := *c.msg
		want.Flags &^= FlagCompressed
		if err := sameMessage(g.message(t), &want); err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
	}
	t.Logf("%d Go frames parsed by Pyro5 %s", len(cases), pytest.Pyro5Version(t))
}
