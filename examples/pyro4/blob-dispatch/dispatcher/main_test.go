package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/examples/internal/extest"
	"github.com/gopyro/pyro/pyrotest"
)

func TestMain(m *testing.M) { extest.Main(m, main) }

// customData is the client's CustomData class-dict, for the Go client and listener below.
type customData struct {
	Class string    `pyro:"__class__"`
	A     int       `pyro:"a"`
	B     string    `pyro:"b"`
	C     time.Time `pyro:"c"`
}

// goListener is a listener in the test's own process: it decodes what it receives.
type goListener struct {
	topic string
	mu    sync.Mutex
	got   []string
}

func (l *goListener) ProcessBlob(blob *pyro.SerializedBlob) error {
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

func (l *goListener) received() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.got, "|")
}

// The client's datetime is now, printed by the listener as it arrived: isoformat text.
const datetimeRE = `c=\d{4}-\d\d-\d\d[ T][\d:.+]+`

type outputs struct {
	client, listener, dispatcher, goListener string
}

// TestClient runs Pyro4's blob-dispatch client and listener, unchanged, with dispatcher.py
// and with the Go twin in its place: they print the same, and so do the dispatchers. A Go
// client and a Go listener take part too, through either dispatcher.
func TestClient(t *testing.T) {
	dir := extest.Dir(t, "blob-dispatch")
	ctx := context.Background()
	scenario := func(ns pyro.URI, dispatcher *extest.Proc) outputs {
		t.Helper()
		env := extest.NSEnv(ns)
		listener := extest.StartPython(t, env, "waiting for data", dir+"/listeners/main.py", "topicA")

		// A Go listener registers itself, passing the registered object (autoproxy).
		mine := pyrotest.NewDaemon(t, pyro.DaemonConfig{})
		gl := &goListener{topic: "topicG"}
		if _, err := mine.Register(gl); err != nil {
			t.Fatal(err)
		}
		uri, _ := pyro.ParseURI("PYRONAME:example.blobdispatcher")
		d := pyrotest.NewProxy(t, uri, pyro.WithNameServer(ns.Host, ns.Port))
		if err := d.Call(ctx, "register", nil, "topicG", gl); err != nil {
			t.Fatal(err)
		}

		// Pyro4's client, then a Go client, send to both topics.
		client := extest.Run(t, extest.Python(env, dir+"/client/client.py"), "topicA\ntopicG\n\n", 0)
		for _, topic := range []string{"topicA", "topicG"} {
			blob := pyro.NewSerializedBlob(topic, customData{"blobdispatch.CustomData", 7, "from Go", time.Now()})
			if err := d.Call(ctx, "process_blob", nil, blob); err != nil {
				t.Fatalf("Go client: %v", err)
			}
		}
		listener.WaitFor("Received custom data", 2)
		return outputs{
			client:     client.Stdout + client.Stderr,
			listener:   extest.Replace(listener.Stdout(), datetimeRE, "c=TIME"),
			dispatcher: extest.ObjectIDs(extest.Addresses(dispatcher.After("Pyro daemon running.\n"))),
			goListener: gl.received(),
		}
	}
	pyNS := extest.PythonNameServer(t)
	want := scenario(pyNS, extest.StartPython(t, extest.NSEnv(pyNS), "Pyro daemon running", dir+"/dispatcher/dispatcher.py"))
	goNS := extest.GoNameServer(t)
	got := scenario(goNS, extest.StartGo(t, extest.NSEnv(goNS), "Pyro daemon running"))

	extest.Same(t, "client.py's output", want.client, got.client)
	extest.Same(t, "listeners/main.py's output", want.listener, got.listener)
	// The dispatchers print the listeners' URIs: addresses and object ids differ by run.
	extest.Same(t, "the dispatcher's output", want.dispatcher, got.dispatcher)
	extest.Same(t, "what the Go listener received", want.goListener, got.goListener)

	wantLines := "Received custom data (type=<class 'customdata.CustomData'>):\n    a=42, b=hello world, c=TIME\n" +
		"Received custom data (type=<class 'customdata.CustomData'>):\n    a=7, b=from Go, c=TIME\n"
	if !strings.HasSuffix(got.listener, wantLines) {
		t.Errorf("the Python listener printed\n%s\nwant it to end with\n%s", got.listener, wantLines)
	}
	year := time.Now().Year()
	if want := fmt.Sprintf("blobdispatch.CustomData a=42, b=hello world, c=%d|blobdispatch.CustomData a=7, b=from Go, c=%d", year, year); got.goListener != want {
		t.Errorf("the Go listener received %q, want %q", got.goListener, want)
	}
	t.Logf("the dispatchers printed:\n%s", got.dispatcher)
}
