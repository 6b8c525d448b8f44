// Package gateway is an HTTP/JSON gateway to Pyro objects: Pyro4's and Pyro5's httpgateway,
// rebuilt as an http.Handler a Go program can mount, and served by `pyro gateway`.
//
// It speaks their URL scheme so their HTTP clients work unchanged:
//
//	GET|POST /pyro/<name>/<method>?param=value...   call name.method(**params), JSON result
//	GET      /pyro/<name>/<attribute>               read an attribute
//	GET      /pyro/<name>/$meta                     {"methods": [...], "attributes": [...], "oneway": [...]}
//
// A remote exception is status 500 with the exception's class-dict (class, args, attributes
// and the remote traceback) as JSON. Headers: X-Pyro-Options: oneway, X-Pyro-Correlation-Id
// (passed on to the daemon and echoed), X-Pyro-Gateway-Key (or a $key parameter) when a key is
// configured.
//
// Names are looked up in a Pyro name server (Pyro4's, Pyro5's or ours); only names matching
// Config.Expose (anchored at the start, as Python's re.match) can be called or listed, and only
// the methods and attributes the object's metadata exposes. Each target's proxy is kept in a
// pool and reused; a call's context ends when the HTTP client goes away.
//
// Beyond Pyro's gateways: a POST body of JSON (an array of positional arguments, or an object
// of keyword arguments) passes typed values, GET /api/names lists the exposed registrations
// for the web console served at "/" ("/pyro/" redirects there), and bad requests are 4xx: an
// unknown name is 404, a malformed body 400, a body over Config.MaxBodyBytes 413. Calls
// beyond Config.MaxInFlight are 503.
//
// The gateway imports the name server client (package naming), never the name server.
package gateway

// The README's screenshot of the console, taken in headless Chromium by TestConsole:
//go:generate go test -run ^TestConsole$ -count=1 -screenshot ../docs/console.png
