package gateway

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"regexp"
	"strings"
)

// Gateway is the HTTP handler: Pyro's gateway API under /pyro/, the console at / (and
// /pyro/), the console's name listing at /api/names. It is safe for concurrent use; Close
// releases its proxies.
type Gateway struct {
	cfg      Config
	expose   *regexp.Regexp
	targets  *targets
	inFlight chan struct{}
	console  http.Handler
}

// New returns a gateway for cfg. It does no I/O: the name server is located on the first
// request that needs it (and again after it went away).
func New(cfg Config) (*Gateway, error) {
	cfg = cfg.withDefaults()
	re, err := regexp.Compile(`^(?:` + cfg.Expose + `)`)
	if err != nil {
		return nil, fmt.Errorf("gateway: expose pattern %q: %w", cfg.Expose, err)
	}
	return &Gateway{
		cfg:      cfg,
		expose:   re,
		targets:  newTargets(cfg),
		inFlight: make(chan struct{}, cfg.MaxInFlight),
		console:  consoleHandler(),
	}, nil
}

// Close closes the gateway's proxies and its name server client. Requests still being
// served fail; the HTTP server should be shut down first.
func (g *Gateway) Close() error {
	g.targets.close()
	return nil
}

// Exposed reports whether the gateway lets requests reach name.
func (g *Gateway) Exposed(name string) bool { return g.expose.MatchString(name) }

// ServeHTTP routes a request.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.corsHeaders(w)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	path := r.URL.Path
	switch {
	case path == "/" || path == "/pyro/":
		g.console.ServeHTTP(w, r)
	case strings.HasPrefix(path, "/static/"):
		g.console.ServeHTTP(w, r)
	case path == "/api/names":
		g.limited(w, r, g.serveNames)
	case strings.HasPrefix(path, "/pyro/"):
		switch r.Method {
		case http.MethodGet, http.MethodPost:
			g.limited(w, r, func(w http.ResponseWriter, r *http.Request) { g.serveCall(w, r, path[len("/pyro/"):]) })
		case http.MethodOptions:
			plain(w, http.StatusOK, "200 OK")
		default:
			plain(w, http.StatusMethodNotAllowed, "Error 405: Method Not Allowed")
		}
	default:
		notFound(w)
	}
}

// limited serves an API request within the bound on requests in flight.
func (g *Gateway) limited(w http.ResponseWriter, r *http.Request, serve http.HandlerFunc) {
	select {
	case g.inFlight <- struct{}{}:
		defer func() { <-g.inFlight }()
		serve(w, r)
	default:
		w.Header().Set("Retry-After", "1")
		plain(w, http.StatusServiceUnavailable, "503 Service Unavailable - too many calls in flight, retry later")
	}
}

func (g *Gateway) corsHeaders(w http.ResponseWriter) {
	if g.cfg.CORS == "" {
		return
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", g.cfg.CORS)
	h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Content-Type, X-Pyro-Options, X-Pyro-Correlation-Id, X-Pyro-Gateway-Key")
	h.Set("Access-Control-Expose-Headers", "X-Pyro-Correlation-Id")
}

// keyOK checks the gateway key: the X-Pyro-Gateway-Key header, else the $key parameter.
func (g *Gateway) keyOK(r *http.Request, p *params) bool {
	if g.cfg.GatewayKey == "" {
		return true
	}
	given := r.Header.Get("X-Pyro-Gateway-Key")
	if given == "" {
		if v, ok := p.get("$key"); ok {
			given, _ = v.(string)
		}
	}
	return subtle.ConstantTimeCompare([]byte(given), []byte(g.cfg.GatewayKey)) == 1
}

func plain(w http.ResponseWriter, status int, text string) {
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(status)
	w.Write([]byte(text))
}

func notFound(w http.ResponseWriter) { plain(w, http.StatusNotFound, "Error 404: Not Found") }

func forbiddenKey(w http.ResponseWriter) {
	plain(w, http.StatusForbidden, "403 Forbidden - incorrect gateway api key")
}

func forbiddenName(w http.ResponseWriter) {
	plain(w, http.StatusForbidden, "403 Forbidden - access to the requested object has been denied")
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(body)
}
