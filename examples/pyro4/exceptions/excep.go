package main

import (
	"github.com/gopyro/pyro"
)

// TestClass is the Go twin of excep.py's TestClass: its methods raise exceptions, or return
// one. A Go method raises a Python exception by returning a *pyro.Error with the exception's
// class: the Python caller gets a real ValueError, ZeroDivisionError, ..., with a remote
// traceback naming the Go method.
type TestClass struct{}

// Div divides as Python's / does (ints in, a float out).
func (TestClass) Div(arg1, arg2 float64) (float64, error) {
	if arg2 == 0 {
		return 0, pyro.NewError("builtins.ZeroDivisionError", "division by zero")
	}
	return arg1 / arg2, nil
}

// Error raises a ValueError.
func (TestClass) Error() error {
	return pyro.NewError("builtins.ValueError", "a valueerror! Great!")
}

// Error2 returns a ValueError instead of raising it: an exception as a value (result type
// any) reaches the caller as an exception object, not raised.
func (TestClass) Error2() any {
	return pyro.NewError("builtins.ValueError", "a valueerror! Great!")
}

// OtherErr raises a RuntimeError; exposed as othererr.
func (TestClass) OtherErr() error {
	return pyro.NewError("builtins.RuntimeError", "a runtime error!")
}

// Unserializable raises an exception of a class the client does not know,
// excep.UnserializableError: the client cannot rebuild it and reports that instead.
func (TestClass) Unserializable() error {
	return pyro.NewError("excep.UnserializableError", "this error can't be serialized")
}

// ComplexError crashes a few calls deep, as Python's complexerror does: Foo.crash calls
// crash2, which divides a string by two. Exposed as complexerror.
func (TestClass) ComplexError() error {
	return foo{}.crash()
}

type foo struct{}

func (f foo) crash() error { return f.crash2("going down...") }

func (foo) crash2(arg any) error {
	_, err := floorDiv(arg, 2) // this statement will crash on purpose
	return err
}

// floorDiv is Python's arg // n for the values this example meets: an int, or a TypeError.
func floorDiv(arg any, n int) (int, error) {
	switch a := arg.(type) {
	case int:
		return a / n, nil
	case string:
		return 0, pyro.NewError("builtins.TypeError", "unsupported operand type(s) for //: 'str' and 'int'")
	default:
		return 0, pyro.NewError("builtins.TypeError", "unsupported operand type(s) for //")
	}
}
