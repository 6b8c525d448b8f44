package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/pyval"
)

// serveCall serves /pyro/<name>/<method>, in the order of Pyro5's gateway: arguments, the
// gateway key, the expose pattern, then the name server and the object.
func (g *Gateway) serveCall(w http.ResponseWriter, r *http.Request, path string) {
	var p params
	parseQuery(r.URL.RawQuery, &p)
	if status, msg := g.readBody(w, r, &p); status != 0 {
		plain(w, status, msg)
		return
	}
	name, method, ok := splitPath(path)
	if !ok {
		notFound(w)
		return
	}
	if !g.keyOK(r, &p) {
		forbiddenKey(w)
		return
	}
	if g.cfg.GatewayKey != "" {
		p.remove("$key") // without a key, Pyro5 passes $key on as an argument
	}
	if !g.Exposed(name) {
		forbiddenName(w)
		return
	}
	corr, corrID, err := correlation(r.Header.Get("X-Pyro-Correlation-Id"))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, dumpsJSON(exceptionDict("builtins.ValueError", []any{err.Error()}, nil)))
		return
	}
	ctx := pyro.WithCorrelationID(r.Context(), corrID) // the daemon sees it, as Pyro5's gateway sends it
	if g.cfg.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, g.cfg.Timeout)
		defer cancel()
	}
	tg, err := g.targets.get(ctx, name)
	if err != nil {
		g.failure(w, r, name, method, err)
		return
	}
	oneway := slices.Contains(strings.Split(r.Header.Get("X-Pyro-Options"), ","), "oneway")
	status, body, err := g.invoke(ctx, tg, method, &p, oneway)
	if err != nil {
		g.targets.failed(name, tg, err)
		g.failure(w, r, name, method, err)
		return
	}
	if status == http.StatusOK {
		w.Header().Set("X-Pyro-Correlation-Id", corr)
	}
	writeJSON(w, status, body)
}

// readBody adds a POST body's arguments; a non-zero status refuses the request.
func (g *Gateway) readBody(w http.ResponseWriter, r *http.Request, p *params) (int, string) {
	if r.Method != http.MethodPost || r.Body == nil {
		return 0, ""
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, g.cfg.MaxBodyBytes))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return http.StatusRequestEntityTooLarge, fmt.Sprintf("413 Request Entity Too Large - the body is limited to %d bytes", tooBig.Limit)
	case err != nil:
		return http.StatusBadRequest, "400 Bad Request - cannot read the body"
	}
	if err := parseBody(r.Header.Get("Content-Type"), body, p); err != nil {
		return http.StatusBadRequest, "400 Bad Request - " + err.Error()
	}
	return 0, ""
}

// splitPath splits "name/method" at the last slash, as Pyro's (.+)/(.+) does.
func splitPath(path string) (name, method string, ok bool) {
	i := strings.LastIndexByte(path, '/')
	if i <= 0 || i == len(path)-1 || strings.ContainsRune(path, '\n') {
		return "", "", false
	}
	return path[:i], path[i+1:], true
}

// invoke does what the request asks of the object and returns the answer's status and JSON.
func (g *Gateway) invoke(ctx context.Context, tg *target, method string, p *params, oneway bool) (int, []byte, error) {
	methods, onewayMethods, attrs, err := tg.proxy.Metadata(ctx)
	if err != nil {
		return 0, nil, err
	}
	if method == "$meta" {
		return http.StatusOK, metaJSON(methods, attrs, onewayMethods), nil
	}
	var out pyval.Raw
	switch {
	case slices.Contains(attrs, method):
		if !p.empty() {
			return http.StatusInternalServerError, dumpsJSON(exceptionDict("builtins.AssertionError",
				[]any{"attribute lookup can't have query parameters"}, nil)), nil
		}
		err = tg.proxy.GetAttr(ctx, method, &out)
	case !slices.Contains(methods, method):
		return http.StatusInternalServerError, dumpsJSON(exceptionDict("builtins.AttributeError",
			[]any{fmt.Sprintf("remote object '%s' has no exposed attribute or method '%s'", tg.uri, method)}, nil)), nil
	case oneway || slices.Contains(onewayMethods, method):
		if err = tg.proxy.Oneway(ctx, method, p.callArgs()...); err == nil {
			return http.StatusOK, nil, nil
		}
	default:
		err = tg.proxy.Call(ctx, method, &out, p.callArgs()...)
	}
	if err != nil {
		var re *pyro.RemoteError
		if errors.As(err, &re) {
			body, jerr := resultJSON(remoteExceptionDict(re))
			if jerr != nil {
				return 0, nil, jerr
			}
			return http.StatusInternalServerError, body, nil
		}
		return 0, nil, err
	}
	if oneway {
		return http.StatusOK, nil, nil
	}
	body, err := resultJSON(out)
	if err != nil {
		return 0, nil, fmt.Errorf("%w: result: %w", errUnserializable, err)
	}
	return http.StatusOK, body, nil
}

// errUnserializable is a result that JSON cannot carry.
var errUnserializable = errors.New("unserializable result")

// callArgs are the arguments for Proxy.Call: the positional ones, then the keyword ones.
func (p *params) callArgs() []any {
	args := slices.Clone(p.args)
	if len(p.kwargs) > 0 {
		kw := make(pyro.Kwargs, len(p.kwargs))
		for _, a := range p.kwargs {
			kw[a.name] = a.value
		}
		args = append(args, kw)
	}
	return args
}

// metaJSON is $meta's answer: Pyro5's methods and attributes (sorted: Python gives set order),
// and the oneway methods, which Pyro's gateways leave out.
func metaJSON(methods, attrs, oneway []string) []byte {
	list := func(names []string) []any {
		s := slices.Sorted(slices.Values(names))
		out := make([]any, len(s))
		for i, n := range s {
			out[i] = n
		}
		return out
	}
	return dumpsJSON(pyval.DictOf("methods", list(methods), "attributes", list(attrs), "oneway", list(oneway)))
}
