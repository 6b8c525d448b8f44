package gateway

import (
	"log/slog"
	"time"

	"github.com/gopyro/pyro"
)

// Defaults for the zero fields of Config.
const (
	// DefaultExpose is Pyro's default expose pattern: names starting with "http.".
	DefaultExpose = `http\.`
	// ExposeAll is an Expose pattern that matches every name.
	ExposeAll = `.*`
	// DefaultMaxBodyBytes bounds a request body.
	DefaultMaxBodyBytes = 1 << 20
	// DefaultMaxInFlight bounds the calls served at once; more are refused with 503.
	DefaultMaxInFlight = 256
	// DefaultLookupTTL is how long a name's URI (and its proxy) is reused before the name
	// server is asked again.
	DefaultLookupTTL = 5 * time.Second
	// DefaultMaxTargets bounds the pool of proxies kept, one per name.
	DefaultMaxTargets = 1024
)

// Config configures a Gateway. A zero field means the default its comment gives.
type Config struct {
	// Expose is a regular expression (Go's syntax, matched at the start of the name as
	// Python's re.match does) selecting the names that can be reached (DefaultExpose;
	// ExposeAll for every name).
	Expose string
	// GatewayKey, when set, must be given by every API request in the X-Pyro-Gateway-Key
	// header or the $key parameter (Pyro's gateway key).
	GatewayKey string
	// CORS, when set, is the Access-Control-Allow-Origin of every answer ("*" for any).
	CORS string
	// Timeout bounds each call, name server lookups included (Pyro's COMMTIMEOUT); zero
	// means no bound other than the HTTP client's.
	Timeout time.Duration
	// MaxBodyBytes bounds a request body (DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// MaxInFlight bounds the API requests served at once (DefaultMaxInFlight).
	MaxInFlight int
	// LookupTTL is how long a looked-up URI is reused (DefaultLookupTTL; negative: ask the
	// name server on every request, as Pyro's gateways do).
	LookupTTL time.Duration
	// MaxTargets bounds the proxies kept, one per name (DefaultMaxTargets).
	MaxTargets int

	// NSHost and NSPort say where the name server is; with no NSHost it is located as
	// pyro.LocateNS does (Proxy.NSHost, then a broadcast).
	NSHost string
	NSPort int
	// Proxy is the base configuration of the gateway's proxies (HMAC key, name server
	// location, limits). The serializer is always json, and the protocol Pyro5 where the
	// daemon speaks it, else Pyro4.
	Proxy pyro.ProxyConfig

	// DetailedErrors lets the text of the gateway's own failures (dial errors and the like)
	// reach HTTP clients; without it they get the error class and a short message.
	DetailedErrors bool
	// Logger receives the gateway's own failures (slog.Default() when nil).
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Expose == "" {
		c.Expose = DefaultExpose
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = DefaultMaxInFlight
	}
	if c.LookupTTL == 0 {
		c.LookupTTL = DefaultLookupTTL
	}
	if c.MaxTargets <= 0 {
		c.MaxTargets = DefaultMaxTargets
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}
