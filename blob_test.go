package pyro_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/internal/wire"
	"github.com/gopyro/pyro/pyrotest"
	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

// blobDispatcher routes blobs by their info to the listeners registered for that topic,
// never decoding them (as Pyro4's blob-dispatch dispatcher does; its Go twin is in
// examples/pyro4/blob-dispatch).
type blobDispatcher struct {
	mu        sync.Mutex
	listeners map[string][]*pyro.Proxy
	log       io.Writer
}

func (d *blobDispatcher) Register(topic string, listener *pyro.Proxy) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.listeners == nil {
		d.listeners = map[string][]*pyro.Proxy{}
	}
	d.listeners[topic] = append(d.listeners[topic], listener)
	fmt.Fprintf(d.log, "New listener for topic %s registered: %s\n", topic, listener.URI())
}

func (d *blobDispatcher) ProcessBlob(ctx context.Context, blob *pyro.SerializedBlob) error {
	fmt.Fprintln(d.log, "Dispatching blob with name:", blob.Info)
	topic, _ := blob.Info.(string)
	d.mu.Lock()
	listeners := d.listeners[topic]
	d.mu.Unlock()
	for _, l := range listeners {
		if err := l.Call(ctx, "process_blob", nil, blob); err != nil {
			return err
		}
	}
	return nil
}

// customData is what Pyro4's blob-dispatch client sends: its CustomData class-dict.
type customData struct {
	Class string    `pyro:"__class__"`
	A     int       `pyro:"a"`
	B     string    `pyro:"b"`
	C     time.Time `pyro:"c"`
}

// blobListener decodes the blobs it receives.
type blobListener struct {
	topic string
	mu    sync.Mutex
	got   []string
}

func (l *blobListener) ProcessBlob(blob *pyro.SerializedBlob) error {
	if blob.Info != l.topic {
		return pyro.NewError("builtins.AssertionError", "blob for %v, not %s", blob.Info, l.topic)
	}
	var d customData
	if err := blob.Decode(&d); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, fmt.Sprintf("%s a=%d, b=%s, c=%d", d.Class, d.A, d.B, d.C.Year()))
	return nil
}

// Describe takes an ordinary argument, so a blob is refused.
func (l *blobListener) Describe(s string) string { return l.topic + ": " + s }

func (l *blobListener) received() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.got...)
}

// TestBlobPassThroughGo: a Go client's blob crosses a Go dispatcher, which forwards it without
// decoding, to a Go listener that decodes it, with every serializer; the dispatcher's proxy
// may use another serializer than the blob's, as the blob keeps its own.
func TestBlobPassThroughGo(t *testing.T) {
	ctx := context.Background()
	lis := &blobListener{topic: "t"}
	lisURI := pyrotest.Serve(t, lis)
	disp := &blobDispatcher{log: io.Discard}
	dispURI := pyrotest.Serve(t, disp)
	when := time.Date(2024, 6, 28, 12, 0, 0, 0, time.UTC)
	for _, ser := range []string{"serpent", "json", "marshal", "msgpack"} {
		other := map[string]string{"serpent": "json", "json": "msgpack", "marshal": "serpent", "msgpack": "marshal"}[ser]
		disp.Register("t", pyrotest.NewProxy(t, lisURI, pyro.WithSerializer(other)))
		p := pyrotest.NewProxy(t, dispURI, pyro.WithSerializer(ser))
		blob := pyro.NewSerializedBlob("t", customData{"blobdispatch.CustomData", 42, ser, when})
		if err := p.Call(ctx, "process_blob", nil, blob); err != nil {
			t.Fatalf("%s: %v", ser, err)
		}
		disp.listeners = nil
	}
	want := "blobdispatch.CustomData a=42, b=serpent, c=2024|blobdispatch.CustomData a=42, b=json, c=2024|" +
		"blobdispatch.CustomData a=42, b=marshal, c=2024|blobdispatch.CustomData a=42, b=msgpack, c=2024"
	if got := strings.Join(lis.received(), "|"); got != want {
		t.Errorf("listener received %s\nwant %s", got, want)
	}

	// A blob is a call's only argument; a method without a blob parameter refuses one.
	p := pyrotest.NewProxy(t, dispURI)
	blob := pyro.NewSerializedBlob("t", 1)
	for _, args := range [][]any{{blob, 2}, {blob, pyro.Kwargs{"x": 1}}, {[]any{blob}}} {
		var re *pyro.RemoteError
		if err := p.Call(ctx, "process_blob", nil, args...); err == nil || errors.As(err, &re) ||
			!strings.Contains(err.Error(), "if SerializedBlob is used, it must be the only argument") {
			t.Errorf("blob among %d arguments: %v", len(args), err)
		}
	}
	var re *pyro.RemoteError
	if err := p.Call(ctx, "register", nil, blob); !errors.As(err, &re) || re.Class != "builtins.TypeError" {
		t.Errorf("a blob for a method that takes none: %v", err)
	}
	if err := p.Call(ctx, "process_blob", nil, "not a blob"); !errors.As(err, &re) || re.Class != "builtins.TypeError" ||
		!strings.Contains(re.Message(), "KEEPSERIALIZED") {
		t.Errorf("an ordinary argument for a blob parameter: %v", err)
	}
	// Locally, a blob gives back what it was made of.
	if v, err := blob.Deserialized(); err != nil || v != 1 {
		t.Errorf("Deserialized = %v, %v", v, err)
	}
}

