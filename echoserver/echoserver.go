// Package echoserver is the Go counterpart of Pyro4's test echo server (pyro4-test-echoserver)
// and of Pyro5's (Pyro5.utils.echoserver): the same object id, methods, attribute and
// behaviour, for trying clients out and for interoperability tests. The two Python servers
// differ only in the text of error()'s exception; ours answers each client with its
// protocol's.
package echoserver

import (
	"context"
	"fmt"
	"io"
	"iter"
	"math"
	"sync"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/pyval"
)

// ObjectID is the id the echo server is registered under.
const ObjectID = "test.echoserver"

// Server is the echo object. Its zero value is not ready; use New.
type Server struct {
	// SlowDelay is how long Slow and OnewaySlow take (5 s, as in Pyro4).
	SlowDelay time.Duration
	// Log receives the verbose output.
	Log io.Writer

	mu       sync.Mutex
	verbose  bool
	shutdown chan struct{}
	once     sync.Once
}

// New returns an echo server writing verbose output to log.
func New(log io.Writer) *Server {
	return &Server{SlowDelay: 5 * time.Second, Log: log, shutdown: make(chan struct{})}
}

// Register serves s on d under ObjectID with the Python servers' names and oneway methods.
func (s *Server) Register(d *pyro.Daemon) (pyro.URI, error) {
	return d.Register(s, pyro.WithID(ObjectID), pyro.WithClassName("EchoServer"),
		pyro.WithName("Dunder", "__dunder__"), pyro.WithOneway("oneway_echo", "oneway_slow"),
		pyro.WithParams("Echo", "message"), pyro.WithParams("OnewayEcho", "message"),
		pyro.WithHidden("Done", "Register"))
}

// Done is closed when a client has called shutdown.
func (s *Server) Done() <-chan struct{} { return s.shutdown }

func (s *Server) logf(format string, args ...any) {
	s.mu.Lock()
	v := s.verbose
	s.mu.Unlock()
	if v && s.Log != nil {
		fmt.Fprintf(s.Log, "%s - "+format+"\n", append([]any{time.Now().Format(time.ANSIC)}, args...)...)
	}
}

// Echo returns the message unchanged (tuples stay tuples, sets stay sets).
func (s *Server) Echo(message pyval.Raw) pyval.Raw {
	s.logf("echo: %s", pyval.Repr(message))
	return message
}

// Error raises a ValueError, with the text of the echo server of the caller's protocol
// (Pyro4's and Pyro5's differ).
func (s *Server) Error(ctx context.Context) error {
	s.logf("error: generating exception")
	if ci, ok := pyro.ConnInfoFrom(ctx); ok && ci.Protocol == pyro.Pyro5 {
		return pyro.NewError("builtins.ValueError", "this is the generated error from echoserver echo() method")
	}
	return pyro.NewError("builtins.ValueError", "expected error from echoserver error() method")
}

// ErrorWithText raises a ValueError with a message.
func (s *Server) ErrorWithText() error {
	s.logf("error: generating exception")
	return pyro.NewError("builtins.ValueError", "the message of the error")
}

// OnewayEcho is a oneway echo: the client does not wait and never sees the result.
func (s *Server) OnewayEcho(message pyval.Raw) string {
	s.logf("oneway_echo: %s", pyval.Repr(message))
	return "bogus return value"
}

// Slow answers after SlowDelay.
func (s *Server) Slow() string {
	s.logf("slow: waiting a bit...")
	time.Sleep(s.SlowDelay)
	s.logf("slow: returning result")
	return "Finally, an answer!"
}

// Generator yields "one", "two", "three" as an item stream.
func (s *Server) Generator() iter.Seq[string] {
	return func(yield func(string) bool) {
		for _, item := range []string{"one", "two", "three"} {
			if !yield(item) {
				return
			}
		}
	}
}

// Nan returns float nan.
func (s *Server) Nan() float64 { return math.NaN() }

// Inf returns float inf.
func (s *Server) Inf() float64 { return math.Inf(1) }

// OnewaySlow is oneway and takes SlowDelay.
func (s *Server) OnewaySlow() string {
	s.logf("oneway_slow: waiting a bit...")
	time.Sleep(s.SlowDelay)
	s.logf("oneway_slow: returning result")
	return "bogus return value"
}

// Dunder is exposed as __dunder__, a name Pyro4 lets through its private-name rule.
func (s *Server) Dunder() string { return "should be allowed (dunder)" }

// Shutdown asks the server process to stop.
func (s *Server) Shutdown() {
	s.logf("shutting down")
	s.once.Do(func() { close(s.shutdown) })
}

// Verbose is the remote attribute "verbose": print each call when true.
func (s *Server) Verbose() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.verbose
}

// SetVerbose sets the "verbose" attribute.
func (s *Server) SetVerbose(on bool) {
	s.mu.Lock()
	s.verbose = on
	s.mu.Unlock()
}
