// Command server is the Go twin of the first server of Pyro4's callback example
// (examples/callback/server.py): CallbackServer, registered with the name server as
// example.callback, makes workers on request; each worker works in a oneway call, then calls
// back the client's callback object. Run a name server first:
//
//	pyro ns -n 127.0.0.1 &
//	PYRO_NS_HOST=127.0.0.1 go run ./examples/pyro4/callback/server
//	PYRO_NS_HOST=127.0.0.1 python3 /usr/share/doc/pyro4/examples/callback/client.py
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/naming"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, "callback server:", err)
		os.Exit(1)
	}
}

// CallbackServer makes workers. Python reaches the daemon serving an object through its
// _pyroDaemon attribute; in Go the server keeps the daemon it registers workers with.
type CallbackServer struct {
	d *pyro.Daemon

	mu     sync.Mutex
	number int
}

// AddWorker is exposed as addworker. The client passes its callback object itself; it
// arrives as a proxy (autoproxy). The worker is registered with the daemon and returned
// itself: a registered object travels as a proxy to it, so the client gets a proxy too.
func (s *CallbackServer) AddWorker(callback *pyro.Proxy) (*Worker, error) {
	s.mu.Lock()
	s.number++
	number := s.number
	s.mu.Unlock()
	fmt.Printf("server: adding worker %d\n", number)
	w := &Worker{number: number, callback: callback, d: s.d}
	fmt.Printf("Worker %d created\n", number)
	uri, err := s.d.Register(w, pyro.WithOneway("Work")) // make it a Pyro object
	w.id = uri.Object
	return w, err
}

// Worker works for a while, then reports to its callback.
type Worker struct {
	number   int
	callback *pyro.Proxy
	d        *pyro.Daemon
	id       string
}

// Work is oneway (pyro.WithOneway): the client does not wait for it. It takes amount
// seconds, unregisters the worker and calls the client back.
func (w *Worker) Work(ctx context.Context, amount int) error {
	fmt.Printf("Worker %d busy...\n", w.number)
	time.Sleep(time.Duration(amount) * time.Second)
	fmt.Printf("Worker %d done. Informing callback client.\n", w.number)
	w.d.Unregister(w.id)
	defer w.callback.Close()
	return w.callback.Call(ctx, "done", nil, w.number) // invoke the callback object
}

// run is serveSimple({CallbackServer: "example.callback"}).
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
	server := &CallbackServer{d: d}
	return naming.Serve(ctx, d, map[string]any{"example.callback": server}, naming.ServeOptions{
		NameServerConfig: &nsCfg,
		PublishOptions:   naming.PublishOptions{Register: []pyro.RegisterOption{pyro.WithName("AddWorker", "addworker")}},
		Ready: func(uris map[string]pyro.URI) {
			fmt.Printf("Object %T:\n    uri = %s\n    name = example.callback\n", server, uris["example.callback"])
			fmt.Println("Pyro daemon running.")
		},
	})
}
