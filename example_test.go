package pyro_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net"

	"github.com/gopyro/pyro"
)

// GreeterAPI is what the greeter publishes: RegisterAs exposes these methods and no others.
type GreeterAPI interface {
	Hello(name string) string
	Divide(a, b float64) (float64, error)
	Countdown(n int) iter.Seq[int]
}

// Greeter is an ordinary Go type; its exported methods become remote methods.
type Greeter struct{}

// Hello is callable as "Hello" and, for Python peers, "hello".
func (Greeter) Hello(name string) string { return "hello " + name }

// Divide raises a Python ZeroDivisionError in the caller when b is 0.
func (Greeter) Divide(a, b float64) (float64, error) {
	if b == 0 {
		return 0, pyro.NewError("builtins.ZeroDivisionError", "division by zero")
	}
	return a / b, nil
}

// Countdown streams its values: a Python caller sees a generator.
func (Greeter) Countdown(n int) iter.Seq[int] {
	return func(yield func(int) bool) {
		for ; n > 0 && yield(n); n-- {
		}
	}
}

// A daemon serves a Go object; a proxy calls it. A Python program would call the same object
// with Pyro4.Proxy("PYRO:example.greeter@localhost:<port>").hello("world").
func Example() {
	ctx := context.Background()
	d, err := pyro.NewDaemon(pyro.DaemonConfig{Host: "127.0.0.1"})
	if err != nil {
		panic(err)
	}
	defer d.Close()
	ln, err := d.Listen() // a free port: URIs take it from the listener
	if err != nil {
		panic(err)
	}
	go d.Serve(ctx, ln)
	uri, _ := pyro.RegisterAs[GreeterAPI](d, Greeter{}, pyro.WithID("example.greeter"))

	p, _ := pyro.NewProxyURI(uri)
	defer p.Close()
	greeting, err := pyro.CallT[string](ctx, p, "hello", "world")
	fmt.Println(greeting, err)

	_, err = pyro.CallT[float64](ctx, p, "divide", 1, 0)
	var re *pyro.RemoteError
	if errors.As(err, &re) {
		fmt.Println(re.Class, re.Message())
	}

	var counted []any
	for n, err := range p.Stream(ctx, "countdown", 3) {
		if err != nil {
			panic(err)
		}
		counted = append(counted, n)
	}
	fmt.Println(counted)
	// Output:
	// hello world <nil>
	// builtins.ZeroDivisionError division by zero
	// [3 2 1]
}

type counter2 struct{ n int }

func (c *counter2) Next() int { c.n++; return c.n }

// Instance modes: PerCall makes a new object for every call, Session one per connection.
func ExampleDaemon_RegisterFactory() {
	d, _ := pyro.NewDaemon(pyro.DaemonConfig{Host: "127.0.0.1"})
	defer d.Close()
	ln, _ := d.Listen()
	go d.Serve(context.Background(), ln)
	uri, _ := d.RegisterFactory(pyro.PerCall, func() *counter2 { return &counter2{} })

	p, _ := pyro.NewProxyURI(uri)
	defer p.Close()
	a, _ := pyro.CallT[int](context.Background(), p, "next")
	b, _ := pyro.CallT[int](context.Background(), p, "next")
	fmt.Println(a, b)
	// Output: 1 1
}

// A batch sends several calls in one message; it stops at the first failure.
func ExampleBatch_Run() {
	d, _ := pyro.NewDaemon(pyro.DaemonConfig{Host: "127.0.0.1"})
	defer d.Close()
	ln, _ := d.Listen()
	go d.Serve(context.Background(), ln)
	uri, _ := d.Register(&Greeter{})

	p, _ := pyro.NewProxyURI(uri)
	defer p.Close()
	results, err := p.Batch().Add("hello", "a").Add("divide", 1, 0).Add("hello", "never").Run(context.Background())
	var be *pyro.BatchError
	fmt.Println(results, errors.As(err, &be) && be.Index == 1)
	// Output: [hello a] true
}

// ServeConn serves one connection the caller already has: here one end of an in-memory
// pipe, with a proxy dialling the other end. A TLS connection or a socketpair works the same.
func ExampleDaemon_ServeConn() {
	ctx := context.Background()
	d, _ := pyro.NewDaemon(pyro.DaemonConfig{})
	defer d.Close()
	uri, _ := pyro.RegisterAs[GreeterAPI](d, Greeter{}, pyro.WithID("greeter"))

	server, client := net.Pipe()
	go d.ServeConn(ctx, server)
	// One pipe is one connection: the proxy may use only one.
	p, _ := pyro.NewProxyURI(uri, pyro.WithMaxConns(1), pyro.WithDialer(func(context.Context, string, string) (net.Conn, error) {
		return client, nil
	}))
	defer p.Close()
	fmt.Println(pyro.CallT[string](ctx, p, "hello", "pipe"))
	// Output: hello pipe <nil>
}

