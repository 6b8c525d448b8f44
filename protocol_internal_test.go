package pyro

import (
	"bytes"
	"errors"
	"testing"

	"github.com/gopyro/pyro/internal/wire"
	"github.com/gopyro/pyro/internal/wire5"
	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

func TestSerializerIDsBetweenProtocols(t *testing.T) {
	// Pyro5's ids (serializers.py) against Pyro4's, by name.
	pairs := []struct {
		name     string
		pyro4ID  uint16
		pyro5ID  uint8
		codecsID int
	}{
		{"serpent", 1, 1, serializer.SerpentID},
		{"json", 2, 3, serializer.JSONID},
		{"marshal", 3, 2, serializer.MarshalID},
		{"msgpack", 6, 4, serializer.MsgpackID},
	}
	for _, p := range pairs {
		if got := serializerIDFrom5(p.pyro5ID); got != p.pyro4ID || int(got) != p.codecsID {
			t.Errorf("%s: Pyro5 id %d → %d, want %d", p.name, p.pyro5ID, got, p.pyro4ID)
		}
		if got := serializerIDTo5(p.pyro4ID); got != p.pyro5ID {
			t.Errorf("%s: Pyro4 id %d → %d, want %d", p.name, p.pyro4ID, got, p.pyro5ID)
		}
		if c, _ := serializer.ByID(int(serializerIDFrom5(p.pyro5ID))); c.Name() != p.name {
			t.Errorf("Pyro5 id %d is %s here, want %s", p.pyro5ID, c.Name(), p.name)
		}
	}
	for _, id := range []uint8{0, 5, 7, 9, 200, 255} {
		in := serializerIDFrom5(id)
		if _, err := serializer.ByID(int(in)); err == nil {
			t.Errorf("unknown Pyro5 id %d maps to a codec (%d)", id, in)
		}
		if back := serializerIDTo5(in); back != id {
			t.Errorf("unknown Pyro5 id %d comes back as %d", id, back)
		}
		if n := serializerNumber(Pyro5, in); n != int(id) {
			t.Errorf("serializerNumber(Pyro5, %d) = %d", in, n)
		}
	}
	if serializerIDFrom5(wire5.PingSerializerID) != wire.PingSerializerID || serializerIDTo5(wire.PingSerializerID) != wire5.PingSerializerID {
		t.Error("ping serializer id")
	}
}

func TestFlagsBetweenProtocols(t *testing.T) {
	pairs := [][2]uint16{
		{wire.FlagException, wire5.FlagException},
		{wire.FlagOneway, wire5.FlagOneway},
		{wire.FlagBatch, wire5.FlagBatch},
		{wire.FlagItemStreamResult, wire5.FlagItemStreamResult},
		{wire.FlagKeepSerialized, wire5.FlagKeepSerialized},
		{wire.FlagException | wire.FlagItemStreamResult, wire5.FlagException | wire5.FlagItemStreamResult},
	}
	for _, p := range pairs {
		if got := flagsTo5(p[0]); got != p[1] {
			t.Errorf("flagsTo5(%s) = %s, want %s", wire.FlagNames(p[0]), wire5.FlagNames(got), wire5.FlagNames(p[1]))
		}
		if got := flagsFrom5(p[1]); got != p[0] {
			t.Errorf("flagsFrom5(%s) = %s, want %s", wire5.FlagNames(p[1]), wire.FlagNames(got), wire.FlagNames(p[0]))
		}
	}
	if got := flagsTo5(wire.FlagMetaOnConnect); got != 0 {
		t.Errorf("META_ON_CONNECT goes to Pyro5 as %s", wire5.FlagNames(got))
	}
	if got := flagsFrom5(wire5.FlagCorrID | 0x80); got != 0 {
		t.Errorf("CORR_ID and unknown bits come in as %s", wire.FlagNames(got))
	}
}

func TestFrameTranslation(t *testing.T) {
	id := [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	in := &wire5.Message{Type: wire5.Invoke, SerializerID: pyro5MarshalID, Flags: wire5.FlagOneway | wire5.FlagKeepSerialized,
		Seq: 9, Data: []byte("data"),
		Annotations: []wire5.Annotation{{Key: "XTRA", Value: []byte("x")}, {Key: "CORR", Value: []byte("forged")}, {Key: "BLBI", Value: []byte("b")}}}
	in.SetCorrelationID(id)
	m := fromWire5(in, nil)
	if m.Type != wire.Invoke || m.SerializerID != serializer.MarshalID || m.Flags != wire.FlagOneway|wire.FlagKeepSerialized || m.Seq != 9 || string(m.Data) != "data" {
		t.Fatalf("translated %v", m)
	}
	corr, ok := m.Annotation(wire.AnnCorrelation)
	if !ok || !bytes.Equal(corr, id[:]) || len(m.Annotations) != 3 || m.Annotations[0].Key != "XTRA" || m.Annotations[1].Key != "BLBI" {
		t.Fatalf("annotations %v", m.Annotations)
	}

	// Without an id: none, or a fresh one when asked.
	plain := &wire5.Message{Type: wire5.Connect, SerializerID: pyro5SerpentID}
	if m := fromWire5(plain, nil); len(m.Annotations) != 0 {
		t.Errorf("no id: %v", m.Annotations)
	}
	m = fromWire5(plain, func(b []byte) { copy(b, "0123456789abcdef") })
	if corr, _ := m.Annotation(wire.AnnCorrelation); string(corr) != "0123456789abcdef" {
		t.Errorf("fresh id: %q", corr)
	}

	// Back: CORR goes to the header, META_ON_CONNECT and HMAC nowhere, the rest stays in order.
	out := new(wire5.Message)
	toWire5(out, &wire.Message{Type: wire.ConnectOK, SerializerID: serializer.JSONID, Flags: wire.FlagMetaOnConnect, Seq: 3,
		Annotations: []wire.Annotation{{Key: "AAAA", Value: []byte("a")}, {Key: "CORR", Value: id[:]}, {Key: "ZZZZ", Value: nil}}}, nil)
	if out.Type != wire5.ConnectOK || out.SerializerID != pyro5JSONID || out.Flags != wire5.FlagCorrID || out.CorrelationID != id || out.Seq != 3 {
		t.Fatalf("to Pyro5: %v", out)
	}
	if len(out.Annotations) != 2 || out.Annotations[0].Key != "AAAA" || out.Annotations[1].Key != "ZZZZ" {
		t.Fatalf("to Pyro5 annotations: %v", out.Annotations)
	}
	// An exception reply without CORR gets the request's id.
	toWire5(out, &wire.Message{Type: wire.Result, Flags: wire.FlagException}, id[:])
	if !out.HasCorrelationID() || out.CorrelationID != id || out.Flags != wire5.FlagException|wire5.FlagCorrID {
		t.Fatalf("exception reply: %v", out)
	}
}

func TestParseWireProtocol(t *testing.T) {
	for in, want := range map[string]WireProtocol{"": AutoProtocol, "auto": AutoProtocol, "4": Pyro4, "Pyro4": Pyro4,
		"48": Pyro4, "5": Pyro5, "PYRO5": Pyro5, "502": Pyro5} {
		if got, err := ParseWireProtocol(in); err != nil || got != want {
			t.Errorf("ParseWireProtocol(%q) = %v %v", in, got, err)
		}
	}
	if _, err := ParseWireProtocol("6"); err == nil {
		t.Error("ParseWireProtocol(6): no error")
	}
	if AutoProtocol.String() != "auto" || Pyro4.String() != "Pyro4" || Pyro5.String() != "Pyro5" {
		t.Error("String")
	}
}

func TestProtocolMemory(t *testing.T) {
	if _, ok := rememberedProtocol("tcp", "mem.test:1"); ok {
		t.Fatal("remembered before anything was")
	}
	rememberProtocol("tcp", "mem.test:1", Pyro5)
	if p, ok := rememberedProtocol("tcp", "mem.test:1"); !ok || p != Pyro5 {
		t.Fatalf("remembered %v %v", p, ok)
	}
	rememberProtocol("tcp", "mem.test:1", Pyro4)
	if p, _ := rememberedProtocol("tcp", "mem.test:1"); p != Pyro4 {
		t.Fatalf("a daemon replaced by a Pyro4 one: %v", p)
	}
	if _, ok := rememberedProtocol("unix", "mem.test:1"); ok {
		t.Fatal("network is part of the key")
	}
}

func TestPyro5Spelling(t *testing.T) {
	u := URI{Protocol: ProtocolPyro, Object: "obj", Host: "h", Port: 1}
	uriDict, _ := u.MarshalPython()
	meta := metadata{Methods: []string{"m"}, Oneway: []string{"o"}, Attrs: []string{"a"}}
	proxy := proxyDict(u, meta, nil, "hs", "json")
	exc := exceptionValue(NewError("Pyro4.errors.NamingError", "gone"), []string{"tb"})
	wrapper := pyval.DictOf("__class__", pyro4WrapperClass, "exception", exceptionValue(NewError("builtins.ValueError", "v"), nil))
	plain := pyval.DictOf("k", []any{int64(1), "x"})
	in := []any{uriDict, pyval.Tuple{proxy, plain}, pyval.DictOf("nested", []any{exc}), wrapper, "str", plain}

	got, err := toPyro5Values(in)
	if err != nil {
		t.Fatal(err)
	}
	want := []any{
		pyval.DictOf("__class__", "Pyro5.core.URI", "state", pyval.Tuple{"PYRO", "obj", nil, "h", int64(1)}),
		pyval.Tuple{pyval.DictOf("__class__", "Pyro5.client.Proxy", "state",
			pyval.Tuple{"PYRO:obj@h:1", pyval.Tuple{"o"}, pyval.Tuple{"m"}, pyval.Tuple{"a"}, "hs", "json"}), plain},
		pyval.DictOf("nested", []any{pyval.DictOf("__class__", "Pyro5.errors.NamingError", "__exception__", true,
			"args", pyval.Tuple{"gone"}, "attributes", pyval.DictOf("_pyroTraceback", []any{"tb"}))}),
		pyval.DictOf("__class__", "Pyro5.core._ExceptionWrapper", "exception", pyval.DictOf("__class__", "builtins.ValueError",
			"__exception__", true, "args", pyval.Tuple{"v"}, "attributes", pyval.NewDict(0))),
		"str", plain,
	}
	if !pyval.Equal(got, want) {
		t.Fatalf("Pyro5 spelling:\n got %s\nwant %s", pyval.Repr(got), pyval.Repr(want))
	}
	// Key order is kept, and what has nothing to rewrite is not copied.
	if d := got.([]any)[3].(*pyval.Dict); d.Keys()[0] != "__class__" || d.Keys()[1] != "exception" {
		t.Errorf("key order %v", d.Keys())
	}
	if got.([]any)[5].(*pyval.Dict) != plain || got.([]any)[1].(pyval.Tuple)[1].(*pyval.Dict) != plain {
		t.Error("an unchanged dict was copied")
	}
	if c, _ := pyval.ClassOf(uriDict); c != uriClass {
		t.Error("the input was modified")
	}
	// Scalars and plain containers come back as they are.
	for _, v := range []any{nil, "x", int64(3), []any{"a"}, plain} {
		if out, err := toPyro5Values(v); err != nil || !pyval.Equal(out, v) {
			t.Errorf("toPyro5Values(%s) = %s %v", pyval.Repr(v), pyval.Repr(out), err)
		}
	}
	// Go values are converted as a codec would; errors keep the codec's sentinels.
	if _, err := toPyro5Values(make(chan int)); !errors.Is(err, serializer.ErrUnsupported) {
		t.Errorf("a channel: %v", err)
	}
}

func TestExceptionClassFor(t *testing.T) {
	cases := []struct {
		class string
		p     WireProtocol
		want  string
	}{
		{"Pyro4.errors.NamingError", Pyro5, "Pyro5.errors.NamingError"},
		{"Pyro5.errors.NamingError", Pyro4, "Pyro4.errors.NamingError"},
		{"Pyro5.errors.NamingError", Pyro5, "Pyro5.errors.NamingError"},
		{"builtins.ValueError", Pyro5, "builtins.ValueError"},
		{"Pyro4.core.URI", Pyro5, "Pyro4.core.URI"},
	}
	for _, c := range cases {
		if got := exceptionClassFor(c.class, c.p); got != c.want {
			t.Errorf("exceptionClassFor(%q, %v) = %q", c.class, c.p, got)
		}
	}
	for class, closes := range map[string]bool{"Pyro5.errors.SerializeError": true, "Pyro4.errors.SecurityError": true,
		"Pyro5.errors.TimeoutError": true, "Pyro5.errors.NamingError": false, "Pyro5.errors.DaemonError": false,
		"builtins.TimeoutError": false, "builtins.ValueError": false} {
		if got := closesPyro5Connection(class); got != closes {
			t.Errorf("closesPyro5Connection(%q) = %v", class, got)
		}
	}
}

func TestCheckPyro5Classes(t *testing.T) {
	ok := []any{
		pyval.DictOf("__class__", "Pyro5.core.URI", "state", pyval.Tuple{}),
		pyval.DictOf("__class__", "Pyro5.client.Proxy"),
		pyval.DictOf("__class__", "Pyro5.errors.NamingError", "__exception__", true),
		pyval.DictOf("__class__", "builtins.ValueError", "__exception__", true),
		pyval.DictOf("__class__", "KeyError", "__exception__", true),
		pyval.DictOf("__class__", "sqlite3.OperationalError", "__exception__", true),
		pyval.DictOf("__class__", "Pyro5.core._ExceptionWrapper", "exception", pyval.DictOf("__class__", "x__y")),
		pyval.DictOf("data", "AAH/", "encoding", "base64"),
		[]any{pyval.Tuple{pyval.DictOf("plain", pyval.DictOf("deeper", int64(1)))}},
	}
	for _, v := range ok {
		if err := checkPyro5Classes(v, 0); err != nil {
			t.Errorf("%s refused: %v", pyval.Repr(v), err)
		}
	}
	bad := []struct {
		v     any
		class string
		msg   string
	}{
		{pyval.DictOf("__class__", "mymodule.Thing"), "Pyro4.errors.SerializeError", "unsupported serialized class: mymodule.Thing"},
		{[]any{int64(1), pyval.DictOf("x", pyval.DictOf("__class__", "__main__.Thing"))}, "Pyro4.errors.SecurityError",
			"refused to deserialize types with double underscores in their name: __main__.Thing"},
		{pyval.DictOf("__class__", "Pyro4.core.URI"), "Pyro4.errors.SerializeError", "unsupported serialized class: Pyro4.core.URI"},
		{pyval.DictOf("__class__", "mymodule.MyError", "__exception__", true), "Pyro4.errors.SerializeError", "unsupported serialized class: mymodule.MyError"},
		{pyval.DictOf("__class__", "builtins.ValueError", "__exception__", false), "Pyro4.errors.SerializeError", "unsupported serialized class: builtins.ValueError"},
	}
	for _, b := range bad {
		err := checkPyro5Classes(b.v, 0)
		var pe *Error
		if !errors.As(err, &pe) || pe.Class != b.class || pe.Msg != b.msg {
			t.Errorf("%s: %v, want %s: %s", pyval.Repr(b.v), err, b.class, b.msg)
		}
	}
}
