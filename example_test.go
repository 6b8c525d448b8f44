package pyro_test

import (
	"context"
	"errors"
	"fmt"
	"iter"

	"github.com/gopyro/pyro"
)

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
	cfg := pyro.DefaultConfig()
	cfg.Host = "127.0.0.1"
	d, err := pyro.NewDaemon(cfg)
	if err != nil {
		panic(err)
	}
	defer d.Close()
	uri, _ := d.Register(&Greeter{}, pyro.WithID("example.greeter"))
	go d.Serve(ctx)

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
	cfg := pyro.DefaultConfig()
	cfg.Host = "127.0.0.1"
	d, _ := pyro.NewDaemon(cfg)
	defer d.Close()
	uri, _ := d.RegisterFactory(pyro.PerCall, func() *counter2 { return &counter2{} })
	go d.Serve(context.Background())

	p, _ := pyro.NewProxyURI(uri)
	defer p.Close()
	a, _ := pyro.CallT[int](context.Background(), p, "next")
	b, _ := pyro.CallT[int](context.Background(), p, "next")
	fmt.Println(a, b)
	// Output: 1 1
}

// A batch sends several calls in one message; it stops at the first failure.
func ExampleBatch_Run() {
	cfg := pyro.DefaultConfig()
	cfg.Host = "127.0.0.1"
	d, _ := pyro.NewDaemon(cfg)
	defer d.Close()
	uri, _ := d.Register(&Greeter{})
	go d.Serve(context.Background())

	p, _ := pyro.NewProxyURI(uri)
	defer p.Close()
	results, err := p.Batch().Add("hello", "a").Add("divide", 1, 0).Add("hello", "never").Run(context.Background())
	var be *pyro.BatchError
	fmt.Println(results, errors.As(err, &be) && be.Index == 1)
	// Output: [hello a] true
}
