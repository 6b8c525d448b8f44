package pyro

import (
	"slices"
	"strings"

	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

// Pyro4 and Pyro5 write the same Python values the same way in every serializer (exceptions
// as {"__class__", "__exception__", "args", "attributes"}, bytes as serpent's base64 dict,
// sets, datetimes, uuid and decimal as text, msgpack's extension types), except for the
// class-dicts of Pyro's own classes, whose names (and, for a proxy, state) differ:
//
//	Pyro4.core.URI                   Pyro5.core.URI                  same state
//	Pyro4.core.Proxy (9-tuple state) Pyro5.client.Proxy (6-tuple)    uri, oneway, methods, attrs, handshake, serializer
//	Pyro4.errors.X                   Pyro5.errors.X                  same exception dict
//	Pyro4.futures._ExceptionWrapper  Pyro5.core._ExceptionWrapper    same {"exception": ...}
//
// Go values always marshal to the Pyro4 spelling (URI, *Proxy, errors; it is what the
// daemon's own exceptions and autoproxy produce), and what goes out to a Pyro5 peer is
// rewritten into Pyro5's (toPyro5Values). What comes in keeps the spelling it came with: the
// Go types that read those classes (URI, *Proxy, *RemoteError, a batch's results) take both.

// Class names of Pyro5's own classes on the wire.
const (
	pyro5URIClass     = "Pyro5.core.URI"
	pyro5ProxyClass   = "Pyro5.client.Proxy"
	pyro4WrapperClass = "Pyro4.futures._ExceptionWrapper"
	pyro5WrapperClass = "Pyro5.core._ExceptionWrapper"
	pyro4ErrorsPrefix = "Pyro4.errors."
	pyro5ErrorsPrefix = "Pyro5.errors."
)

// exceptionClassFor spells a Pyro exception class (Pyro4.errors.X, Pyro5.errors.X) in the
// namespace of protocol p, so that a peer of either can rebuild it; other classes (builtins.*)
// are the same in both.
func exceptionClassFor(class string, p WireProtocol) string {
	switch {
	case p == Pyro5 && strings.HasPrefix(class, pyro4ErrorsPrefix):
		return pyro5ErrorsPrefix + class[len(pyro4ErrorsPrefix):]
	case p != Pyro5 && strings.HasPrefix(class, pyro5ErrorsPrefix):
		return pyro4ErrorsPrefix + class[len(pyro5ErrorsPrefix):]
	}
	return class
}

// isPyroErrorClass reports a class of Pyro4.errors or Pyro5.errors.
func isPyroErrorClass(class string) bool {
	return strings.HasPrefix(class, pyro4ErrorsPrefix) || strings.HasPrefix(class, pyro5ErrorsPrefix)
}

// isWrapperClass reports the class of a failed call's slot in a batch's results, either
// protocol's.
func isWrapperClass(class string) bool {
	return class == pyro4WrapperClass || class == pyro5WrapperClass
}

// toPyro5Values returns v in canonical form (pyval.FromGo, as a codec's Marshal would) with
// the class-dicts of Pyro's own classes in Pyro5's spelling. Containers are copied only where
// something changes.
func toPyro5Values(v any) (any, error) {
	c, err := serializer.Canonical(v)
	if err != nil {
		return nil, err
	}
	out, _ := pyro5Spelling(c, 0)
	return out, nil
}

// pyro5Spelling rewrites the Pyro4 class-dicts in a canonical value; it reports whether
// anything changed. Values nested deeper than any codec accepts are left for the codec to
// refuse.
func pyro5Spelling(v any, depth int) (any, bool) {
	if depth > serializer.MaxDepth {
		return v, false
	}
	switch x := v.(type) {
	case []any:
		if out, ok := pyro5Elems(x, depth); ok {
			return out, true
		}
	case pyval.Tuple:
		if out, ok := pyro5Elems(x, depth); ok {
			return pyval.Tuple(out), true
		}
	case *pyval.Dict:
		return pyro5Dict(x, depth)
	}
	return v, false
}

func pyro5Elems(x []any, depth int) ([]any, bool) {
	var out []any
	for i, e := range x {
		if ne, changed := pyro5Spelling(e, depth+1); changed {
			if out == nil {
				out = slices.Clone(x)
			}
			out[i] = ne
		}
	}
	return out, out != nil
}

func pyro5Dict(d *pyval.Dict, depth int) (any, bool) {
	if d == nil {
		return d, false
	}
	class, _ := pyval.ClassOf(d)
	var pyro4Class string // a Pyro4.errors class, whose traceback's last line names it too
	switch {
	case class == uriClass:
		return withItem(d, "__class__", pyro5URIClass), true
	case class == proxyClass:
		st, _ := d.GetString("state")
		state, _ := pyval.Items(st)
		if len(state) < 8 {
			break // not one of ours: leave it to the receiver to refuse
		}
		var ser any
		if len(state) > 8 {
			ser = state[8]
		}
		return pyval.DictOf("__class__", pyro5ProxyClass,
			"state", pyval.Tuple{state[0], state[1], state[2], state[3], state[6], ser}), true
	case class == pyro4WrapperClass:
		class = pyro5WrapperClass
	case strings.HasPrefix(class, pyro4ErrorsPrefix):
		pyro4Class = class
		class = exceptionClassFor(class, Pyro5)
	default:
		class = ""
	}
	var out *pyval.Dict
	items := d.Items()
	for i, it := range items {
		nv, changed := pyro5Spelling(it.Value, depth+1)
		if class != "" && it.Key == "__class__" {
			nv, changed = class, true
		}
		if pyro4Class != "" && it.Key == "attributes" {
			if attrs, ok := nv.(*pyval.Dict); ok {
				if tb, ok := pyro5TracebackLine(attrs, pyro4Class, class); ok {
					nv, changed = tb, true
				}
			}
		}
		if changed && out == nil {
			out = pyval.NewDict(len(items))
			for _, prev := range items[:i] {
				out.Set(prev.Key, prev.Value)
			}
		}
		if out != nil {
			out.Set(it.Key, nv)
		}
	}
	if out == nil {
		return d, false
	}
	return out, true
}

// pyro5TracebackLine returns attrs with the last line of its _pyroTraceback naming the Pyro5
// class instead of the Pyro4 one (the line traceback.go's exceptionLine wrote), so that a
// Pyro5 client's "Remote traceback" ends in the class it raises.
func pyro5TracebackLine(attrs *pyval.Dict, pyro4Class, pyro5Class string) (*pyval.Dict, bool) {
	v, _ := attrs.Get("_pyroTraceback")
	lines, ok := v.([]any)
	if !ok || len(lines) == 0 {
		return nil, false
	}
	last, ok := lines[len(lines)-1].(string)
	if !ok || !strings.HasPrefix(last, pyro4Class) {
		return nil, false
	}
	rest := last[len(pyro4Class):]
	if !strings.HasPrefix(rest, ":") && !strings.HasPrefix(rest, "\n") {
		return nil, false
	}
	tb := append(append([]any(nil), lines[:len(lines)-1]...), pyro5Class+rest)
	return withItem(attrs, "_pyroTraceback", tb), true
}

// withItem returns a copy of d with key set to value (in key's place when d has it).
func withItem(d *pyval.Dict, key string, value any) *pyval.Dict {
	out := pyval.NewDict(d.Len())
	for _, it := range d.Items() {
		out.Set(it.Key, it.Value)
	}
	out.Set(key, value)
	return out
}

// checkPyro5Classes refuses, in a call's decoded arguments from a Pyro5 client, the
// class-dicts Pyro5's serializers refuse to rebuild (SerializerBase.dict_to_class), with the
// exception a Pyro5 daemon raises: a class name with a double underscore is a SecurityError,
// a class Pyro5 does not know a SerializeError. Known are Pyro5's own classes (URI, Proxy,
// Daemon, serializers, errors, the batch exception wrapper), struct.error, and exceptions
// (__exception__ true) of builtins, of no module, or sqlite3's. As in Pyro5, the values
// inside a class-dict are not looked at. Where Pyro5 would fail in another way (an unknown
// builtins name, say) this lets the value through.
func checkPyro5Classes(v any, depth int) error {
	if depth > serializer.MaxDepth {
		return nil
	}
	switch x := v.(type) {
	case []any:
		return checkPyro5Elems(x, depth)
	case pyval.Tuple:
		return checkPyro5Elems(x, depth)
	case *pyval.Dict:
		if x == nil {
			return nil
		}
		if c, ok := x.GetString("__class__"); ok {
			return checkPyro5Class(x, c)
		}
		for _, it := range x.Items() {
			if err := checkPyro5Classes(it.Value, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkPyro5Elems(x []any, depth int) error {
	for _, e := range x {
		if err := checkPyro5Classes(e, depth+1); err != nil {
			return err
		}
	}
	return nil
}

func checkPyro5Class(d *pyval.Dict, c any) error {
	var class string
	switch c := c.(type) {
	case string:
		class = c
	case []byte:
		class = string(c)
	default:
		class = pyval.Repr(c)
	}
	if strings.Contains(class, "__") {
		return NewError(classSecurityError, "refused to deserialize types with double underscores in their name: %s", class)
	}
	switch {
	case class == pyro5URIClass, class == pyro5ProxyClass, class == "Pyro5.server.Daemon",
		class == pyro5WrapperClass, class == "struct.error":
		return nil
	case strings.HasPrefix(class, "Pyro5.util.") && strings.HasSuffix(class, "Serializer"):
		return nil
	case strings.HasPrefix(class, pyro5ErrorsPrefix):
		return nil
	}
	if isExc, _ := d.GetString("__exception__"); truthy(isExc) {
		ns, short, dotted := strings.Cut(class, ".")
		switch {
		case !dotted, ns == "builtins", ns == "exceptions":
			return nil
		case ns == "sqlite3" && strings.HasSuffix(short, "Error"):
			return nil
		}
	}
	return NewError(classSerializeError, "unsupported serialized class: %s", class)
}

// truthy is Python's bool() of a canonical scalar or container.
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case int64:
		return x != 0
	case float64:
		return x != 0
	case string:
		return x != ""
	case []byte:
		return len(x) > 0
	case *pyval.Dict:
		return x.Len() > 0
	}
	if items, ok := pyval.Items(v); ok {
		return len(items) > 0
	}
	return true
}

// pyro5Args converts a call's arguments for a Pyro5 daemon (toPyro5Values).
func pyro5Args(args []any, kwargs *pyval.Dict) ([]any, *pyval.Dict, error) {
	a, err := toPyro5Values(args)
	if err != nil {
		return nil, nil, err
	}
	args, _ = a.([]any)
	if kwargs.Len() > 0 {
		k, err := toPyro5Values(kwargs)
		if err != nil {
			return nil, nil, err
		}
		kwargs, _ = k.(*pyval.Dict)
	}
	return args, kwargs, nil
}

// closesPyro5Connection reports the exception classes after which a Pyro5 daemon closes the
// client's connection (Daemon.handleRequest re-raises them): Pyro's CommunicationError and its
// subclasses (SerializeError among them), and SecurityError.
func closesPyro5Connection(class string) bool {
	if !isPyroErrorClass(class) {
		return false
	}
	switch class[len(pyro5ErrorsPrefix):] { // both prefixes have the same length
	case "CommunicationError", "ConnectionClosedError", "TimeoutError", "ProtocolError",
		"MessageTooLargeError", "SerializeError", "SecurityError":
		return true
	}
	return false
}