// Options fill one configuration whatever their order: WithSerializer overrides the
// serializer of the configuration WithConfig gives, before or after it.
func ExampleWithConfig() {
	base := pyro.ProxyConfig{Serializer: "marshal", MaxConns: 4}
	p, _ := pyro.NewProxy("PYRO:obj@localhost:9999", pyro.WithSerializer("json"), pyro.WithConfig(base))
	defer p.Close()
	fmt.Println(p.Config().Serializer, p.Config().MaxConns, p.Config().MaxIdleConns)
	// Output: json 4 16
}

// Method1 turns a remote method into a typed Go func once; the compiler then checks every
// call's argument and result types.
func ExampleMethod1() {
	ctx := context.Background()
	d, _ := pyro.NewDaemon(pyro.DaemonConfig{Host: "127.0.0.1"})
	defer d.Close()
	ln, _ := d.Listen()
	go d.Serve(ctx, ln)
	uri, _ := pyro.RegisterAs[GreeterAPI](d, Greeter{})

	p, _ := pyro.NewProxyURI(uri)
	defer p.Close()
	hello := pyro.Method1[string, string](p, "hello")
	divide := pyro.Method2[float64, float64, float64](p, "divide")
	fmt.Println(hello(ctx, "typed"))
	fmt.Println(divide(ctx, 1, 4))
	// Output:
	// hello typed <nil>
	// 0.25 <nil>
}

// StreamT iterates a remote generator with its items converted to T.
func ExampleStreamT() {
	ctx := context.Background()
	d, _ := pyro.NewDaemon(pyro.DaemonConfig{Host: "127.0.0.1"})
	defer d.Close()
	ln, _ := d.Listen()
	go d.Serve(ctx, ln)
	uri, _ := pyro.RegisterAs[GreeterAPI](d, Greeter{})

	p, _ := pyro.NewProxyURI(uri)
	defer p.Close()
	sum := 0
	for n, err := range pyro.StreamT[int](ctx, p, "countdown", 4) {
		if err != nil {
			panic(err)
		}
		sum += n
	}
	fmt.Println(sum)
	// Output: 10
}

// GreeterClient describes the greeter's remote API for Go callers: NewClient fills in the
// funcs, so calls through it are checked by the compiler. Field names match the remote
// snake_case (or camelCase) names; a tag names a method explicitly.
type GreeterClient struct {
	Hello     func(ctx context.Context, name string) (string, error)
	Countdown func(ctx context.Context, n int) iter.Seq2[int, error]
	Div       func(ctx context.Context, a, b float64) (float64, error) `pyro:"divide"`
}

func ExampleNewClient() {
	ctx := context.Background()
	d, _ := pyro.NewDaemon(pyro.DaemonConfig{Host: "127.0.0.1"})
	defer d.Close()
	ln, _ := d.Listen()
	go d.Serve(ctx, ln)
	uri, _ := pyro.RegisterAs[GreeterAPI](d, Greeter{})

	p, _ := pyro.NewProxyURI(uri)
	defer p.Close()
	g, err := pyro.NewClient[GreeterClient](p)
	if err != nil {
		panic(err)
	}
	fmt.Println(g.Hello(ctx, "client"))
	for n, err := range g.Countdown(ctx, 2) {
		fmt.Println(n, err)
	}
	_, err = g.Div(ctx, 1, 0)
	var re *pyro.RemoteError
	fmt.Println(errors.As(err, &re), re.ShortClass())
	// Output:
	// hello client <nil>
	// 2 <nil>
	// 1 <nil>
	// true ZeroDivisionError
}

// Quotes has Go names that differ in Python's two styles.
type Quotes struct{}

// GetRate is exposed as getRate under CamelCase (get_rate by default).
func (Quotes) GetRate(pair string) float64 { return 1.0705 }

// LastUpdated is exposed as lastUpdated under CamelCase.
func (Quotes) LastUpdated() string { return "2024-06-28" }

// WithNaming(pyro.CamelCase) publishes Python camelCase names (GetRate as getRate) without a
// WithName per method; Go callers may still use the Go names.
func ExampleWithNaming() {
	ctx := context.Background()
	d, _ := pyro.NewDaemon(pyro.DaemonConfig{Host: "127.0.0.1"})
	defer d.Close()
	ln, _ := d.Listen()
	go d.Serve(ctx, ln)
	uri, _ := d.Register(Quotes{}, pyro.WithNaming(pyro.CamelCase))

	p, _ := pyro.NewProxyURI(uri)
	defer p.Close()
	methods, _, _, _ := p.Metadata(ctx)
	fmt.Println(methods)
	fmt.Println(pyro.CallT[float64](ctx, p, "GetRate", "EURUSD"))
	// Output:
	// [getRate lastUpdated]
	// 1.0705 <nil>
}
