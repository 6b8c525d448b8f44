package pyro_test

import (
	"context"
	"fmt"

	"github.com/gopyro/pyro"
)

// serve starts a daemon on loopback for the examples; stop closes it.
func serve() (d *pyro.Daemon, stop func()) {
	d, err := pyro.NewDaemon(pyro.DaemonConfig{Host: "127.0.0.1"})
	if err != nil {
		panic(err)
	}
	ln, err := d.Listen()
	if err != nil {
		panic(err)
	}
	go d.Serve(context.Background(), ln)
	return d, func() { d.Close() }
}

// Notifier is a server that calls back whatever it is given.
type Notifier struct{}

// Subscribe calls cb back; the client passed its own object, which arrives as a proxy.
func (Notifier) Subscribe(ctx context.Context, cb *pyro.Proxy, msg string) (string, error) {
	defer cb.Close()
	return pyro.CallT[string](ctx, cb, "notify", msg)
}

// Inbox is the client's callback object.
type Inbox struct{}

// Notify is called by the server.
func (Inbox) Notify(msg string) string { return "inbox got " + msg }

// Pyro4's callback pattern: the client registers an object with a daemon of its own and
// passes the object itself; registered objects travel as proxies wherever they appear
// (autoproxy), so the server gets a proxy and calls the client back.
func Example_callback() {
	ctx := context.Background()
	server, stop := serve()
	defer stop()
	uri, _ := server.Register(Notifier{})

	client, stopClient := serve() // the client's own daemon, for the callbacks
	defer stopClient()
	inbox := &Inbox{}
	client.Register(inbox)

	p, _ := pyro.NewProxyURI(uri)
	defer p.Close()
	fmt.Println(pyro.CallT[string](ctx, p, "subscribe", inbox, "hello"))
	// Output: inbox got hello <nil>
}

// Router forwards blobs without decoding them.
type Router struct{ next *pyro.Proxy }

// Route passes the blob on as it came: same bytes, same serializer.
func (r Router) Route(ctx context.Context, blob *pyro.SerializedBlob) error {
	return r.next.Call(ctx, "consume", nil, blob)
}

// Consumer is where a blob is finally decoded.
type Consumer struct{ got chan string }

// Consume decodes the blob's data.
func (c Consumer) Consume(blob *pyro.SerializedBlob) error {
	var order struct {
		Item string
		Qty  int
	}
	if err := blob.Decode(&order); err != nil {
		return err
	}
	c.got <- fmt.Sprintf("%v: %d × %s", blob.Info, order.Qty, order.Item)
	return nil
}

// A SerializedBlob crosses a dispatcher undecoded (Pyro4's blob-dispatch example): the
// router reads only the blob's Info; the consumer decodes the data.
func ExampleSerializedBlob() {
	ctx := context.Background()
	d, stop := serve()
	defer stop()
	got := make(chan string, 1)
	consumerURI, _ := d.Register(Consumer{got: got})
	next, _ := pyro.NewProxyURI(consumerURI)
	defer next.Close()
	routerURI, _ := d.Register(Router{next: next})

	p, _ := pyro.NewProxyURI(routerURI)
	defer p.Close()
	blob := pyro.NewSerializedBlob("orders", map[string]any{"item": "tea", "qty": 2})
	if err := p.Call(ctx, "route", nil, blob); err != nil {
		panic(err)
	}
	fmt.Println(<-got)
	// Output: orders: 2 × tea
}

// Checker returns exceptions as values, as Python code may (return ValueError("...")).
type Checker struct{}

// Check reports what is wrong without raising: the caller gets an exception object.
func (Checker) Check(n int) any {
	if n < 0 {
		return pyro.NewError("builtins.ValueError", "%d is negative", n)
	}
	return nil
}

// An *Error returned as a value (not as the method's error) travels as an exception object;
// decoding a result into a *RemoteError reads one, from a Go or a Python server.
func ExampleRemoteError_UnmarshalPython() {
	d, stop := serve()
	defer stop()
	uri, _ := d.Register(Checker{})
	p, _ := pyro.NewProxyURI(uri)
	defer p.Close()
	problem, err := pyro.CallT[*pyro.RemoteError](context.Background(), p, "check", -1)
	fmt.Println(problem, err)
	problem, err = pyro.CallT[*pyro.RemoteError](context.Background(), p, "check", 1)
	fmt.Println(problem == nil, err)
	// Output:
	// builtins.ValueError: -1 is negative <nil>
	// true <nil>
}