// TestBadBlobCalls: malformed KEEPSERIALIZED calls get a SerializeError (or the receiver's
// own error for an undecodable payload) and the connection goes on serving.
func TestBadBlobCalls(t *testing.T) {
	uri := pyrotest.Serve(t, &blobListener{topic: "t"}, pyro.WithID("listener"))
	c := dialRaw(t, uri.Address())
	c.handshake("serpent", "listener")
	marshal := codec(t, "marshal")
	blbi := func(v any) []byte {
		b, err := marshal.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	payload, _ := codec(t, "serpent").Marshal(pyval.Tuple{"listener", "process_blob", pyval.DictOf("a", int64(1)), pyval.NewDict(0)})
	for i, tc := range []struct {
		name  string
		ann   []byte // nil: no BLBI
		data  []byte
		class string
	}{
		{"no BLBI", nil, payload, "Pyro4.errors.SerializeError"},
		{"BLBI not marshal", []byte("\xff\x00garbage"), payload, "Pyro4.errors.SerializeError"},
		{"BLBI of two", blbi(pyval.Tuple{"t", "listener"}), payload, "Pyro4.errors.SerializeError"},
		{"BLBI with an int object id", blbi(pyval.Tuple{"t", int64(1), "process_blob"}), payload, "Pyro4.errors.SerializeError"},
		{"unknown object", blbi(pyval.Tuple{"t", "nobody", "process_blob"}), payload, "Pyro4.errors.DaemonError"},
		{"undecodable payload", blbi(pyval.Tuple{"t", "listener", "process_blob"}), []byte("# serpent utf-8 python3.2\n(("), "Pyro4.errors.SerializeError"},
		{"payload not a call", blbi(pyval.Tuple{"t", "listener", "process_blob"}), []byte("# serpent utf-8 python3.2\n42"), "Pyro4.errors.SerializeError"},
		{"blob for a method without one", blbi(pyval.Tuple{"t", "listener", "describe"}), payload, "builtins.TypeError"},
	} {
		m := &wire.Message{Type: wire.Invoke, Flags: wire.FlagKeepSerialized, Seq: uint16(i + 1), SerializerID: serializer.SerpentID, Data: tc.data}
		if tc.ann != nil {
			m.SetAnnotation(wire.AnnBlobInfo, tc.ann)
		}
		c.send(m)
		reply, err := c.recv()
		if err != nil || reply.Flags&wire.FlagException == 0 || reply.Seq != m.Seq {
			t.Fatalf("%s: %v, %v", tc.name, reply, err)
		}
		exc, _ := codec(t, "serpent").Unmarshal(reply.Data)
		if class, _ := pyval.ClassOf(exc); class != tc.class {
			t.Errorf("%s: %s, want a %s", tc.name, pyval.Repr(exc), tc.class)
		}
	}
}
