package pyro_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/internal/pytest"
	"github.com/gopyro/pyro/internal/wire"
	"github.com/gopyro/pyro/naming"
	"github.com/gopyro/pyro/naming/nameserver"
	"github.com/gopyro/pyro/pyrotest"
	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

// blobDispatcher is the Go twin of Pyro4's examples/blob-dispatch/dispatcher/dispatcher.py:
// it routes blobs by their info to the listeners registered for that topic, never decoding
// them.
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

// customData is what the example's client sends: its CustomData class-dict.
type customData struct {
	Class string    `pyro:"__class__"`
	A     int       `pyro:"a"`
	B     string    `pyro:"b"`
	C     time.Time `pyro:"c"`
}

// blobListener is the Go twin of the example's listeners/listener.py: it decodes the blob.
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

// startPythonProgram runs a Python program whose output the test reads as it goes, and waits
// until it printed ready.
func startPythonProgram(t *testing.T, env []string, stdin string, ready string, args ...string) *pytest.SyncBuffer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := pytest.Command(ctx, args...)
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdin = strings.NewReader(stdin)
	out := new(pytest.SyncBuffer)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); cmd.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), ready) {
		if time.Now().After(deadline) {
			t.Fatalf("%v did not print %q:\n%s", args, ready, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return out
}

var pyDatetime = regexp.MustCompile(`c=\d{4}-\d\d-\d\d[ T][\d:.+]+`)

// TestPyro4BlobDispatchExample runs Pyro4's blob-dispatch example: its client and listener
// programs, unchanged, with the Python dispatcher and with the Go twin in its place, must
// print the same; a Go client and a Go listener take part too, through either dispatcher.
func TestPyro4BlobDispatchExample(t *testing.T) {
	pytest.Require(t)
	dir := pyro4Examples + "/blob-dispatch"
	if _, err := os.Stat(dir + "/client/client.py"); err != nil {
		t.Fatalf("Pyro4's examples are missing (scripts/test installs pyro4-examples): %v", err)
	}
	ctx := context.Background()
	run := func(goDispatcher bool) (client, listener string, goListener []string) {
		ns := pyrotest.NewNameServer(t, nameserver.Config{}).URI()
		env := []string{"PYRO_NS_HOST=127.0.0.1", fmt.Sprintf("PYRO_NS_PORT=%d", ns.Port)}
		var dispLog bytes.Buffer
		if goDispatcher {
			d := pyrotest.NewDaemon(t, pyro.DaemonConfig{})
			uri, err := d.Register(&blobDispatcher{log: &dispLog}, pyro.WithID("example.blobdispatcher"))
			if err != nil {
				t.Fatal(err)
			}
			if err := pyrotest.NewNameServerClient(t, ns).Register(ctx, "example.blobdispatcher", uri, naming.RegisterOptions{}); err != nil {
				t.Fatal(err)
			}
		} else {
			startPythonProgram(t, env, "", "Pyro daemon running", dir+"/dispatcher/dispatcher.py")
		}
		pyListener := startPythonProgram(t, env, "", "waiting for data", dir+"/listeners/main.py", "topicA")

		// The Go listener registers itself, passing the object (autoproxy).
		mine := pyrotest.NewDaemon(t, pyro.DaemonConfig{})
		gl := &blobListener{topic: "topicG"}
		if _, err := mine.Register(gl); err != nil {
			t.Fatal(err)
		}
		dispatcher := pyrotest.NewProxy(t, mustParseURI(t, "PYRONAME:example.blobdispatcher"), pyro.WithNameServer("127.0.0.1", ns.Port))
		if err := dispatcher.Call(ctx, "register", nil, "topicG", gl); err != nil {
			t.Fatal(err)
		}

		// Pyro4's client, then a Go client, send to both topics.
		cctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		cmd := pytest.Command(cctx, dir+"/client/client.py")
		cmd.Env = append(cmd.Env, env...)
		cmd.Stdin = strings.NewReader("topicA\ntopicG\n\n")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("client.py: %v\n%s", err, out)
		}
		for _, topic := range []string{"topicA", "topicG"} {
			blob := pyro.NewSerializedBlob(topic, customData{"blobdispatch.CustomData", 7, "from Go", time.Now()})
			if err := dispatcher.Call(ctx, "process_blob", nil, blob); err != nil {
				t.Fatalf("Go client: %v", err)
			}
		}
		return string(out), pyDatetime.ReplaceAllString(pyListener.String(), "c=TIME"), gl.received()
	}

	wantClient, wantListener, wantGo := run(false)
	t.Logf("client.py:\n%s\nlisteners/main.py:\n%s\nGo listener: %q", wantClient, wantListener, wantGo)
	gotClient, gotListener, gotGo := run(true)
	if gotClient != wantClient || gotListener != wantListener {
		t.Errorf("with Pyro4's dispatcher, client.py printed\n%s\nand listeners/main.py\n%s\nwith the Go twin\n%s\nand\n%s",
			wantClient, wantListener, gotClient, gotListener)
	}
	wantLines := "Received custom data (type=<class 'customdata.CustomData'>):\n    a=42, b=hello world, c=TIME\n" +
		"Received custom data (type=<class 'customdata.CustomData'>):\n    a=7, b=from Go, c=TIME\n"
	if !strings.HasSuffix(gotListener, wantLines) {
		t.Errorf("the Python listener printed\n%s\nwant it to end with\n%s", gotListener, wantLines)
	}
	year := time.Now().Year()
	for _, got := range [][]string{wantGo, gotGo} {
		if want := fmt.Sprintf("blobdispatch.CustomData a=42, b=hello world, c=%d|blobdispatch.CustomData a=7, b=from Go, c=%d", year, year); strings.Join(got, "|") != want {
			t.Errorf("the Go listener received %q, want %q", got, want)
		}
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
