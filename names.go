package pyro

import (
	"strings"
	"unicode"
)

// A naming policy turns a Go method name into the name Python peers see and the metadata
// lists. SnakeCase is the default; pass another with WithNaming. Any func(string) string
// will do, such as one returning its argument to publish the Go names themselves.

// SnakeCase converts a Go identifier to Python's usual naming, the default policy:
// GetRate → get_rate, HTTPServer → http_server, EchoV2 → echo_v2.
func SnakeCase(s string) string {
	var b strings.Builder
	runes := []rune(s)
	for i, r := range runes {
		if unicode.IsUpper(r) {
			if i > 0 {
				prev := runes[i-1]
				nextLower := i+1 < len(runes) && unicode.IsLower(runes[i+1])
				if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
					b.WriteByte('_')
				}
			}
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// CamelCase converts a Go identifier to Python camelCase, the naming of Pyro4 servers written
// in Java style: Hello → hello, GetRate → getRate, HTTPServer → httpServer, ID → id,
// GetID → getID. Only the leading capitals change.
func CamelCase(s string) string {
	runes := []rune(s)
	n := 0 // the leading run of capitals
	for n < len(runes) && unicode.IsUpper(runes[n]) {
		n++
	}
	if n > 1 && n < len(runes) && unicode.IsLower(runes[n]) {
		n-- // HTTPServer: the S starts the next word
	}
	for i := range n {
		runes[i] = unicode.ToLower(runes[i])
	}
	return string(runes)
}

// WithNaming sets the policy that names the exposed methods and attributes (SnakeCase by
// default), so a server keeps Python's names without a WithName per method:
// WithNaming(pyro.CamelCase) exposes GetRate as getRate. Every method stays callable under
// its Go name too; WithName still overrides single methods.
func WithNaming(policy func(goName string) string) RegisterOption {
	return func(o *registerOptions) { o.naming = policy }
}
