package pyro

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/gopyro/pyro/pyval"
)

// A Go object is exposed by its exported methods, each reachable under its Go name and the
// name its naming policy gives (get_rate by default, getRate with CamelCase); Python peers see
// the latter in the metadata. A pair Foo() T / SetFoo(T) is a remote attribute "foo" instead
// of two methods. All reflection happens at registration (expose_build.go); a call only looks
// up a map.

// exposedType is the method table of one Go type, built at registration.
type exposedType struct {
	typ     reflect.Type
	class   string                    // for Python-style messages
	methods map[string]*exposedMethod // by every name it answers to
	attrs   map[string]*exposedAttr
	meta    metadata // what every client sees
	// byProto holds the methods only one protocol's clients see (WithProtocolOnly), by
	// every name they answer to; protoMeta is then that protocol's whole metadata.
	byProto   map[WireProtocol]map[string]*exposedMethod
	protoMeta map[WireProtocol]*metadata
}

// metaFor is the metadata a client speaking p gets.
func (et *exposedType) metaFor(p WireProtocol) metadata {
	if m := et.protoMeta[p]; m != nil {
		return *m
	}
	return et.meta
}

// metadata is what Pyro4 clients learn on connect: exposed method, oneway and attribute names.
type metadata struct {
	Methods, Oneway, Attrs []string
}

func (m metadata) dict(asLists bool) *pyval.Dict {
	conv := func(names []string) any {
		if asLists {
			l := make([]any, len(names))
			for i, n := range names {
				l[i] = n
			}
			return l
		}
		s := pyval.NewSet()
		for _, n := range names {
			s.Add(n)
		}
		return s
	}
	return pyval.DictOf("methods", conv(m.Methods), "oneway", conv(m.Oneway), "attrs", conv(m.Attrs))
}

type exposedMethod struct {
	fn         reflect.Value // the method as a func taking the receiver first
	goName     string
	name       string // the name Python peers see
	qualName   string // Class.name, as Python's messages say
	index      int    // method index in typ's method set
	hasCtx     bool
	params     []reflect.Type // excluding receiver and context
	proxies    []bool         // by parameter: may hold a *Proxy (holdsProxy)
	variadic   bool
	paramNames []string // for keyword arguments; empty when unknown
	returnsErr bool
	hasResult  bool
	oneway     bool
	stream     streamKind
}

type exposedAttr struct {
	name   string
	get    *exposedMethod
	set    *exposedMethod // nil: read-only
	setTyp reflect.Type
}

// streamKind says how a method's result is iterated when it is a stream.
type streamKind int

const (
	notStream  streamKind = iota
	streamSeq             // iter.Seq[T]
	streamSeq2            // iter.Seq2[T, error]
	streamChan            // <-chan T or chan T
)

var (
	contextType = reflect.TypeFor[context.Context]()
	errorType   = reflect.TypeFor[error]()
	boolType    = reflect.TypeFor[bool]()
)

// lookupMethod finds a method by the name a caller speaking p used, enforcing Pyro4's rules on private
// names with its exact messages.
func (et *exposedType) lookupMethod(name string, p WireProtocol) (*exposedMethod, error) {
	if isPrivate(name) {
		return nil, NewError(classAttributeError, "attempt to access private attribute '%s'", name)
	}
	if m, ok := et.byProto[p][name]; ok {
		return m, nil
	}
	if m, ok := et.methods[name]; ok {
		return m, nil
	}
	return nil, NewError(classAttributeError, "'%s' object has no attribute '%s'", et.class, name)
}

func (et *exposedType) lookupAttr(name string) (*exposedAttr, error) {
	if a, ok := et.attrs[name]; ok && !isPrivate(name) {
		return a, nil
	}
	return nil, NewError(classAttributeError, "attempt to access unexposed or unknown remote attribute '%s'", name)
}

// isPrivate follows Pyro4: a leading underscore is private, except dunder names such as
// __len__ or a user's __dunder__ (but not Python's own protocol names).
func isPrivate(name string) bool {
	if !strings.HasPrefix(name, "_") {
		return false
	}
	if len(name) > 4 && strings.HasPrefix(name, "__") && strings.HasSuffix(name, "__") {
		return privateDunders[name]
	}
	return true
}

var privateDunders = map[string]bool{
	"__init__": true, "__call__": true, "__new__": true, "__del__": true, "__repr__": true,
	"__unicode__": true, "__str__": true, "__format__": true, "__nonzero__": true, "__bool__": true,
	"__coerce__": true, "__cmp__": true, "__eq__": true, "__ne__": true, "__hash__": true,
	"__ge__": true, "__gt__": true, "__le__": true, "__lt__": true, "__dir__": true,
	"__enter__": true, "__exit__": true, "__copy__": true, "__deepcopy__": true, "__sizeof__": true,
	"__getattr__": true, "__setattr__": true, "__hasattr__": true, "__getattribute__": true,
	"__delattr__": true, "__instancecheck__": true, "__subclasscheck__": true, "__getinitargs__": true,
	"__getnewargs__": true, "__getstate__": true, "__setstate__": true, "__reduce__": true,
	"__reduce_ex__": true, "__getstate_for_dict__": true, "__setstate_from_dict__": true,
	"__subclasshook__": true,
}

