package pyro

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config holds the settings of a Daemon or Proxy. The zero value is not ready: start from
// DefaultConfig (Pyro4's defaults) or ConfigFromEnv (those defaults overridden by the same
// PYRO_* environment variables Pyro4 reads).
type Config struct {
	// Host is the daemon's bind host and the host in its URIs ("localhost" by default).
	Host string
	// Port is the daemon's TCP port; 0 picks a free one.
	Port int
	// UnixSocket, when set, makes the daemon listen on this unix socket path instead of TCP.
	UnixSocket string
	// NATHost and NATPort, when set, replace host and port in the URIs the daemon hands out.
	NATHost string
	NATPort int

	// Serializer is the name of the serializer a proxy uses ("serpent").
	Serializer string
	// SerializersAccepted lists the serializers a daemon accepts. Pyro4 accepts serpent,
	// marshal and json by default; this daemon also accepts msgpack.
	SerializersAccepted []string

	// MaxMessageSize bounds a message's data plus annotations (0: unlimited). An oversized
	// message closes the connection.
	MaxMessageSize int
	// Compression zlib-compresses outgoing payloads of 200 bytes or more when that helps.
	Compression bool
	// HMACKey, when set, signs and checks every message (both peers must share it).
	HMACKey []byte
	// CommTimeout bounds each network read and write (0: none). A daemon closes a
	// connection idle this long; a proxy gives up on a call this slow unless its context
	// says otherwise.
	CommTimeout time.Duration
	// HandshakeTimeout bounds how long a daemon waits for a new connection's first message
	// (30 s by default; 0: forever, as Pyro4). Pyro clients send it at once, so this only
	// ends connections that never speak.
	HandshakeTimeout time.Duration

	// StreamLinger is how long a disconnected client's item streams are kept for it to
	// resume (Pyro4's ITER_STREAM_LINGER, 30 s). StreamLifetime bounds a stream's age (0: none).
	StreamLinger   time.Duration
	StreamLifetime time.Duration

	// NSHost and NSPort locate the name server; NSBCPort is its UDP broadcast port.
	NSHost   string
	NSPort   int
	NSBCPort int

	// Handshake, on a daemon, validates a client's handshake data and returns the answer
	// ("hello" by default); an error rejects the connection with its message. On a proxy,
	// HandshakeData is what it sends.
	Handshake     func(ctx context.Context, data any) (any, error)
	HandshakeData any

	// Logger receives connection-level events; nil means slog.Default().
	Logger *slog.Logger
}

// DefaultConfig returns Pyro4 4.82's defaults.
func DefaultConfig() Config {
	return Config{
		Host:                "localhost",
		Serializer:          "serpent",
		SerializersAccepted: []string{"serpent", "marshal", "json", "msgpack"},
		StreamLinger:        30 * time.Second,
		HandshakeTimeout:    30 * time.Second,
		NSHost:              "localhost",
		NSPort:              9090,
		NSBCPort:            9091,
		HandshakeData:       "hello",
	}
}

// ConfigFromEnv returns DefaultConfig overridden by Pyro4's environment variables:
// PYRO_HOST, PYRO_NS_HOST, PYRO_NS_PORT, PYRO_NS_BCPORT, PYRO_NATHOST, PYRO_NATPORT,
// PYRO_SERIALIZER, PYRO_SERIALIZERS_ACCEPTED, PYRO_MAX_MESSAGE_SIZE, PYRO_COMPRESSION,
// PYRO_COMMTIMEOUT, PYRO_HMAC_KEY, PYRO_ITER_STREAM_LINGER, PYRO_ITER_STREAM_LIFETIME.
func ConfigFromEnv() (Config, error) {
	c := DefaultConfig()
	var errs []string
	str := func(name string, dst *string) {
		if v, ok := os.LookupEnv("PYRO_" + name); ok {
			*dst = v
		}
	}
	integer := func(name string, dst *int) {
		if v, ok := os.LookupEnv("PYRO_" + name); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				errs = append(errs, fmt.Sprintf("PYRO_%s=%q: not an integer", name, v))
				return
			}
			*dst = n
		}
	}
	seconds := func(name string, dst *time.Duration) {
		if v, ok := os.LookupEnv("PYRO_" + name); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 {
				errs = append(errs, fmt.Sprintf("PYRO_%s=%q: not a number of seconds", name, v))
				return
			}
			*dst = time.Duration(f * float64(time.Second))
		}
	}
	str("HOST", &c.Host)
	str("NS_HOST", &c.NSHost)
	integer("NS_PORT", &c.NSPort)
	integer("NS_BCPORT", &c.NSBCPort)
	str("NATHOST", &c.NATHost)
	integer("NATPORT", &c.NATPort)
	str("SERIALIZER", &c.Serializer)
	if v, ok := os.LookupEnv("PYRO_SERIALIZERS_ACCEPTED"); ok {
		c.SerializersAccepted = strings.Split(v, ",")
	}
	integer("MAX_MESSAGE_SIZE", &c.MaxMessageSize)
	if v, ok := os.LookupEnv("PYRO_COMPRESSION"); ok {
		b, err := parsePythonBool(v)
		if err != nil {
			errs = append(errs, "PYRO_COMPRESSION: "+err.Error())
		}
		c.Compression = b
	}
	seconds("COMMTIMEOUT", &c.CommTimeout)
	seconds("ITER_STREAM_LINGER", &c.StreamLinger)
	seconds("ITER_STREAM_LIFETIME", &c.StreamLifetime)
	if v, ok := os.LookupEnv("PYRO_HMAC_KEY"); ok && v != "" {
		c.HMACKey = []byte(v)
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("pyro: bad environment: %s", strings.Join(errs, "; "))
	}
	return c, nil
}

// parsePythonBool reads a boolean the way Pyro4's configuration does.
func parsePythonBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "1", "yes", "on", "true":
		return true, nil
	case "0", "no", "off", "false":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean (use true/false, yes/no, on/off, 1/0)", s)
}

func (c *Config) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.Default()
}
