package gateway

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/gopyro/pyro"
)

// failure answers a request that failed before or around the call: an unknown name is 404,
// anything else 500 with the error as Pyro5's class-dict, as Pyro5's gateway answers. A name
// server's traceback is left out (it is the name server's internals, not the caller's).
func (g *Gateway) failure(w http.ResponseWriter, r *http.Request, name, method string, err error) {
	if r.Context().Err() != nil {
		g.cfg.Logger.Debug("gateway: client went away", "name", name, "method", method, "err", err)
		return // nobody to answer
	}
	var re *pyro.RemoteError
	if errors.As(err, &re) && errors.Is(err, pyro.ErrNaming) {
		writeJSON(w, http.StatusNotFound, dumpsJSON(exceptionDict(re.Class, re.Args, nil)))
		return
	}
	g.cfg.Logger.Warn("gateway: call failed", "name", name, "method", method, "err", err)
	class, msg := classify(err)
	if g.cfg.DetailedErrors {
		msg = err.Error()
	}
	writeJSON(w, http.StatusInternalServerError, dumpsJSON(exceptionDict(class, []any{msg}, nil)))
}

// classify names a gateway-side error with Pyro5's class and a message free of internals.
func classify(err error) (class, msg string) {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "Pyro5.errors.TimeoutError", "receiving: timeout"
	case errors.Is(err, pyro.ErrNaming):
		return "Pyro5.errors.NamingError", "failed to locate the nameserver"
	case errors.Is(err, pyro.ErrConnectFailed):
		return "Pyro5.errors.CommunicationError", "the daemon refused the connection"
	case errors.Is(err, pyro.ErrCommunication):
		return "Pyro5.errors.CommunicationError", "cannot connect to the object's daemon"
	case strings.Contains(err.Error(), "returned an item stream"): // pyro.Proxy.Call's refusal
		return "Pyro5.errors.PyroError", "the method returns an item stream (a generator), which the gateway does not relay"
	case errors.Is(err, errUnserializable):
		return "Pyro5.errors.SerializeError", "the result cannot be written as JSON"
	}
	return "Pyro5.errors.PyroError", "the call failed"
}
