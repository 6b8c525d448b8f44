package pyro_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/gopyro/pyro"
)

// Vault answers only callers that name themselves in a USER annotation.
type Vault struct{}

// Open reads the caller's annotations from its context and annotates its reply.
func (Vault) Open(ctx context.Context) (string, error) {
	ci, _ := pyro.CallInfoFrom(ctx)
	user := string(ci.Annotations["USER"])
	if user == "" {
		return "", pyro.NewError("builtins.PermissionError", "who are you?")
	}
	if err := pyro.SetResponseAnnotation(ctx, "SEEN", ci.Annotations["TRAC"]); err != nil {
		return "", err
	}
	return user + "'s secret", nil
}

// Custom annotations travel beside a call's arguments, both ways: the proxy adds USER to
// every message, the call adds TRAC, and the method answers with SEEN. A Python client does
// the same with _pyroAnnotations and current_context (Pyro4's usersession example).
func ExampleWithAnnotations() {
	ctx := context.Background()
	d, _ := pyro.NewDaemon(pyro.DaemonConfig{Host: "127.0.0.1"})
	defer d.Close()
	ln, _ := d.Listen()
	go d.Serve(ctx, ln)
	uri, _ := d.Register(Vault{}, pyro.WithID("example.vault"))

	p, _ := pyro.NewProxyURI(uri, pyro.WithAnnotationFunc(func(context.Context) pyro.Annotations {
		return pyro.Annotations{"USER": []byte("alice")}
	}))
	defer p.Close()
	var reply pyro.Annotations
	callCtx := pyro.CaptureResponseAnnotations(pyro.WithAnnotations(ctx, pyro.Annotations{"TRAC": []byte("trace-1")}), &reply)
	secret, err := pyro.CallT[string](callCtx, p, "open")
	fmt.Println(secret, err, string(reply["SEEN"]))
	// Output: alice's secret <nil> trace-1
}

// Cart is a shopping cart, one per client connection.
type Cart struct {
	owner string
	items []string
}

// Add puts an item in the cart.
func (c *Cart) Add(item string) { c.items = append(c.items, item) }

// Items lists the cart.
func (c *Cart) Items() string { return c.owner + ": " + strings.Join(c.items, " ") }

// A Session factory taking a context knows whom its instance serves: here the USER
// annotation of the call that made it. WithSingleConnection keeps the proxy on one
// connection, so all its calls meet the same cart, as with a Pyro4 proxy; OnDisconnect
// says when that connection ends.
func ExampleDaemon_RegisterFactory_session() {
	ctx := context.Background()
	gone := make(chan string, 1)
	d, _ := pyro.NewDaemon(pyro.DaemonConfig{Host: "127.0.0.1",
		OnDisconnect: func(ctx context.Context) {
			conn, _ := pyro.ConnInfoFrom(ctx)
			gone <- "bye " + string(conn.Annotations["USER"])
		}})
	defer d.Close()
	ln, _ := d.Listen()
	go d.Serve(ctx, ln)
	uri, _ := d.RegisterFactory(pyro.Session, func(ctx context.Context) *Cart {
		ci, _ := pyro.CallInfoFrom(ctx)
		return &Cart{owner: string(ci.Annotations["USER"])}
	})

	p, _ := pyro.NewProxyURI(uri, pyro.WithSingleConnection(), pyro.WithAnnotationFunc(func(context.Context) pyro.Annotations {
		return pyro.Annotations{"USER": []byte("bob")}
	}))
	p.Call(ctx, "add", nil, "apple")
	p.Call(ctx, "add", nil, "pear")
	fmt.Println(pyro.CallT[string](ctx, p, "items"))
	p.Close()
	fmt.Println(<-gone)
	// Output:
	// bob: apple pear <nil>
	// bye bob
}
