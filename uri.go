package pyro

import (
	"errors"
	"fmt"
	"math/big"
	"net"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gopyro/pyro/pyval"
)

// URI protocols. ParseURI upper-cases whatever case it is given.
const (
	// ProtocolPyro addresses an object directly: PYRO:objectid@host:port.
	ProtocolPyro = "PYRO"
	// ProtocolPyroName is resolved through a name server: PYRONAME:name[@nshost[:nsport]].
	ProtocolPyroName = "PYRONAME"
	// ProtocolPyroMeta picks a name server entry carrying all the given metadata tags:
	// PYROMETA:tag1,tag2[@nshost[:nsport]].
	ProtocolPyroMeta = "PYROMETA"
)

// ErrInvalidURI is wrapped by every error ParseURI and URI.UnmarshalPython return.
var ErrInvalidURI = errors.New("pyro: invalid uri")

// URI is a Pyro object address, Pyro4's core.URI. It is comparable with == (for PYROMETA, use
// Equal to ignore the order of the tags).
//
// A URI has at most one location: a TCP Host and Port, a unix socket SockPath, or neither
// (only for PYRONAME and PYROMETA, meaning "find the name server").
type URI struct {
	// Protocol is ProtocolPyro, ProtocolPyroName or ProtocolPyroMeta.
	Protocol string
	// Object is the object id (PYRO), the registered name (PYRONAME) or the comma-joined
	// metadata tags (PYROMETA; see Tags).
	Object string
	// Host is the TCP host name or address; an IPv6 address is kept without brackets.
	Host string
	// Port is the TCP port. Like Pyro4, parsing does not check its range. For PYRONAME and
	// PYROMETA, 0 means "not given": resolving the URI uses ProxyConfig.NSPort (Pyro4's
	// NS_PORT, PYRO_NS_PORT in the environment), and the text form leaves it out.
	Port int
	// SockPath is the unix domain socket name of a "./u:name" location.
	SockPath string
}

// ParseURI parses a URI in Pyro's text form, accepting exactly what Pyro4 4.82 accepts:
//
//	PYRO:objectid@host:port
//	PYRO:objectid@[::1]:port            IPv6, only hex digits, ':' and '%' between the brackets
//	PYRO:objectid@./u:/path/to/socket   unix socket; the name may not contain ':'
//	PYRONAME:name[@host[:port]]         no port: Port 0, the resolver's NSPort
//	PYROMETA:tag1,tag2[@host[:port]]
//
// The protocol is case-insensitive. The object is the shortest non-blank text up to an '@'
// that leaves a valid location, so an object id may itself contain '@'. A TCP location is split
// at its first ':'; the port is read like Python's int() (surrounding blanks, a sign, '_'
// between digits and non-ASCII decimal digits are accepted). PYROMETA tags are deduplicated,
// in order of first appearance. Errors wrap ErrInvalidURI and carry Pyro4's wording.
//
// Differences from Pyro4: a port beyond the int range is an error here, Pyro4 keeps any
// integer. A PYRONAME or PYROMETA location without a port (or with port 0) gets Port 0 and
// String leaves the port out ("PYRONAME:n@nshost"): nothing is read from the environment
// while parsing, so the port is filled in where the URI is resolved, from
// ProxyConfig.NSPort (which ProxyConfigFromEnv reads from PYRO_NS_PORT). Pyro4 fills in its
// NS_PORT setting while parsing and prints it: "PYRONAME:n@nshost:9090". Resolution ends at
// the same name server either way; MarshalPython, which has no configuration, sends
// DefaultNSPort for a port not given, so a Python receiver gets a complete URI.
func ParseURI(s string) (URI, error) {
	rest, proto, ok := cutProtocol(s)
	if !ok {
		return URI{}, uriError(s, "not PROTOCOL:object[@location]")
	}
	object, location, ok := splitObject(rest)
	if !ok {
		return URI{}, uriError(s, "not PROTOCOL:object[@location]")
	}
	u := URI{Protocol: strings.ToUpper(proto), Object: object}
	var err error
	switch u.Protocol {
	case ProtocolPyroName:
		err = u.parseLocation(location, false)
	case ProtocolPyro:
		if location == "" {
			return URI{}, uriError(s, "a PYRO uri needs a location")
		}
		err = u.parseLocation(location, true)
	case ProtocolPyroMeta:
		u.Object = strings.Join(uniqueTags(strings.Split(object, ",")), ",")
		err = u.parseLocation(location, false)
	default:
		return URI{}, uriError(s, fmt.Sprintf("unknown protocol %q", u.Protocol))
	}
	if err != nil {
		return URI{}, uriError(s, err.Error())
	}
	return u, nil
}

func uriError(s, reason string) error {
	return fmt.Errorf("%w %q: %s", ErrInvalidURI, s, reason)
}

