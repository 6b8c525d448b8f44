package pyro

import (
	"reflect"
	"strconv"
)

// InstanceMode says how many instances of a registered type serve calls.
type InstanceMode int

const (
	// Single: one instance shared by every connection.
	Single InstanceMode = iota
	// Session: one instance per client connection, dropped when it disconnects.
	Session
	// PerCall: a new instance for every call.
	PerCall
)

// String returns Pyro4's name of the mode.
func (m InstanceMode) String() string {
	switch m {
	case Single:
		return "single"
	case Session:
		return "session"
	case PerCall:
		return "percall"
	}
	return "InstanceMode(" + strconv.Itoa(int(m)) + ")"
}

// RegisterOption adjusts one registration.
type RegisterOption func(*registerOptions)

type registerOptions struct {
	id    string
	iface reflect.Type // WithInterface's I
	exposeOptions
}

// WithID registers the object under this id instead of a generated "obj_<hex>" one.
func WithID(id string) RegisterOption { return func(o *registerOptions) { o.id = id } }

// WithName exposes the Go method (or attribute getter) goName under pyName instead of the
// name the naming policy gives (both stay callable): WithName("Dunder", "__dunder__"). A
// goName that is not exposed makes the registration fail, as for every option naming methods.
func WithName(goName, pyName string) RegisterOption {
	return func(o *registerOptions) { o.names[goName] = pyName }
}

// WithOneway marks methods (by Go or exposed name) as oneway: clients do not wait for them.
// A name that matches no exposed method makes the registration fail.
func WithOneway(names ...string) RegisterOption {
	return func(o *registerOptions) {
		for _, n := range names {
			o.oneway[n] = true
		}
	}
}

// WithParams names a method's parameters so callers may pass them as keyword arguments and
// leave trailing ones out (they get their zero values): WithParams("Lookup", "name", "return_metadata").
func WithParams(goMethod string, names ...string) RegisterOption {
	return func(o *registerOptions) { o.params[goMethod] = names }
}

// WithClassName sets the class name Python-style error messages use for the object
// ("'EchoServer' object has no attribute 'x'"); the Go type's name by default.
func WithClassName(name string) RegisterOption {
	return func(o *registerOptions) { o.className = name }
}

// WithAttributes exposes Go getters (methods taking nothing and returning a value) as remote
// attributes, read-only unless a SetFoo method exists; Foo()/SetFoo pairs need no option. A
// getter returning a stream (iter.Seq, a channel) streams its items, as a Python property
// returning an iterator does; it is always read-only.
func WithAttributes(goNames ...string) RegisterOption {
	return func(o *registerOptions) {
		for _, n := range goNames {
			o.attrs[n] = true
		}
	}
}

// WithHidden keeps the named Go methods from being exposed.
func WithHidden(goNames ...string) RegisterOption {
	return func(o *registerOptions) {
		for _, n := range goNames {
			o.hidden[n] = true
		}
	}
}

// WithProtocolOnly exposes the named Go methods only to clients speaking protocol p (Pyro4
// or Pyro5): the others' metadata does not list them and calling them is an AttributeError,
// as for a method the object lacks. Two methods, one per protocol, may then share an exposed
// name, so that one object offers each protocol its own API (the name server's list, whose
// parameters differ between Pyro4 and Pyro5):
//
//	pyro.WithName("List5", "list"), pyro.WithProtocolOnly(pyro.Pyro5, "List5"), pyro.WithProtocolOnly(pyro.Pyro4, "List")
func WithProtocolOnly(p WireProtocol, goNames ...string) RegisterOption {
	return func(o *registerOptions) {
		if o.protoOnly == nil {
			o.protoOnly = map[string]WireProtocol{}
		}
		for _, n := range goNames {
			o.protoOnly[n] = p
		}
	}
}

// WithInterface exposes only the methods of interface I, so that adding a method to the
// registered type never widens what remote callers reach. The registered type (or the
// factory's result) must implement I. RegisterAs is the shorthand for Register.
func WithInterface[I any]() RegisterOption {
	it := reflect.TypeFor[I]()
	return func(o *registerOptions) { o.iface = it }
}

// RegisterAs registers obj on d exposing only the methods of interface I: the recommended
// way for servers, since the published surface is the interface, not whatever methods the
// type happens to have.
//
//	uri, err := pyro.RegisterAs[Greeter](d, &greeter{}, pyro.WithID("example.greeter"))
func RegisterAs[I any](d *Daemon, obj I, opts ...RegisterOption) (URI, error) {
	return d.Register(obj, append(opts, WithInterface[I]())...)
}

// onlyInterface restricts the exposure options to iface's methods, after checking typ
// implements it.
func (o *registerOptions) onlyInterface(typ reflect.Type) error {
	if o.iface == nil {
		return nil
	}
	if o.iface.Kind() != reflect.Interface {
		return &RegisterError{Type: typ, Problems: []string{"WithInterface[" + o.iface.String() + "]: not an interface type"}}
	}
	if !typ.Implements(o.iface) {
		why := "it does not implement " + o.iface.String()
		if typ.Kind() != reflect.Pointer && typ.Kind() != reflect.Interface && reflect.PointerTo(typ).Implements(o.iface) {
			why += " (*" + typ.String() + " does: register a pointer)"
		}
		return &RegisterError{Type: typ, Problems: []string{why}}
	}
	o.only = make(map[string]bool, o.iface.NumMethod())
	for i := range o.iface.NumMethod() {
		o.only[o.iface.Method(i).Name] = true
	}
	o.exposeOptions.iface = o.iface
	return nil
}
