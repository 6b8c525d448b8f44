package pyro

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// RegisterError is why Register, RegisterAs or RegisterFactory refused a type: every problem
// found in its methods and in the options, each saying how to fix it, so one run shows them
// all. Use errors.As to inspect it.
type RegisterError struct {
	// Type is the registered Go type (a factory's result type for RegisterFactory).
	Type reflect.Type
	// Problems are the complaints, one per method or option, such as
	// `WithOneway("Typo"): *app.Store has no method Typo`.
	Problems []string
}

// Error lists the problems after the type: "pyro: cannot register *app.Store: a; b".
func (e *RegisterError) Error() string {
	return "pyro: cannot register " + e.Type.String() + ": " + strings.Join(e.Problems, "; ")
}

// checkOptions reports option arguments that name no exposed method: a typo in WithOneway or
// WithParams would otherwise be ignored and surface only as a misbehaving remote call.
func (b *builder) checkOptions() {
	o := b.opts
	for _, goName := range sortedNames(o.names) {
		if !b.isMethod(goName) && !b.isAttr(goName) {
			b.unknown(`WithName("`+goName+`", "`+o.names[goName]+`")`, goName)
		}
	}
	for _, name := range sortedNames(o.oneway) {
		switch {
		case b.et.methods[name] != nil, b.et.byProto[Pyro4][name] != nil, b.et.byProto[Pyro5][name] != nil:
		case b.et.attrs[name] != nil:
			b.problem("WithOneway(%q): %s is an attribute, not a method", name, name)
		default:
			b.unknown(`WithOneway("`+name+`")`, name)
		}
	}
	for _, goName := range sortedNames(o.params) {
		switch {
		case b.isMethod(goName):
		case b.isAttr(goName):
			b.problem("WithParams(%q): %s is an attribute, not a method", goName, goName)
		default:
			b.unknown(`WithParams("`+goName+`", ...)`, goName)
		}
	}
	for _, goName := range sortedNames(o.protoOnly) {
		if !b.isMethod(goName) {
			b.unknown(fmt.Sprintf("WithProtocolOnly(%v, %q)", o.protoOnly[goName], goName), goName)
		}
	}
	for _, goName := range sortedNames(o.hidden) {
		if _, ok := b.typ.MethodByName(goName); !ok && !slices.Contains(b.ptrOnly, goName) && !b.ptrHas(goName) {
			b.unknown(`WithHidden("`+goName+`")`, goName)
		}
	}
	for _, goName := range sortedNames(o.attrs) {
		switch {
		case b.isAttr(goName):
		case b.isMethod(goName):
			b.problem("WithAttributes(%q): %s is not a getter: an attribute's getter takes no parameters (no context either) and returns a value", goName, goName)
		default:
			b.unknown(`WithAttributes("`+goName+`")`, goName)
		}
	}
}

// isMethod and isAttr report whether goName is the Go name of an exposed method or attribute.
func (b *builder) isMethod(goName string) bool {
	for _, t := range []map[string]*exposedMethod{b.et.methods, b.et.byProto[Pyro4], b.et.byProto[Pyro5]} {
		if m := t[goName]; m != nil && m.goName == goName {
			return true
		}
	}
	return false
}

func (b *builder) isAttr(goName string) bool {
	a := b.et.attrs[goName]
	return a != nil && a.get.goName == goName
}

func (b *builder) ptrHas(goName string) bool {
	if b.typ.Kind() == reflect.Pointer || b.typ.Kind() == reflect.Interface {
		return false
	}
	_, ok := reflect.PointerTo(b.typ).MethodByName(goName)
	return ok
}

// unknown reports an option naming no exposed method, saying why the name is not exposed or
// which Go name was probably meant.
func (b *builder) unknown(opt, name string) {
	if slices.Contains(b.ptrOnly, name) || b.bad[name] {
		return // the method's own problem is reported already
	}
	if _, ok := b.typ.MethodByName(name); ok {
		switch {
		case reservedMethods[name]:
			b.problem("%s: %s is never exposed", opt, name)
		case b.opts.hidden[name]:
			b.problem("%s: %s is hidden by pyro.WithHidden", opt, name)
		case b.opts.only != nil && !b.opts.only[name]:
			b.problem("%s: %s is not a method of %s, so it is not exposed", opt, name, b.opts.iface)
		case strings.HasPrefix(name, "Set") && b.isAttr(name[3:]):
			b.problem("%s: %s is the setter of the attribute %q", opt, name, b.et.attrs[name[3:]].name)
		default:
			b.problem("%s: %s is not exposed", opt, name)
		}
		return
	}
	for i := range b.typ.NumMethod() {
		goName := b.typ.Method(i).Name
		if b.excluded(goName) {
			continue
		}
		if name == b.exposedName(goName) || name == SnakeCase(goName) || name == CamelCase(goName) || strings.EqualFold(name, goName) {
			b.problem("%s: no method %s; give the Go name %q", opt, name, goName)
			return
		}
	}
	b.problem("%s: %s has no method %s", opt, b.typ, name)
}