// cutProtocol matches Pyro4's `[Pp][Yy][Rr][Oo][a-zA-Z]*:` at the start of s.
func cutProtocol(s string) (rest, proto string, ok bool) {
	if len(s) < 4 || !strings.EqualFold(s[:4], "pyro") {
		return "", "", false
	}
	i := 4
	for i < len(s) && (s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z') {
		i++
	}
	if i == len(s) || s[i] != ':' {
		return "", "", false
	}
	return s[i+1:], s[:i], true
}

// splitObject does what Pyro4's `(?P<object>\S+?)(@(?P<location>.+))?$` does with rest: the
// object is the shortest run of non-blanks after which either nothing follows or an '@' and a
// location ('.' excludes only '\n'). Like Python's `$`, the end may be one trailing "\n".
func splitObject(rest string) (object, location string, ok bool) {
	body := strings.TrimSuffix(rest, "\n")
	// A location may not hold a '\n', so any '\n' inside body rules out every location.
	locationsPossible := !strings.Contains(body, "\n")
	for i := 0; i < len(rest); {
		r, size := utf8.DecodeRuneInString(rest[i:])
		if pyIsSpace(r) {
			return "", "", false
		}
		i += size
		switch tail := rest[i:]; {
		case tail == "" || tail == "\n":
			return rest[:i], "", true
		case tail[0] == '@' && locationsPossible && i+1 < len(body):
			return rest[:i], body[i+1:], true
		}
	}
	return "", "", false
}

// pyIsSpace is Python's str.isspace, which is what `\s` and int() use: Unicode White_Space
// plus the ASCII separators U+001C..U+001F.
func pyIsSpace(r rune) bool {
	return unicode.IsSpace(r) || r >= 0x1c && r <= 0x1f
}

// parseLocation fills the location fields like Pyro4's URI._parseLocation. Without
// needPort, a missing port leaves Port 0 (Pyro4 fills in its NS_PORT).
func (u *URI) parseLocation(location string, needPort bool) error {
	if location == "" {
		return nil
	}
	if sock, ok := strings.CutPrefix(location, "./u:"); ok {
		if sock == "" || strings.Contains(sock, ":") {
			return errors.New("invalid unix socket location")
		}
		u.SockPath = sock
		return nil
	}
	var port string
	if strings.HasPrefix(location, "[") {
		if strings.HasPrefix(location, "[[") {
			return errors.New("invalid ipv6 address: enclosed in too many brackets")
		}
		host, p, ok := cutIPv6(location)
		if !ok {
			return errors.New("invalid ipv6 address: the part between brackets must be a numeric ipv6 address")
		}
		u.Host, port = host, p
	} else {
		u.Host, port, _ = strings.Cut(location, ":")
	}
	if port == "" {
		if needPort {
			return errors.New("invalid port in uri, port=None")
		}
		return nil
	}
	n, ok := pyAtoi(port)
	if !ok {
		return fmt.Errorf("invalid port in uri, port=%s", port)
	}
	u.Port = n
	return nil
}

// cutIPv6 matches Pyro4's `\[([0-9a-fA-F:%]+)](:(\d+))?` at the start of location; like
// re.match, whatever follows the match is ignored.
func cutIPv6(location string) (host, port string, ok bool) {
	i := 1
	for i < len(location) && isIPv6Char(location[i]) {
		i++
	}
	if i == 1 || i == len(location) || location[i] != ']' {
		return "", "", false
	}
	host = location[1:i]
	rest := location[i+1:]
	if !strings.HasPrefix(rest, ":") {
		return host, "", true
	}
	n := 1
	for _, r := range rest[1:] {
		if !unicode.IsDigit(r) {
			break
		}
		n += len(string(r))
	}
	return host, rest[1:n], true
}

func isIPv6Char(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == ':' || c == '%'
}

// pyAtoi converts like Python's int(s): blanks around, an optional sign, decimal digits of any
// script with single underscores between them. Values outside int are refused. Unlike str.isspace,
// int() does not take U+001C..U+001F for blanks: unicode.IsSpace is its exact set.
func pyAtoi(s string) (int, bool) {
	s = strings.TrimFunc(s, unicode.IsSpace)
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if s == "" {
		return 0, false
	}
	var b strings.Builder
	prevDigit := false
	for _, r := range s {
		if r == '_' {
			if !prevDigit {
				return 0, false
			}
			prevDigit = false
			continue
		}
		d, ok := digitValue(r)
		if !ok {
			return 0, false
		}
		b.WriteByte(byte('0' + d))
		prevDigit = true
	}
	if !prevDigit {
		return 0, false
	}
	n, err := strconv.ParseInt(b.String(), 10, strconv.IntSize)
	if err != nil {
		return 0, false
	}
	if neg {
		n = -n
	}
	return int(n), true
}

