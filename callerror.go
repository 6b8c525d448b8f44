package pyro

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// CallError is a proxy call that failed on the way: it could not be sent, no reply came (a
// deadline, a lost connection), the reply could not be read, or the method is not exposed.
// It names the call and the object's URI, so a log line says which call of many failed; Err
// is the cause, so errors.Is(err, ErrCommunication), errors.Is(err,
// context.DeadlineExceeded) and the like still hold.
//
// An exception raised by the remote method is the *RemoteError itself, unwrapped, except a
// wrong argument count: Python counts self, so a CallError restates it as a Go programmer
// counts (Msg) around the *RemoteError with Pyro4's text.
type CallError struct {
	// Op is "call", "get attribute" or "set attribute".
	Op string
	// Method is the method or attribute name sent (or "<batch>").
	Method string
	// URI is the object's PYRO URI once resolved, else the URI the proxy was made with.
	URI URI
	// Msg, when set, says what went wrong instead of Err's own text.
	Msg string
	// Err is the cause.
	Err error
}

// Error reads "pyro: call get_rate on PYRO:obj@host:port: communication error: ...".
func (e *CallError) Error() string {
	msg := e.Msg
	if msg == "" {
		msg = strings.TrimPrefix(e.Err.Error(), "pyro: ")
	}
	return "pyro: " + e.Op + " " + e.Method + " on " + e.URI.String() + ": " + msg
}

// Unwrap returns the cause.
func (e *CallError) Unwrap() error { return e.Err }

// callError names the call in err. The remote method's own exceptions pass unchanged, but
// for an argument count; an error named already is kept as it is.
func (p *Proxy) callError(op, method string, nargs int, err error) error {
	if err == nil {
		return nil
	}
	var ce *CallError
	if errors.As(err, &ce) {
		return err
	}
	e := &CallError{Op: op, Method: method, URI: p.callURI(), Err: err}
	var re *RemoteError
	if errors.As(err, &re) {
		if e.Msg = goCountMessage(method, nargs, re); e.Msg == "" {
			return err
		}
	}
	return e
}

// callURI is the URI calls go to: the resolved one once known.
func (p *Proxy) callURI() URI {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.resolved.Protocol != "" {
		return p.resolved
	}
	return p.uri
}

// pyCountRE matches Python's TypeError for a wrong positional argument count, which counts
// self: "Worker.get_rate() takes 2 positional arguments but 3 were given".
var pyCountRE = regexp.MustCompile(`^(?:[\w.<>]+\.)?\w+\(\) takes (at least |from (\d+) to )?(\d+) positional arguments? but (\d+) (?:was|were) given$`)

// goCountMessage restates Python's argument count TypeError without self, or returns "" when
// err is something else. It only does so when the count Python gives is the count sent plus
// one, which proves self was counted (a Python function that is not a method has no self).
func goCountMessage(method string, sent int, re *RemoteError) string {
	if re.Class != classTypeError {
		return ""
	}
	m := pyCountRE.FindStringSubmatch(re.Message())
	if m == nil {
		return ""
	}
	want, _ := strconv.Atoi(m[3])
	given, _ := strconv.Atoi(m[4])
	if given != sent+1 || want < 1 {
		return ""
	}
	takes := strconv.Itoa(want - 1)
	switch {
	case m[1] == "at least ":
		takes = "at least " + takes
	case m[2] != "":
		from, _ := strconv.Atoi(m[2])
		takes = fmt.Sprintf("from %d to %s", max(from-1, 0), takes)
	}
	return fmt.Sprintf("wrong number of arguments: %s takes %s, got %d (remote %s)", method, takes, sent, re)
}
