package pyro_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/pyrotest"
)

type namingFailer struct{}

func (namingFailer) Lookup(name string) error {
	return pyro.NewError("Pyro4.errors.NamingError", "unknown name: %s", name)
}

// A Pyro error sent over Pyro5 is Pyro5's class, and so is the last line of its traceback:
// a Python client prints "Remote traceback" ending in the class it raised.
func TestPyro5TracebackNamesPyro5Class(t *testing.T) {
	uri := pyrotest.Serve(t, namingFailer{})
	for _, tc := range []struct {
		proto pyro.WireProtocol
		class string
	}{{pyro.Pyro4, "Pyro4.errors.NamingError"}, {pyro.Pyro5, "Pyro5.errors.NamingError"}} {
		p := pyrotest.NewProxy(t, uri, pyro.WithProtocol(tc.proto))
		err := p.Call(context.Background(), "Lookup", nil, "nope")
		var re *pyro.RemoteError
		if !errors.As(err, &re) {
			t.Fatalf("%v: got %v, want a *RemoteError", tc.proto, err)
		}
		if re.Class != tc.class {
			t.Errorf("%v: class %q, want %q", tc.proto, re.Class, tc.class)
		}
		want := tc.class + ": unknown name: nope\n"
		if tb := strings.Join(re.Traceback, ""); !strings.HasSuffix(tb, want) {
			t.Errorf("%v: traceback %q does not end in %q", tc.proto, tb, want)
		}
	}
}