// digitValue returns the value of a Unicode decimal digit (category Nd). Every script's digits
// are encoded as runs of ten code points from zero to nine, and adjacent runs start at a zero,
// so the value is the distance from the start of the run modulo ten.
func digitValue(r rune) (int, bool) {
	if r >= '0' && r <= '9' {
		return int(r - '0'), true
	}
	if !unicode.IsDigit(r) {
		return 0, false
	}
	start := r
	for start > 0 && unicode.IsDigit(start-1) {
		start--
	}
	return int(r-start) % 10, true
}

// uniqueTags drops repeated tags, keeping the first occurrence of each.
func uniqueTags(tags []string) []string {
	seen := make(map[string]struct{}, len(tags))
	out := tags[:0]
	for _, t := range tags {
		if _, dup := seen[t]; !dup {
			seen[t] = struct{}{}
			out = append(out, t)
		}
	}
	return out
}

// Tags returns the metadata tags of a PYROMETA URI, nil for other protocols. As in Pyro4, an
// empty tag is possible: "PYROMETA:a,,b" has the tags "a", "" and "b".
func (u URI) Tags() []string {
	if u.Protocol != ProtocolPyroMeta {
		return nil
	}
	return strings.Split(u.Object, ",")
}

// IsMagic reports whether the URI needs a name server to resolve (PYRONAME, PYROMETA).
func (u URI) IsMagic() bool {
	return u.Protocol == ProtocolPyroName || u.Protocol == ProtocolPyroMeta
}

// hasTCP reports whether the URI holds a TCP location, even one with an empty host (which
// Pyro4 parses from "PYRO:o@:5" but then leaves out of the text form).
func (u URI) hasTCP() bool {
	return u.SockPath == "" && (u.Host != "" || u.Port != 0)
}

// nsPortUnset reports whether the URI is a PYRONAME or PYROMETA one without a port, which
// the resolver's ProxyConfig.NSPort completes.
func (u URI) nsPortUnset() bool { return u.Port == 0 && u.IsMagic() }

// Location returns the location part of the text form: "host:port", "[::1]:5555",
// "./u:/path", "nshost" for a PYRONAME or PYROMETA URI without a port, or "" when there is
// none.
func (u URI) Location() string {
	switch {
	case u.Host != "":
		host := u.Host
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
		if u.nsPortUnset() {
			return host
		}
		return host + ":" + strconv.Itoa(u.Port)
	case u.SockPath != "":
		return "./u:" + u.SockPath
	}
	return ""
}

// Network returns the net.Dial network for the location: "tcp", "unix", or "" when the URI
// has no location.
func (u URI) Network() string {
	switch {
	case u.Host != "":
		return "tcp"
	case u.SockPath != "":
		return "unix"
	}
	return ""
}

// Address returns the net.Dial address for the location ("[::1]:5555", "/tmp/sock"), or ""
// when the URI has no location, or is a PYRONAME or PYROMETA URI without a port (whose
// port is the resolver's ProxyConfig.NSPort).
func (u URI) Address() string {
	switch {
	case u.Host != "" && u.nsPortUnset():
		return ""
	case u.Host != "":
		return net.JoinHostPort(u.Host, strconv.Itoa(u.Port))
	case u.SockPath != "":
		return u.SockPath
	}
	return ""
}

// String returns Pyro's text form, PROTOCOL:object[@location], which ParseURI reads back.
func (u URI) String() string {
	loc := u.Location()
	if loc == "" {
		return u.Protocol + ":" + u.Object
	}
	return u.Protocol + ":" + u.Object + "@" + loc
}

// Equal reports whether two URIs are the same, as Pyro4 compares them: all fields equal, and
// for PYROMETA the same set of tags in any order.
func (u URI) Equal(o URI) bool {
	if u.Protocol != ProtocolPyroMeta || o.Protocol != ProtocolPyroMeta || u.Object == o.Object {
		return u == o
	}
	a, b := uniqueTags(u.Tags()), uniqueTags(o.Tags())
	if len(a) != len(b) {
		return false
	}
	set := make(map[string]struct{}, len(a))
	for _, t := range a {
		set[t] = struct{}{}
	}
	for _, t := range b {
		if _, ok := set[t]; !ok {
			return false
		}
	}
	u.Object, o.Object = "", ""
	return u == o
}

// MarshalText returns the text form, so a URI works with encoding/json and flag.TextVar.
func (u URI) MarshalText() ([]byte, error) {
	return []byte(u.String()), nil
}

// UnmarshalText parses the text form with ParseURI.
func (u *URI) UnmarshalText(b []byte) error {
	v, err := ParseURI(string(b))
	if err != nil {
		return err
	}
	*u = v
	return nil
}

