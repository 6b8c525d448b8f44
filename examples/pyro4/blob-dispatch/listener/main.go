// Command listener is the Go twin of Pyro4's blob-dispatch listener
// (examples/blob-dispatch/listeners/main.py and listener.py): it registers itself with the
// dispatcher for a topic and decodes the blobs it receives, the only program on their way
// that does. Run it beside the dispatcher (see cmd dispatcher):
//
//	PYRO_NS_HOST=127.0.0.1 go run ./examples/pyro4/blob-dispatch/listener topic1
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/gopyro/pyro"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) != 2 {
		fmt.Println("Give topic as argument.")
		return
	}
	topic := strings.TrimSpace(os.Args[1])
	if topic == "" {
		fmt.Fprintln(os.Stderr, "listener: Must give topic name.")
		os.Exit(1)
	}
	if err := run(ctx, topic); err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, "listener:", err)
		os.Exit(1)
	}
}

// CustomData is what the client sends: customdata.py's CustomData, which travels as a dict
// with its class name under __class__ (its to_dict). Python's listener turns it back into a
// CustomData with from_dict; Go decodes the dict into the struct. The client's datetime c
// travels as isoformat text in serpent, json and marshal (a datetime only in msgpack); as a
// string field it reads the same either way.
type CustomData struct {
	Class string `pyro:"__class__"` // "blobdispatch.CustomData"
	A     int    `pyro:"a"`
	B     string `pyro:"b"`
	C     string `pyro:"c"`
}

// Listener receives the blobs of one topic.
type Listener struct{ topic string }

// ProcessBlob decodes the blob: its payload is still in the client's serializer.
func (l *Listener) ProcessBlob(blob *pyro.SerializedBlob) error {
	if blob.Info != l.topic {
		return pyro.NewError("builtins.AssertionError", "")
	}
	var data CustomData
	if err := blob.Decode(&data); err != nil {
		return err
	}
	fmt.Printf("Received custom data (type=%s):\n", data.Class)
	fmt.Printf("    a=%d, b=%s, c=%s\n", data.A, data.B, data.C)
	return nil
}

func run(ctx context.Context, topic string) error {
	cfg, err := pyro.DaemonConfigFromEnv()
	if err != nil {
		return err
	}
	nsCfg, err := pyro.ProxyConfigFromEnv()
	if err != nil {
		return err
	}
	d, err := pyro.NewDaemon(cfg)
	if err != nil {
		return err
	}
	ln, err := d.Listen()
	if err != nil {
		return err
	}
	listener := &Listener{topic: topic}
	if _, err := d.Register(listener); err != nil {
		d.Close()
		return err
	}
	// register_with_dispatcher: pass the registered listener itself; it travels as a proxy.
	if err := registerWithDispatcher(ctx, nsCfg, listener); err != nil {
		d.Close()
		return err
	}
	fmt.Printf("Listener for topic %s waiting for data.\n", topic)
	return d.Serve(ctx, ln)
}

func registerWithDispatcher(ctx context.Context, nsCfg pyro.ProxyConfig, l *Listener) error {
	dispatcher, err := pyro.NewProxy("PYRONAME:example.blobdispatcher", pyro.WithConfig(nsCfg))
	if err != nil {
		return err
	}
	defer dispatcher.Close()
	return dispatcher.Call(ctx, "register", nil, l.topic, l)
}
