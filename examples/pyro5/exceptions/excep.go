package main

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"

	"github.com/gopyro/pyro"
)

// TestClass is the Go twin of excep.py's TestClass. Every method that raises reports its
// exception first, as server.py's my_error_handler does for Pyro5's daemon.
type TestClass struct{}

// Div is arg1 / arg2, Python's true division.
func (TestClass) Div(ctx context.Context, arg1, arg2 float64) (float64, error) {
	if arg2 == 0 {
		return 0, raised(ctx, "div", pyro.NewError("builtins.ZeroDivisionError", "division by zero"))
	}
	return arg1 / arg2, nil
}

// Error raises a ValueError.
func (TestClass) Error(ctx context.Context) error {
	return raised(ctx, "error", pyro.NewError("builtins.ValueError", "a valueerror! Great!"))
}

// Error2 returns a ValueError as its value: nothing is raised.
func (TestClass) Error2() any {
	return pyro.NewError("builtins.ValueError", "a valueerror! Great!")
}

// OtherErr raises a RuntimeError.
func (TestClass) OtherErr(ctx context.Context) error {
	return raised(ctx, "othererr", pyro.NewError("builtins.RuntimeError", "a runtime error!"))
}

// OnewayErr is oneway (WithOneway): its ValueError reaches no client, only the report.
func (TestClass) OnewayErr(ctx context.Context) error {
	return raised(ctx, "onewayerr", pyro.NewError("builtins.ValueError", "error in oneway call!"))
}

// Unserializable returns what Python's serpent makes of a function (excep.py returns
// TestClass.unserializable): a class dict Pyro5's client cannot rebuild.
func (TestClass) Unserializable() any {
	return map[string]any{"__class__": "builtins.function"}
}

// ComplexError fails two calls deep, as excep.py's Foo().crash() does.
func (TestClass) ComplexError(ctx context.Context) error {
	return raised(ctx, "complexerror", foo{}.crash())
}

type foo struct{}

func (f foo) crash() *pyro.Error { return f.crash2("going down...") }

func (foo) crash2(arg any) *pyro.Error {
	_, err := floorDiv(arg, 2) // this statement will crash on purpose
	return err
}

func floorDiv(arg any, n int) (int, *pyro.Error) {
	switch a := arg.(type) {
	case int:
		return a / n, nil
	case string:
		return 0, pyro.NewError("builtins.TypeError", "unsupported operand type(s) for //: 'str' and 'int'")
	default:
		return 0, pyro.NewError("builtins.TypeError", "unsupported operand type(s) for //")
	}
}

var printing sync.Mutex

// raised prints what server.py's my_error_handler prints for an exception a method raised,
// and returns the exception.
func raised(ctx context.Context, method string, err *pyro.Error) error {
	client := "None"
	if ci, ok := pyro.CallInfoFrom(ctx); ok && ci.RemoteAddr != nil {
		client = pyAddr(ci.RemoteAddr)
	}
	printing.Lock()
	defer printing.Unlock()
	fmt.Printf("\nERROR IN METHOD CALL USER CODE:\n client=%s method=TestClass.%s exception=%s(%s)\n",
		client, method, err.Class[strings.LastIndex(err.Class, ".")+1:], pyRepr(err.Msg))
	return err
}

// pyAddr is Python's address tuple: ('127.0.0.1', 50918).
func pyAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return pyRepr(a.String())
	}
	return fmt.Sprintf("(%s, %s)", pyRepr(host), port)
}

// pyRepr is Python's repr of a str without backslashes or control characters: single quotes
// unless it holds a single quote and no double quote.
func pyRepr(s string) string {
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		return `"` + s + `"`
	}
	return "'" + strings.ReplaceAll(s, "'", `\'`) + "'"
}