// uriClass is the class name Pyro4 gives a URI on the wire; Pyro5 uses its own module name.
const uriClass = "Pyro4.core.URI"

// MarshalPython returns the URI as Pyro4 serializes it: the class-dict
// {"__class__": "Pyro4.core.URI", "state": (protocol, object, sockname, host, port)}, with
// None for the absent location fields and, for PYROMETA, the tags as a set. A PYRONAME or
// PYROMETA host without a port is sent with DefaultNSPort, as Pyro4 would have parsed it.
func (u URI) MarshalPython() (any, error) {
	var object any = u.Object
	switch u.Protocol {
	case ProtocolPyro, ProtocolPyroName:
	case ProtocolPyroMeta:
		tags := u.Tags()
		items := make([]any, len(tags))
		for i, t := range tags {
			items[i] = t
		}
		object = pyval.NewSet(items...)
	default:
		return nil, fmt.Errorf("%w: cannot marshal a URI with protocol %q", ErrInvalidURI, u.Protocol)
	}
	var sock, host, port any
	if u.SockPath != "" {
		sock = u.SockPath
	} else if u.hasTCP() {
		host, port = u.Host, int64(u.Port)
		if u.nsPortUnset() {
			port = int64(DefaultNSPort)
		}
	}
	return pyval.DictOf("__class__", uriClass, "state", pyval.Tuple{u.Protocol, object, sock, host, port}), nil
}

// UnmarshalPython sets the URI from a Python value: a URI class-dict as MarshalPython makes
// (the state may arrive as a tuple or a list, a PYROMETA object as a set, tuple or list) or a
// str in text form. Pyro5's "Pyro5.core.URI" class-dict is accepted too.
func (u *URI) UnmarshalPython(v any) error {
	switch v := v.(type) {
	case string:
		p, err := ParseURI(v)
		if err != nil {
			return err
		}
		*u = p
		return nil
	case *pyval.Dict:
		p, err := uriFromClassDict(v)
		if err != nil {
			return err
		}
		*u = p
		return nil
	}
	return fmt.Errorf("%w: a URI must be a str or a URI class-dict, not %s", ErrInvalidURI, pyval.TypeName(v))
}

func uriFromClassDict(d *pyval.Dict) (URI, error) {
	class, _ := pyval.ClassOf(d)
	if class != uriClass && class != "Pyro5.core.URI" {
		return URI{}, fmt.Errorf("%w: class-dict of class %q is not a URI", ErrInvalidURI, class)
	}
	raw, _ := d.GetString("state")
	state, _ := pyval.Items(raw)
	if len(state) != 5 {
		return URI{}, fmt.Errorf("%w: URI state must be a 5-tuple, not %s", ErrInvalidURI, pyval.Repr(raw))
	}
	var u URI
	var ok bool
	if u.Protocol, ok = state[0].(string); !ok {
		return URI{}, stateError("protocol", state[0])
	}
	switch u.Protocol {
	case ProtocolPyro, ProtocolPyroName:
		if u.Object, ok = state[1].(string); !ok {
			return URI{}, stateError("object", state[1])
		}
	case ProtocolPyroMeta:
		tags, ok := tagsOf(state[1])
		if !ok {
			return URI{}, stateError("object", state[1])
		}
		u.Object = strings.Join(uniqueTags(tags), ",")
	default:
		return URI{}, fmt.Errorf("%w: unknown protocol %q in URI state", ErrInvalidURI, u.Protocol)
	}
	if state[2] != nil {
		if u.SockPath, ok = state[2].(string); !ok {
			return URI{}, stateError("sockname", state[2])
		}
	}
	if state[3] != nil {
		if u.Host, ok = state[3].(string); !ok {
			return URI{}, stateError("host", state[3])
		}
	}
	switch p := state[4].(type) {
	case nil:
	case int64:
		if int64(int(p)) != p {
			return URI{}, stateError("port", p)
		}
		u.Port = int(p)
	case *big.Int:
		return URI{}, stateError("port", p)
	default:
		return URI{}, stateError("port", p)
	}
	return u, nil
}

func stateError(field string, v any) error {
	return fmt.Errorf("%w: bad %s in URI state: %s %s", ErrInvalidURI, field, pyval.TypeName(v), pyval.Repr(v))
}

// tagsOf reads a PYROMETA object: a set (Pyro4's own form), or a str, tuple or list, which
// serializers without sets (json) or an older serpent produce.
func tagsOf(v any) ([]string, bool) {
	if s, ok := v.(string); ok {
		return strings.Split(s, ","), true
	}
	items, ok := pyval.Items(v)
	if !ok {
		return nil, false
	}
	tags := make([]string, len(items))
	for i, it := range items {
		s, ok := it.(string)
		if !ok {
			return nil, false
		}
		tags[i] = s
	}
	return tags, true
}
