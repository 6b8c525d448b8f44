package wire

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

var update = flag.Bool("update", false, "rewrite testdata/python_frames.txt from Python Pyro4")

// pyFrame is one message as Python describes it: the frame bytes and what it holds.
type pyFrame struct {
	Name    string      `json:"name"`
	Frame   string      `json:"frame"` // hex
	Key     *string     `json:"key"`   // hex, or null for no HMAC key
	Type    uint16      `json:"type"`
	Flags   uint16      `json:"flags"` // without COMPRESSED
	Seq     uint16      `json:"seq"`
	SerID   uint16      `json:"ser"`
	Anns    [][2]string `json:"anns"` // key, hex value; without HMAC
	Data    string      `json:"data"` // hex of the plain payload
	Error   string      `json:"error,omitempty"`
	Comprsd bool        `json:"compressed"`
}

// Python builds messages with Pyro4.message.Message and its serializers, then prints them.
const pyMakeFrames = `
import json, sys, uuid
import Pyro4
from Pyro4 import message as M, util

out = []
def emit(name, mtype, data, ser, flags, seq, anns=None, key=None, compressed=False, plain=None):
    f = flags | (M.FLAGS_COMPRESSED if compressed else 0)
    msg = M.Message(mtype, data, ser, f, seq, annotations=anns, hmac_key=key)
    out.append(dict(name=name, frame=msg.to_bytes().hex(), key=key.hex() if key else None,
                    type=mtype, flags=flags, seq=seq, ser=ser, compressed=compressed,
                    anns=[[k, bytes(v).hex()] for k, v in msg.annotations.items() if k != "HMAC"],
                    data=(plain if plain is not None else data).hex()))

serpent = util.get_serializer("serpent")
js = util.get_serializer("json")
marshal = util.get_serializer("marshal")

data, c = serpent.serializeData({"handshake": "hello", "object": "Pyro.Daemon"}, False)
emit("connect", M.MSG_CONNECT, data, serpent.serializer_id, M.FLAGS_META_ON_CONNECT, 0)
corr = uuid.UUID("12345678-1234-5678-1234-567812345678").bytes
data, c = serpent.serializeCall("obj_1", "method", (1, "two", 3.0), {"k": None}, False)
emit("invoke corr", M.MSG_INVOKE, data, serpent.serializer_id, 0, 1, anns={"CORR": corr})
emit("ping", M.MSG_PING, b"ping", 42, 0, 65535)
emit("empty", M.MSG_RESULT, b"", js.serializer_id, 0, 3)
emit("stream", M.MSG_RESULT, b"x" * 10, marshal.serializer_id, M.FLAGS_EXCEPTION | M.FLAGS_ITEMSTREAMRESULT, 4,
     anns={"STRM": str(uuid.UUID(int=7)).encode(), "CORR": corr})
emit("order", M.MSG_INVOKE, b"abc", 1, M.FLAGS_ONEWAY | M.FLAGS_BATCH | M.FLAGS_KEEPSERIALIZED, 5,
     anns={"ZZZZ": b"z", "AAAA": b"", "CORR": corr, "mid1": b"m" * 300})
for t in range(1, 7):
    for fl in (0, 1, 4, 8, 16, 32, 64, 127 & ~2):
        emit("type %d flags %d" % (t, fl), t, b"d%d" % fl, 1, fl, t * 1000 + fl)

# Compression the way Pyro4 does it: the serializer decides, with config.COMPRESSION on.
Pyro4.config.COMPRESSION = True
big = list(range(500)) + ["text"] * 100
for name, s in (("serpent", serpent), ("json", js), ("marshal", marshal)):
    data, c = s.serializeData(big, Pyro4.config.COMPRESSION)
    assert c, name
    emit("compressed " + name, M.MSG_RESULT, data, s.serializer_id, 0, 6, compressed=True, plain=s.serializeData(big, False)[0])
data, c = serpent.serializeData("x" * 150, True)
assert not c
emit("too small to compress", M.MSG_RESULT, data, 1, 0, 7)

# HMAC, alone and over a compressed payload with annotations.
key = b"secret"
emit("hmac", M.MSG_INVOKE, b"payload", 1, 0, 8, key=key)
data, c = serpent.serializeData(big, True)
emit("hmac compressed", M.MSG_RESULT, data, 1, M.FLAGS_BATCH, 9, anns={"CORR": corr, "XTRA": b"extra", "AAAA": b"first"},
     key=key, compressed=True, plain=serpent.serializeData(big, False)[0])
emit("hmac long key", M.MSG_CONNECTOK, b"ok", 1, 16, 10, anns={"CORR": corr}, key=b"k" * 100)
emit("hmac utf8 key", M.MSG_CONNECTFAIL, b"no", 3, 0, 11, key="sécret".encode("utf-8"))
json.dump(out, sys.stdout)
`

