package pyro

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gopyro/pyro/pyval"
)

// Sentinel errors, matchable with errors.Is.
var (
	// ErrCommunication is wrapped by every failure to talk to the peer: refused or dropped
	// connections, protocol violations, timeouts. A proxy closes its connection on these.
	ErrCommunication = errors.New("pyro: communication error")
	// ErrConnectionClosed means the peer closed the connection.
	ErrConnectionClosed = fmt.Errorf("%w: connection closed", ErrCommunication)
	// ErrProtocol means the peer broke the wire protocol.
	ErrProtocol = fmt.Errorf("%w: protocol error", ErrCommunication)
	// ErrSecurity means a message failed HMAC authentication: a wrong key, or a key on one
	// side only.
	ErrSecurity = fmt.Errorf("%w: security error", ErrCommunication)
	// ErrConnectFailed means the daemon refused the connection handshake (CONNECTFAIL).
	ErrConnectFailed = fmt.Errorf("%w: connection rejected", ErrCommunication)
	// ErrDaemonClosed is returned by Serve after Shutdown or Close.
	ErrDaemonClosed = errors.New("pyro: daemon closed")
	// ErrProxyClosed is returned by calls on a proxy after Close.
	ErrProxyClosed = errors.New("pyro: proxy closed")
	// ErrNoSuchMethod means the remote object does not expose the method or attribute
	// (checked on the client from the metadata, as Pyro4 does).
	ErrNoSuchMethod = errors.New("pyro: no exposed method or attribute")
	// ErrNaming is wrapped by name server failures: not found, unknown name.
	ErrNaming = errors.New("pyro: naming error")
)

// RemoteError is an exception raised by the remote side, as it travelled over the wire:
// a Python exception from a Python daemon, or an error returned by a Go method. Use
// errors.As to inspect it:
//
//	var re *pyro.RemoteError
//	if errors.As(err, &re) && re.Class == "builtins.ValueError" { ... }
type RemoteError struct {
	// Class is the exception's qualified Python class, such as "builtins.ValueError",
	// "Pyro4.errors.NamingError" or, from a Pyro5 peer, "Pyro5.errors.NamingError": the
	// class as the peer sent it.
	Class string
	// Args are the exception's arguments; for most exceptions Args[0] is the message.
	Args []any
	// Traceback is the remote traceback text, as Pyro4 sends it in _pyroTraceback.
	Traceback []string
	// Attributes holds the exception's other attributes, if it had any.
	Attributes *pyval.Dict
}

// Message returns the exception's text as Python's str(exc) would give it.
func (e *RemoteError) Message() string { return pyStr(e.Class, e.Args) }

// pyStr is str(exc) for an exception of class with args: the one argument's str (its repr
// for a KeyError, as Python does), the args tuple's repr for several, "" for none.
func pyStr(class string, args []any) string {
	switch len(args) {
	case 0:
		return ""
	case 1:
		if s, ok := args[0].(string); ok && class != "builtins.KeyError" {
			return s
		}
		return pyval.Repr(args[0])
	}
	return pyval.Repr(pyval.Tuple(args))
}

// Error renders the exception as "builtins.ValueError: message".
func (e *RemoteError) Error() string {
	msg := e.Message()
	if msg == "" {
		return e.Class
	}
	return e.Class + ": " + msg
}

// ShortClass returns the class name without its module ("ValueError").
func (e *RemoteError) ShortClass() string {
	if i := strings.LastIndexByte(e.Class, '.'); i >= 0 {
		return e.Class[i+1:]
	}
	return e.Class
}

// Is lets errors.Is match a RemoteError against another by class: errors.Is(err,
// &pyro.RemoteError{Class: "builtins.KeyError"}).
func (e *RemoteError) Is(target error) bool {
	t, ok := target.(*RemoteError)
	return ok && t.Class == e.Class && t.Args == nil
}

// Unwrap makes Pyro's own errors match this package's sentinels: a remote
// Pyro4.errors.NamingError (or Pyro5.errors.NamingError) is also an ErrNaming.
func (e *RemoteError) Unwrap() error {
	switch e.ShortClass() {
	case "NamingError":
		if strings.HasPrefix(e.Class, "Pyro") {
			return ErrNaming
		}
	}
	return nil
}

