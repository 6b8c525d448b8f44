// Command dispatcher is the Go twin of Pyro4's blob-dispatch dispatcher
// (examples/blob-dispatch/dispatcher/dispatcher.py): it routes blobs to the listeners
// registered for their topic without ever decoding them, registered with the name server
// as example.blobdispatcher. Run a name server first, then listeners and the client:
//
//	pyro ns -n 127.0.0.1 &
//	PYRO_NS_HOST=127.0.0.1 go run ./examples/pyro4/blob-dispatch/dispatcher &
//	PYRO_NS_HOST=127.0.0.1 python3 /usr/share/doc/pyro4/examples/blob-dispatch/listeners/main.py topic1 &
//	PYRO_NS_HOST=127.0.0.1 python3 /usr/share/doc/pyro4/examples/blob-dispatch/client/client.py
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/naming"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, "dispatcher:", err)
		os.Exit(1)
	}
}

// Dispatcher knows nothing of the data it routes (the client's CustomData class): a method
// parameter of type *pyro.SerializedBlob receives the payload still serialized, and passing
// the blob to another proxy forwards the very same bytes.
type Dispatcher struct {
	mu        sync.Mutex
	listeners map[string][]*pyro.Proxy
}

// Register adds a listener for a topic. The listener passes itself; it arrives as a proxy.
func (d *Dispatcher) Register(topic string, listener *pyro.Proxy) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.listeners == nil {
		d.listeners = map[string][]*pyro.Proxy{}
	}
	d.listeners[topic] = append(d.listeners[topic], listener)
	fmt.Printf("New listener for topic %s registered: %s\n", topic, listener.URI())
}

// ProcessBlob hands the blob to every listener of its topic (its Info), one after the
// other.
func (d *Dispatcher) ProcessBlob(ctx context.Context, blob *pyro.SerializedBlob) error {
	fmt.Println("Dispatching blob with name:", blob.Info)
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

// run is serveSimple({Dispatcher: "example.blobdispatcher"}).
func run(ctx context.Context) error {
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
	dispatcher := &Dispatcher{}
	return naming.Serve(ctx, d, map[string]any{"example.blobdispatcher": dispatcher}, naming.ServeOptions{
		NameServerConfig: &nsCfg,
		Ready: func(uris map[string]pyro.URI) {
			fmt.Printf("Object %T:\n    uri = %s\n    name = example.blobdispatcher\n", dispatcher, uris["example.blobdispatcher"])
			fmt.Println("Pyro daemon running.")
		},
	})
}
