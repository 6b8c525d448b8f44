package pyro

import (
	"fmt"

	"github.com/gopyro/pyro/pyval"
)

// Python code may return an exception object instead of raising it (Pyro4's exceptions
// example: `return ValueError("...")`); it travels as an ordinary result, the exception's
// class-dict, and the caller gets an exception instance as a value. In Go, return an *Error or
// *RemoteError as a value (from a method whose result is any, *pyro.Error or a struct with
// such a field, never the method's own error result, which raises), and decode a result into
// a *RemoteError to read one.

// MarshalPython makes an *Error returned as a value (not as the method's error) travel as
// the exception object it stands for, without a traceback, as Python sends a returned
// exception: the caller gets an instance of Class, not a raised exception.
func (e Error) MarshalPython() (any, error) { return exceptionValue(&e, nil), nil }

// MarshalPython makes a *RemoteError returned as a value travel as the exception object it
// was, its traceback and attributes included: a Go server can hand on an exception it caught.
func (e RemoteError) MarshalPython() (any, error) { return exceptionValue(&e, e.Traceback), nil }

// UnmarshalPython reads an exception object that arrived as a value (a Python method
// returned it, or a Go one returned an *Error as a value) into a RemoteError; None leaves
// the zero RemoteError. Anything else is an error.
func (e *RemoteError) UnmarshalPython(v any) error {
	if v == nil {
		*e = RemoteError{}
		return nil
	}
	if class, ok := pyval.ClassOf(v); ok && class != "" {
		isExc, _ := v.(*pyval.Dict).GetString("__exception__")
		if isExc == true || isPyroErrorClass(class) {
			*e = *remoteErrorFrom(v)
			return nil
		}
	}
	return fmt.Errorf("pyro: a %s is not an exception object", pyval.TypeName(v))
}