func pythonFrames(t *testing.T) []pyFrame {
	t.Helper()
	var frames []pyFrame
	if err := json.Unmarshal(pytest.Run(t, pyMakeFrames, nil), &frames); err != nil {
		t.Fatal(err)
	}
	if len(frames) < 50 {
		t.Fatalf("python produced only %d frames", len(frames))
	}
	return frames
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (f pyFrame) config(t testing.TB) *Config {
	if f.Key == nil {
		return nil
	}
	return &Config{HMACKey: unhex(t, *f.Key)}
}

func (f pyFrame) message(t testing.TB) *Message {
	m := &Message{Type: f.Type, Flags: f.Flags, Seq: f.Seq, SerializerID: f.SerID, Data: unhex(t, f.Data)}
	for _, a := range f.Anns {
		m.Annotations = append(m.Annotations, Annotation{Key: a[0], Value: unhex(t, a[1])})
	}
	return m
}

// Frames built by Python's Pyro4.message.Message read in Go field by field.
func TestInteropPythonToGo(t *testing.T) {
	frames := pythonFrames(t)
	for _, f := range frames {
		raw := unhex(t, f.Frame)
		got, err := Read(bytes.NewReader(raw), f.config(t))
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		if err := sameMessage(got, f.message(t)); err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		if f.Comprsd != (header(raw).flags()&FlagCompressed != 0) {
			t.Fatalf("%s: compressed flag on the wire is not %v", f.Name, f.Comprsd)
		}
		// Go writes the same frame byte for byte when the payload is not compressed (zlib
		// implementations differ in their output, not in what they decode to).
		if !f.Comprsd {
			if b := mustAppend(t, got, f.config(t)); !bytes.Equal(b, raw) {
				t.Fatalf("%s: Go writes\n% x\nPython wrote\n% x", f.Name, b, raw)
			}
		}
		// A key on one side only is refused.
		if f.Key != nil {
			if _, err := Read(bytes.NewReader(raw), nil); !errors.Is(err, ErrSecurity) {
				t.Fatalf("%s read without key: %v", f.Name, err)
			}
		}
	}
	if *update {
		var lines []string
		for _, f := range frames {
			lines = append(lines, f.Frame)
		}
		path := filepath.Join("testdata", "python_frames.txt")
		if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// Python reads frames with Message.recv through a connection object whose recv returns the
// bytes Go wrote, then describes what it got (or the error it raised).
const pyReadFrames = `
import json, sys
from Pyro4 import message as M, errors

class Conn:
    def __init__(self, data): self.data, self.pos = data, 0
    def recv(self, n):
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk
    def close(self): pass

out = []
for case in json.load(sys.stdin):
    key = bytes.fromhex(case["key"]) if case["key"] else None
    try:
        msg = M.Message.recv(Conn(bytes.fromhex(case["frame"])), hmac_key=key)
        compressed = bool(msg.flags & M.FLAGS_COMPRESSED)
        msg.decompress_if_needed()
        out.append(dict(name=case["name"], type=msg.type, flags=msg.flags, seq=msg.seq, ser=msg.serializer_id,
                        compressed=compressed, anns=[[k, bytes(v).hex()] for k, v in msg.annotations.items()],
                        data=msg.data.hex()))
    except Exception as x:
        out.append(dict(name=case["name"], error="%s: %s" % (type(x).__name__, x)))
json.dump(out, sys.stdout)
`

// Frames written by Go parsed by Python's Message.recv, field by field, HMAC included.
func TestInteropGoToPython(t *testing.T) {
	type goCase struct {
		Name  string  `json:"name"`
		Frame string  `json:"frame"`
		Key   *string `json:"key"`
		// expectations, not sent
		msg        *Message
		compressed bool
		err        string
	}
	corr := [16]byte{0x12, 0x34, 0x56, 0x78, 0x12, 0x34, 0x56, 0x78, 0x12, 0x34, 0x56, 0x78, 0x12, 0x34, 0x56, 0x78}
	secret := hex.EncodeToString([]byte("secret"))
	other := hex.EncodeToString([]byte("other"))
	var cases []*goCase
	add := func(name string, m *Message, cfg *Config, readKey *string, compressed bool, err string) {
		cases = append(cases, &goCase{Name: name, Frame: hex.EncodeToString(mustAppend(t, m, cfg)), Key: readKey,
			msg: m, compressed: compressed, err: err})
	}
	for _, typ := range allTypes {
		for _, flags := range allFlags[:9] {
			m := &Message{Type: typ, Flags: flags, Seq: typ*1000 + flags, SerializerID: 1, Data: []byte("data")}
			m.SetCorrelationID(corr)
			add(TypeName(typ)+" "+FlagNames(flags), m, nil, nil, false, "")
		}
	}
	ordered := &Message{Type: Invoke, Seq: 65535, SerializerID: 6, Data: compressible(1000)}
	ordered.SetAnnotation("ZZZZ", []byte("z"))
	ordered.SetAnnotation("AAAA", nil)
	ordered.SetCorrelationID(corr)
	ordered.SetAnnotation("mid1", bytes.Repeat([]byte("m"), 300))
	add("ordered", ordered, nil, nil, false, "")
	add("compressed", ordered, &Config{Compress: true}, nil, true, "")
	add("incompressible", &Message{Type: Result, SerializerID: 1, Data: random(500, 1)}, &Config{Compress: true}, nil, false, "")
	add("199", &Message{Type: Result, SerializerID: 1, Data: compressible(199)}, &Config{Compress: true}, nil, false, "")
	add("200", &Message{Type: Result, SerializerID: 1, Data: compressible(200)}, &Config{Compress: true}, nil, true, "")
	add("hmac", ordered, &Config{HMACKey: []byte("secret")}, &secret, false, "")
	add("hmac compressed", ordered, &Config{HMACKey: []byte("secret"), Compress: true}, &secret, true, "")
	longKey := bytes.Repeat([]byte("k"), 100)
	longHex := hex.EncodeToString(longKey)
	add("hmac long key", &Message{Type: Ping, SerializerID: 42, Data: []byte("ping")}, &Config{HMACKey: longKey}, &longHex, false, "")
	add("hmac wrong key", ordered, &Config{HMACKey: []byte("secret")}, &other, false, "SecurityError: message hmac mismatch")
	add("hmac reader has none", ordered, &Config{HMACKey: []byte("secret")}, nil, false, "SecurityError: hmac key config not symmetric")
	add("hmac writer has none", ordered, nil, &secret, false, "SecurityError: hmac key config not symmetric")

	in, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	var got []pyFrame
	if err := json.Unmarshal(pytest.Run(t, pyReadFrames, in), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(cases) {
		t.Fatalf("python answered %d cases of %d", len(got), len(cases))
	}
	for i, c := range cases {
		g := got[i]
		if c.err != "" {
			if g.Error != c.err {
				t.Fatalf("%s: python said %q, want %q", c.Name, g.Error, c.err)
			}
			continue
		}
		if g.Error != "" {
			t.Fatalf("%s: python: %s", c.Name, g.Error)
		}
		if g.Comprsd != c.compressed {
			t.Fatalf("%s: python saw compressed=%v, want %v", c.Name, g.Comprsd, c.compressed)
		}
		want := *c.msg
		want.Flags &^= FlagCompressed
		// Python keeps the HMAC chunk, which Go puts last.
		n := len(g.Anns)
		if c.Key != nil {
			if n == 0 || g.Anns[n-1][0] != AnnHMAC || len(g.Anns[n-1][1]) != 40 {
				t.Fatalf("%s: python saw no trailing HMAC: %v", c.Name, g.Anns)
			}
			g.Anns = g.Anns[:n-1]
		}
		if err := sameMessage(g.message(t), &want); err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
	}
	t.Logf("%d Go frames parsed by Python", len(cases))
}