// args converts the wire arguments to the method's parameter values, Python-style: too many or
// too few arguments and unknown keywords are TypeErrors naming the method.
func (m *exposedMethod) args(ctx *callScope, recv reflect.Value, vargs []any, kwargs *pyval.Dict) ([]reflect.Value, error) {
	in := make([]reflect.Value, 0, 2+len(m.params))
	in = append(in, recv)
	if m.hasCtx {
		in = append(in, reflect.ValueOf(ctx.context()))
	}
	fixed := len(m.params)
	if m.variadic {
		fixed--
	}
	positional := vargs
	var present []bool // nil: every positional parameter was given
	if kwargs.Len() > 0 {
		if len(m.paramNames) == 0 {
			return nil, NewError(classTypeError, "%s() does not take keyword arguments", m.name)
		}
		if len(vargs) > fixed {
			return nil, m.countError(len(vargs))
		}
		positional = make([]any, fixed)
		present = make([]bool, fixed)
		for i, v := range vargs {
			positional[i], present[i] = v, true
		}
		for _, it := range kwargs.Items() {
			key, _ := it.Key.(string)
			i := slices.Index(m.paramNames[:fixed], key)
			if i < 0 {
				return nil, NewError(classTypeError, "%s() got an unexpected keyword argument '%s'", m.qualName, key)
			}
			if present[i] {
				return nil, NewError(classTypeError, "%s() got multiple values for argument '%s'", m.name, key)
			}
			positional[i], present[i] = it.Value, true
		}
	} else if len(vargs) < fixed || (!m.variadic && len(vargs) > fixed) {
		// Named parameters are how a Go method declares Python-style optional trailing
		// parameters: those left out take their zero values.
		if len(vargs) > fixed || len(m.paramNames) == 0 {
			return nil, m.countError(len(vargs))
		}
		present = make([]bool, fixed)
		for i := range vargs {
			present[i] = true
		}
		positional = append(slices.Clone(vargs), make([]any, fixed-len(vargs))...)
	}
	for i := range fixed {
		if present != nil && !present[i] {
			in = append(in, reflect.Zero(m.params[i]))
			continue
		}
		v, err := convertArg(positional[i], m.params[i], i)
		if err != nil {
			return nil, err
		}
		if m.proxies[i] {
			// Callback proxies talk back the way their caller talked to us.
			inheritProxies(v, ProxyConfig{Transport: ctx.c.d.cfg.Transport, Serializer: ctx.codec.Name(), TLSConfig: ctx.c.d.cfg.ClientTLSConfig}, ctx.c.proto)
		}
		in = append(in, v)
	}
	if m.variadic {
		elem := m.params[fixed].Elem()
		for i := fixed; i < len(positional); i++ {
			v, err := convertArg(positional[i], elem, i)
			if err != nil {
				return nil, err
			}
			if m.proxies[fixed] {
				inheritProxies(v, ProxyConfig{Transport: ctx.c.d.cfg.Transport, Serializer: ctx.codec.Name(), TLSConfig: ctx.c.d.cfg.ClientTLSConfig}, ctx.c.proto)
			}
			in = append(in, v)
		}
	}
	return in, nil
}

// countError words a wrong argument count as Python 3.11 does, counting self.
func (m *exposedMethod) countError(given int) error {
	want := len(m.params)
	if m.variadic {
		want--
	}
	if given < want && len(m.paramNames) == want {
		missing := m.paramNames[given:want]
		quoted := make([]string, len(missing))
		for i, n := range missing {
			quoted[i] = "'" + n + "'"
		}
		list := strings.Join(quoted, ", ")
		if len(quoted) > 1 {
			list = strings.Join(quoted[:len(quoted)-1], ", ") + " and " + quoted[len(quoted)-1]
		}
		return NewError(classTypeError, "%s() missing %d required positional %s: %s", m.qualName, len(missing), plural(len(missing), "argument"), list)
	}
	if m.variadic {
		return NewError(classTypeError, "%s() takes at least %d positional %s but %d %s given", m.qualName, want+1, plural(want+1, "argument"), given+1, wereWas(given+1))
	}
	return NewError(classTypeError, "%s() takes %d positional %s but %d %s given", m.qualName, want+1, plural(want+1, "argument"), given+1, wereWas(given+1))
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

func wereWas(n int) string {
	if n == 1 {
		return "was"
	}
	return "were"
}

var bytesType = reflect.TypeFor[[]byte]()

func convertArg(v any, t reflect.Type, i int) (reflect.Value, error) {
	if b, ok := v.(*SerializedBlob); ok {
		// A KEEPSERIALIZED call's only argument: passed as it is, never converted.
		if !blobType.AssignableTo(t) {
			return reflect.Value{}, NewError(classTypeError, "%s: a SerializedBlob arrived (a KEEPSERIALIZED call) for a parameter of type %s; use *pyro.SerializedBlob", argPath(i), t)
		}
		return reflect.ValueOf(b), nil
	}
	if b, ok := v.([]byte); ok && t == bytesType {
		return reflect.ValueOf(b), nil // the decoded argument is this call's own: no copy
	}
	rv, err := pyval.Convert(v, t)
	if err != nil {
		if ce, ok := err.(*pyval.ConvertError); ok {
			ce.Path = argPath(i) + ce.Path
		}
		return reflect.Value{}, &Error{Class: classTypeError, Msg: err.Error(), Err: err}
	}
	return rv, nil
}

var argPaths = [...]string{"args[0]", "args[1]", "args[2]", "args[3]", "args[4]", "args[5]", "args[6]", "args[7]"}

func argPath(i int) string {
	if i < len(argPaths) {
		return argPaths[i]
	}
	return fmt.Sprintf("args[%d]", i)
}