// Error is an error a Go method returns to have a specific Python exception raised in the
// caller: NewError("builtins.ValueError", "bad pair %q", pair). A plain Go error travels as
// builtins.Exception; a Python client can only rebuild builtins.* and Pyro's own error classes,
// so prefer those. Pyro4.errors.X and Pyro5.errors.X are the same class to a daemon: each
// client gets it in its own protocol's namespace.
type Error struct {
	// Class is the qualified Python exception class.
	Class string
	// Msg is the message (the exception's only argument).
	Msg string
	// Err is an optional cause, kept for errors.Is/As on the Go side only.
	Err error
}

// NewError returns an *Error of the given Python class with a formatted message. A %w verb
// in format wraps its argument as the cause.
func NewError(class, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	return &Error{Class: class, Msg: err.Error(), Err: errors.Unwrap(err)}
}

// Error renders the error as "class: message".
func (e *Error) Error() string { return e.Class + ": " + e.Msg }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Python exception classes used by the daemon itself.
const (
	classException      = "builtins.Exception"
	classAttributeError = "builtins.AttributeError"
	classTypeError      = "builtins.TypeError"
	classStopIteration  = "builtins.StopIteration"
	classTimeoutError   = "builtins.TimeoutError"
	classDaemonError    = "Pyro4.errors.DaemonError"
	classProtocolError  = "Pyro4.errors.ProtocolError"
	classPyroError      = "Pyro4.errors.PyroError"
	classSerializeError = "Pyro4.errors.SerializeError"
	classSecurityError  = "Pyro4.errors.SecurityError"
)

// exceptionDict turns an error into Pyro4's exception class-dict, with traceback as its
// _pyroTraceback (when nil: a *RemoteError's own, else one naming no place). A *RemoteError
// passes through unchanged (a Go daemon relaying a Python exception keeps its class).
func exceptionDict(err error, traceback []string) *pyval.Dict {
	var re *RemoteError
	if traceback == nil && errors.As(err, &re) {
		traceback = re.Traceback
	}
	if traceback == nil {
		traceback = methodTraceback("", err, false)
	}
	return exceptionValue(err, traceback)
}

// exceptionValue is err's exception class-dict with the given traceback (none: nil), as
// Pyro4's serializers write an exception object.
func exceptionValue(err error, traceback []string) *pyval.Dict {
	var (
		class string
		args  []any
		attrs = pyval.NewDict(1)
	)
	var re *RemoteError
	var pe *Error
	switch {
	case errors.As(err, &re):
		class, args = re.Class, re.Args
		for _, it := range re.Attributes.Items() {
			attrs.Set(it.Key, it.Value)
		}
	case errors.As(err, &pe):
		class, args = pe.Class, []any{pe.Msg}
	default:
		class, args = classException, []any{err.Error()}
	}
	if args == nil {
		args = []any{}
	}
	if traceback != nil {
		tb := make([]any, len(traceback))
		for i, l := range traceback {
			tb[i] = l
		}
		attrs.Set("_pyroTraceback", tb)
	}
	return pyval.DictOf("__class__", class, "__exception__", true, "args", pyval.Tuple(args), "attributes", attrs)
}

// remoteErrorFrom rebuilds a RemoteError from an exception class-dict (or anything else a
// peer sent as an exception body).
func remoteErrorFrom(v any) *RemoteError {
	d, ok := v.(*pyval.Dict)
	if !ok {
		return &RemoteError{Class: classPyroError, Args: []any{"remote exception of unexpected form: " + pyval.Repr(v)}}
	}
	class, _ := pyval.ClassOf(d)
	re := &RemoteError{Class: class}
	if a, ok := d.GetString("args"); ok {
		if items, ok := pyval.Items(a); ok {
			re.Args = items
		} else {
			re.Args = []any{a}
		}
	}
	if attrs, ok := d.GetString("attributes"); ok {
		if ad, ok := attrs.(*pyval.Dict); ok {
			rest := pyval.NewDict(ad.Len())
			for _, it := range ad.Items() {
				if it.Key == "_pyroTraceback" {
					re.Traceback = tracebackLines(it.Value)
					continue
				}
				rest.Set(it.Key, it.Value)
			}
			if rest.Len() > 0 {
				re.Attributes = rest
			}
		}
	}
	return re
}

func tracebackLines(v any) []string {
	if s, ok := v.(string); ok {
		return []string{s}
	}
	lines, _ := pyval.Items(v)
	return stringsOf(lines)
}

func stringsOf(vs []any) []string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
