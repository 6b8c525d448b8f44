package pyro

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gopyro/pyro/serializer"
)

// DaemonConfigFromEnv returns a DaemonConfig from the PYRO_* environment variables Pyro4
// reads: PYRO_HOST, PYRO_NATHOST, PYRO_NATPORT, PYRO_SERIALIZERS_ACCEPTED,
// PYRO_MAX_MESSAGE_SIZE, PYRO_COMPRESSION, PYRO_COMMTIMEOUT, PYRO_HMAC_KEY,
// PYRO_ITER_STREAM_LINGER, PYRO_ITER_STREAM_LIFETIME and PYRO_DETAILED_TRACEBACK, our own
// PYRO_MEMORY_BUDGET (bytes, or with a K, M or G suffix: Limits.MemoryBudget),
// PYRO_THREADPOOL_SIZE (Limits.MaxConnections, as it bounds Pyro's thread-pool server), and, when
// PYRO_SSL is true, the TLS settings: PYRO_SSL_SERVERCERT (required), PYRO_SSL_SERVERKEY,
// PYRO_SSL_SERVERKEYPASSWD, PYRO_SSL_CACERTS and PYRO_SSL_REQUIRECLIENTCERT make TLSConfig
// (TLSFiles.ServerConfig), the client ones ClientTLSConfig (see ProxyConfigFromEnv). Unset
// variables leave their field zero (the default). A malformed value is an error naming the
// variable.
//
// Nothing in this package reads the environment unless asked: programs (and the pyro
// command) call this when they want Pyro's environment configuration.
func DaemonConfigFromEnv() (DaemonConfig, error) {
	var c DaemonConfig
	e := envReader{}
	e.str("HOST", &c.Host)
	e.str("NATHOST", &c.NATHost)
	e.integer("NATPORT", &c.NATPort)
	if v, ok := os.LookupEnv("PYRO_SERIALIZERS_ACCEPTED"); ok && v != "" {
		for _, name := range strings.Split(v, ",") {
			name = strings.TrimSpace(name)
			if _, err := serializer.ByName(name); err != nil {
				e.errs = append(e.errs, fmt.Sprintf("PYRO_SERIALIZERS_ACCEPTED=%q: %v", v, err))
				continue
			}
			c.SerializersAccepted = append(c.SerializersAccepted, name)
		}
	}
	e.transport(&c.Transport)
	e.seconds("ITER_STREAM_LINGER", &c.StreamLinger)
	if v, ok := os.LookupEnv("PYRO_ITER_STREAM_LINGER"); ok && c.StreamLinger == 0 && v != "" {
		c.StreamLinger = -1 // Pyro4's 0 means "do not keep"; our zero means the default
	}
	e.seconds("ITER_STREAM_LIFETIME", &c.StreamLifetime)
	e.boolean("DETAILED_TRACEBACK", &c.DetailedTraceback)
	e.tlsServer(&c)
	e.limits(&c.Limits)
	return c, e.err()
}

// ProxyConfigFromEnv returns a ProxyConfig from the PYRO_* environment variables Pyro4 reads:
// PYRO_SERIALIZER, PYRO_NS_HOST, PYRO_NS_PORT, PYRO_NS_BCPORT, PYRO_MAX_MESSAGE_SIZE,
// PYRO_COMPRESSION, PYRO_COMMTIMEOUT and PYRO_HMAC_KEY, and, when PYRO_SSL is true,
// PYRO_SSL_CLIENTCERT, PYRO_SSL_CLIENTKEY, PYRO_SSL_CLIENTKEYPASSWD and PYRO_SSL_CACERTS,
// which make TLSConfig (TLSFiles.ClientConfig). Unset variables leave their field
// zero (the default). A malformed value is an error naming the variable.
func ProxyConfigFromEnv() (ProxyConfig, error) {
	var c ProxyConfig
	e := envReader{}
	e.str("SERIALIZER", &c.Serializer)
	e.str("NS_HOST", &c.NSHost)
	e.integer("NS_PORT", &c.NSPort)
	e.integer("NS_BCPORT", &c.NSBCPort)
	e.transport(&c.Transport)
	e.tlsClient(&c.TLSConfig)
	return c, e.err()
}

// envReader reads PYRO_* variables, collecting every malformed one.
type envReader struct{ errs []string }

func (e *envReader) err() error {
	if len(e.errs) == 0 {
		return nil
	}
	return fmt.Errorf("pyro: bad environment: %s", strings.Join(e.errs, "; "))
}

func (e *envReader) str(name string, dst *string) {
	if v, ok := os.LookupEnv("PYRO_" + name); ok {
		*dst = v
	}
}

func (e *envReader) integer(name string, dst *int) {
	if v, ok := os.LookupEnv("PYRO_" + name); ok && v != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			e.errs = append(e.errs, fmt.Sprintf("PYRO_%s=%q: not an integer", name, v))
			return
		}
		*dst = n
	}
}

func (e *envReader) seconds(name string, dst *time.Duration) {
	if v, ok := os.LookupEnv("PYRO_" + name); ok && v != "" {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || f < 0 {
			e.errs = append(e.errs, fmt.Sprintf("PYRO_%s=%q: not a number of seconds", name, v))
			return
		}
		*dst = time.Duration(f * float64(time.Second))
	}
}

func (e *envReader) transport(t *Transport) {
	e.integer("MAX_MESSAGE_SIZE", &t.MaxMessageSize)
	if v, ok := os.LookupEnv("PYRO_COMPRESSION"); ok && v != "" {
		b, err := parsePythonBool(v)
		if err != nil {
			e.errs = append(e.errs, "PYRO_COMPRESSION: "+err.Error())
		}
		t.Compression = b
	}
	e.seconds("COMMTIMEOUT", &t.CommTimeout)
	if v, ok := os.LookupEnv("PYRO_HMAC_KEY"); ok && v != "" {
		t.HMACKey = []byte(v)
	}
}

// boolean reads a Python-style boolean (true/false, yes/no, on/off, 1/0).
func (e *envReader) boolean(name string, dst *bool) {
	if v, ok := os.LookupEnv("PYRO_" + name); ok && v != "" {
		b, err := parsePythonBool(v)
		if err != nil {
			e.errs = append(e.errs, "PYRO_"+name+": "+err.Error())
		}
		*dst = b
	}
}

// parsePythonBool reads a boolean the way Pyro4's configuration does.
func parsePythonBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "yes", "on", "true":
		return true, nil
	case "0", "no", "off", "false":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean (use true/false, yes/no, on/off, 1/0)", s)
}
