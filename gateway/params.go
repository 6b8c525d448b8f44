package gateway

import (
	"errors"
	"fmt"
	"mime"
	"strings"
	"unicode/utf8"

	"github.com/gopyro/pyro/pyval"
	pjson "github.com/gopyro/pyro/serializer/json"
)

// param is one keyword argument, in the order the request gave it.
type param struct {
	name  string
	value any
}

// params are a call's arguments: positional ones (from a JSON array body) and keyword ones.
type params struct {
	args   []any
	kwargs []param
}

func (p *params) set(name string, v any) {
	for i := range p.kwargs {
		if p.kwargs[i].name == name {
			p.kwargs[i].value = v
			return
		}
	}
	p.kwargs = append(p.kwargs, param{name, v})
}

func (p *params) get(name string) (any, bool) {
	for _, kw := range p.kwargs {
		if kw.name == name {
			return kw.value, true
		}
	}
	return nil, false
}

func (p *params) remove(name string) {
	for i := range p.kwargs {
		if p.kwargs[i].name == name {
			p.kwargs = append(p.kwargs[:i], p.kwargs[i+1:]...)
			return
		}
	}
}

func (p *params) empty() bool { return len(p.args) == 0 && len(p.kwargs) == 0 }

// parseQuery reads a query string as Python's parse_qs does and then Pyro's singlyfy: values
// without "=" or empty are dropped, "+" is a space, bad %-escapes stay as they are, a name
// given once has a str value and a name given more often a list of str.
func parseQuery(q string, into *params) {
	var order []string
	values := map[string][]string{}
	for field := range strings.SplitSeq(q, "&") {
		name, value, ok := strings.Cut(field, "=")
		if !ok || value == "" {
			continue
		}
		name, value = unquotePlus(name), unquotePlus(value)
		if _, seen := values[name]; !seen {
			order = append(order, name)
		}
		values[name] = append(values[name], value)
	}
	for _, name := range order {
		vs := values[name]
		if len(vs) == 1 {
			into.set(name, vs[0])
			continue
		}
		list := make([]any, len(vs))
		for i, v := range vs {
			list[i] = v
		}
		into.set(name, list)
	}
}

// unquotePlus is Python's urllib.parse.unquote_plus (errors="replace").
func unquotePlus(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return validUTF8(s)
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+':
			b = append(b, ' ')
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		default:
			b = append(b, c)
		}
	}
	return validUTF8(string(b))
}

// validUTF8 replaces each invalid byte with U+FFFD, as Python's "replace" error handler does
// (Go's strings.ToValidUTF8 replaces a whole run with one).
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteString("\uFFFD")
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// errBadBody is a request body the gateway cannot read as arguments (a 400).
var errBadBody = errors.New("bad request body")

// parseBody adds a POST body's arguments: a JSON array gives positional arguments, a JSON
// object keyword arguments (over the query's); a form body is read as a query (Pyro4's
// gateway does; Pyro5's ignores it). Other bodies are ignored, as Pyro5's gateway does.
func parseBody(contentType string, body []byte, into *params) error {
	mt, _, _ := mime.ParseMediaType(contentType)
	switch mt {
	case "application/x-www-form-urlencoded":
		parseQuery(string(body), into)
		return nil
	case "application/json":
	default:
		return nil
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil
	}
	v, err := pjson.Unmarshal(body)
	if err != nil {
		return fmt.Errorf("%w: malformed JSON: %w", errBadBody, err)
	}
	switch x := v.(type) {
	case *pyval.Dict:
		for _, it := range x.Items() {
			name, ok := it.Key.(string)
			if !ok {
				return fmt.Errorf("%w: keyword argument names must be strings", errBadBody)
			}
			into.set(name, it.Value)
		}
	case []any:
		into.args = x
	default:
		if items, ok := pyval.Items(v); ok {
			into.args = items
			return nil
		}
		return fmt.Errorf("%w: a JSON body must be an array (positional arguments) or an object (keyword arguments), not %s",
			errBadBody, pyval.TypeName(v))
	}
	return nil
}
