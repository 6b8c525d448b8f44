package pyro

import (
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"strings"
)

// The _pyroTraceback a daemon sends with an exception is what a Python client prints after
// "Remote traceback:" (Pyro4.util.getPyroTraceback, excepthook). Pyro4 sends
// traceback.format_exception's lines, file paths and source included. By default we send
// Python's shape without the server's internals: the header, the method that raised, and the
// exception line exactly as Python writes it. DaemonConfig.DetailedTraceback adds the Go
// detail: the frames of a panic, the types of a returned error's chain.

const tracebackHeader = "Traceback (most recent call last):\n"

// exceptionLine is the last line of a Python traceback, as traceback.format_exception_only
// writes it: the class without "builtins." (other modules stay), then ": " and str(exc)
// unless that is empty.
func exceptionLine(class, str string) string {
	class = strings.TrimPrefix(class, "builtins.")
	if str == "" {
		return class + "\n"
	}
	return class + ": " + str + "\n"
}

// exceptionStr is str(exc) of the Python exception err travels as: an *Error's message, a
// *RemoteError's str, any other error's text.
func exceptionStr(err error) string {
	var re *RemoteError
	var pe *Error
	switch {
	case errors.As(err, &re):
		return re.Message()
	case errors.As(err, &pe):
		return pyStr(pe.Class, []any{pe.Msg})
	}
	return err.Error()
}

// exceptionClass is the Python class err travels as.
func exceptionClass(err error) string {
	var re *RemoteError
	var pe *Error
	switch {
	case errors.As(err, &re):
		return re.Class
	case errors.As(err, &pe):
		return pe.Class
	}
	return classException
}

// methodTraceback is the traceback of an error a method returned (where is "Class.method").
// detailed adds one line per error of err's chain, with its Go type.
func methodTraceback(where string, err error, detailed bool) []string {
	tb := []string{tracebackHeader}
	if where != "" {
		tb = append(tb, "  in Go method "+where+"\n")
	}
	if detailed {
		for e := err; e != nil; e = errors.Unwrap(e) {
			tb = append(tb, fmt.Sprintf("  Go error %T: %s\n", e, firstLine(e.Error())))
		}
	}
	return append(tb, exceptionLine(exceptionClass(err), exceptionStr(err)))
}

// panicTraceback is the traceback of a panic: where it happened by default, the Go frames
// from the method down to the panic with detailed (pcs from runtime.Callers in the deferred
// recover), in Python's "File ..., line ..., in ..." form.
func panicTraceback(where string, err error, pcs []uintptr, detailed bool) []string {
	if !detailed {
		return methodTraceback(where, err, false)
	}
	tb := []string{tracebackHeader}
	tb = append(tb, panicFrames(pcs)...)
	return append(tb, exceptionLine(exceptionClass(err), exceptionStr(err)))
}

// panicFrames formats the frames between the daemon's call of the method and the panic,
// outermost first as Python does, leaving out the runtime's and reflection's own.
func panicFrames(pcs []uintptr) []string {
	var inner []runtime.Frame // innermost first, as runtime.Callers gives them
	frames := runtime.CallersFrames(pcs)
	panicked := false // the frames before runtime.gopanic are the recovering ones
	for more := true; more; {
		var f runtime.Frame
		f, more = frames.Next()
		switch {
		case f.Function == "runtime.gopanic":
			panicked = true
		case !panicked || strings.HasPrefix(f.Function, "runtime."):
		case strings.HasPrefix(f.Function, daemonFrames):
			more = false // the daemon called the method from here
		default:
			inner = append(inner, f)
		}
	}
	for len(inner) > 0 && strings.HasPrefix(inner[len(inner)-1].Function, "reflect.") {
		inner = inner[:len(inner)-1] // reflect.Value.Call and its helpers
	}
	out := make([]string, len(inner))
	for i, f := range inner {
		out[len(inner)-1-i] = fmt.Sprintf("  File %q, line %d, in %s\n", f.File, f.Line, f.Function)
	}
	return out
}

// daemonFrames prefixes the functions of a connection's goroutine that call methods.
var daemonFrames = reflect.TypeFor[serverConn]().PkgPath() + ".(*serverConn)."

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " ..."
	}
	return s
}
