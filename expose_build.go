package pyro

import (
	"encoding"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/gopyro/pyro/pyval"
)

// exposeOptions are the registration knobs that shape the method table.
type exposeOptions struct {
	names     map[string]string       // Go method name → exposed name
	oneway    map[string]bool         // by any name the method answers to
	params    map[string][]string     // by Go name: keyword parameter names
	hidden    map[string]bool         // Go names not exposed
	attrs     map[string]bool         // Go getters exposed as attributes even without a setter
	only      map[string]bool         // when set, the only Go names exposed (WithInterface)
	protoOnly map[string]WireProtocol // Go names exposed to one protocol's clients only (WithProtocolOnly)
	iface     reflect.Type            // the interface only came from, for messages
	naming    func(string) string     // nil: SnakeCase
	className string
	factory   bool // the type is a factory's result, for messages
}

// builder builds one exposedType, collecting every problem it finds so that a registration
// error lists them all at once.
type builder struct {
	typ      reflect.Type
	opts     exposeOptions
	et       *exposedType
	all      map[string]*exposedMethod // candidate methods by Go name, before attributes
	bad      map[string]bool           // Go names refused for their signature
	ptrOnly  []string                  // methods only the pointer type has
	owners   map[string]string         // every name the table answers to → Go name
	problems []string
}

// buildExposed walks typ's method set. typ is the type of the registered value (usually a
// pointer) or the factory's result (an interface type too). Every exported method is exposed
// unless hidden, reserved or outside WithInterface's interface; a method whose signature
// cannot be called from Python, an option naming no exposed method, and two methods exposed
// under one name are errors, all reported in one *RegisterError.
func buildExposed(typ reflect.Type, opts exposeOptions) (*exposedType, error) {
	if opts.naming == nil {
		opts.naming = SnakeCase
	}
	class := opts.className
	if class == "" {
		class = typ.Name()
		if typ.Kind() == reflect.Pointer {
			class = typ.Elem().Name()
		}
	}
	b := &builder{
		typ: typ, opts: opts, all: map[string]*exposedMethod{}, bad: map[string]bool{}, owners: map[string]string{},
		et: &exposedType{typ: typ, class: class, methods: map[string]*exposedMethod{}, attrs: map[string]*exposedAttr{}},
	}
	b.inspectMethods()
	b.checkPointerReceivers()
	b.buildAttributes()
	b.buildMethods()
	b.checkOptions()
	et := b.et
	slices.Sort(et.meta.Methods)
	slices.Sort(et.meta.Oneway)
	slices.Sort(et.meta.Attrs)
	for _, m := range et.protoMeta {
		slices.Sort(m.Methods)
		slices.Sort(m.Oneway)
		slices.Sort(m.Attrs)
	}
	if len(b.problems) == 0 && len(et.meta.Methods) == 0 && len(et.meta.Attrs) == 0 {
		// A Python proxy refuses an object that exposes nothing.
		b.problems = append(b.problems, "it exposes no methods or attributes")
	}
	if len(b.problems) > 0 {
		return nil, &RegisterError{Type: typ, Problems: b.problems}
	}
	return et, nil
}

func (b *builder) problem(format string, args ...any) {
	b.problems = append(b.problems, fmt.Sprintf(format, args...))
}

// reservedMethods are Go conventions that are not remote methods.
var reservedMethods = map[string]bool{"MarshalPython": true, "UnmarshalPython": true}

// excluded reports whether an exported method is left out by the options.
func (b *builder) excluded(goName string) bool {
	return b.opts.hidden[goName] || reservedMethods[goName] || b.opts.only != nil && !b.opts.only[goName]
}

func (b *builder) inspectMethods() {
	for i := range b.typ.NumMethod() {
		m := b.typ.Method(i)
		if !m.IsExported() || b.excluded(m.Name) {
			continue
		}
		fn, ft := methodFunc(b.typ, m)
		em, why := inspectMethod(fn, ft, i)
		if why != "" {
			b.bad[m.Name] = true
			b.problem("method %s %s; hide it with pyro.WithHidden(%q)", m.Name, why, m.Name)
			continue
		}
		em.goName = m.Name
		b.all[m.Name] = em
	}
}

// methodFunc returns m as a func taking the receiver first. An interface type's methods have
// no such func, so one is made that calls through the interface value.
func methodFunc(typ reflect.Type, m reflect.Method) (reflect.Value, reflect.Type) {
	if typ.Kind() != reflect.Interface {
		return m.Func, m.Type
	}
	in := []reflect.Type{typ}
	for i := range m.Type.NumIn() {
		in = append(in, m.Type.In(i))
	}
	out := make([]reflect.Type, m.Type.NumOut())
	for i := range out {
		out[i] = m.Type.Out(i)
	}
	ft := reflect.FuncOf(in, out, m.Type.IsVariadic())
	index := m.Index
	fn := reflect.MakeFunc(ft, func(args []reflect.Value) []reflect.Value {
		method := args[0].Method(index)
		if ft.IsVariadic() {
			return method.CallSlice(args[1:])
		}
		return method.Call(args[1:])
	})
	return fn, ft
}

// inspectMethod reads a method's signature (ft takes the receiver first). It returns why the
// method cannot be exposed, completing "method Foo ...", when it cannot.
func inspectMethod(fn reflect.Value, ft reflect.Type, index int) (*exposedMethod, string) {
	em := &exposedMethod{index: index, fn: fn, variadic: ft.IsVariadic()}
	in := 1 // skip the receiver
	if ft.NumIn() > 1 && ft.In(1) == contextType {
		em.hasCtx = true
		in = 2
	}
	for ; in < ft.NumIn(); in++ {
		t := ft.In(in)
		if t == contextType {
			return nil, "takes a context.Context after other parameters: make it the first"
		}
		conv := t
		if em.variadic && in == ft.NumIn()-1 {
			conv = t.Elem()
		}
		if noPythonForm(conv, true) {
			return nil, fmt.Sprintf("takes a %s, which no Python value converts to", t)
		}
		em.params = append(em.params, t)
		em.proxies = append(em.proxies, holdsProxy(t))
	}
	switch ft.NumOut() {
	case 0:
	case 1:
		if ft.Out(0) == errorType {
			em.returnsErr = true
		} else {
			em.hasResult = true
		}
	case 2:
		if ft.Out(1) != errorType {
			return nil, fmt.Sprintf("returns (%s, %s): a second result must be error", ft.Out(0), ft.Out(1))
		}
		em.hasResult, em.returnsErr = true, true
	default:
		return nil, fmt.Sprintf("returns %d values: return T, (T, error), error or nothing", ft.NumOut())
	}
	if em.hasResult {
		t := ft.Out(0)
		em.stream = streamKindOf(t)
		if em.stream == notStream && noPythonForm(t, false) {
			return nil, fmt.Sprintf("returns a %s, which has no Python form (streams are iter.Seq[T], iter.Seq2[T, error] and receive channels)", t)
		}
	}
	return em, ""
}

var (
	unmarshalerType     = reflect.TypeFor[pyval.Unmarshaler]()
	marshalerType       = reflect.TypeFor[pyval.Marshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	textMarshalerType   = reflect.TypeFor[encoding.TextMarshaler]()
)

// noPythonForm reports whether values of t cannot travel at all: channels, funcs and unsafe
// pointers, also as the elements of pointers, slices, arrays and maps, unless the type
// converts itself (UnmarshalPython or UnmarshalText when toGo, MarshalPython or MarshalText
// otherwise). Struct fields are pyval's business.
func noPythonForm(t reflect.Type, toGo bool) bool {
	for range 16 { // named types can nest forever: type L []L
		pt := reflect.PointerTo(t)
		if toGo && (pt.Implements(unmarshalerType) || pt.Implements(textUnmarshalerType)) ||
			!toGo && (pt.Implements(marshalerType) || pt.Implements(textMarshalerType)) {
			return false
		}
		switch t.Kind() {
		case reflect.Chan, reflect.Func, reflect.UnsafePointer:
			return true
		case reflect.Map:
			if noPythonForm(t.Key(), toGo) {
				return true
			}
			t = t.Elem()
		case reflect.Pointer, reflect.Slice, reflect.Array:
			t = t.Elem()
		default:
			return false
		}
	}
	return false
}

// streamKindOf recognises iterators and channels, whose values stream to the caller.
func streamKindOf(t reflect.Type) streamKind {
	switch t.Kind() {
	case reflect.Chan:
		if t.ChanDir()&reflect.RecvDir != 0 {
			return streamChan
		}
	case reflect.Func:
		if t.NumIn() != 1 || t.NumOut() != 0 {
			return notStream
		}
		yield := t.In(0)
		if yield.Kind() != reflect.Func || yield.NumOut() != 1 || yield.Out(0) != boolType {
			return notStream
		}
		switch {
		case yield.NumIn() == 1:
			return streamSeq
		case yield.NumIn() == 2 && yield.In(1) == errorType:
			return streamSeq2
		}
	}
	return notStream
}

// checkPointerReceivers catches Register(T{}) when T's methods have pointer receivers: the
// value's method set lacks them, and they would silently not be exposed.
func (b *builder) checkPointerReceivers() {
	if k := b.typ.Kind(); k == reflect.Pointer || k == reflect.Interface {
		return
	}
	pt := reflect.PointerTo(b.typ)
	for i := range pt.NumMethod() {
		name := pt.Method(i).Name
		if _, ok := b.typ.MethodByName(name); !ok && !b.excluded(name) {
			b.ptrOnly = append(b.ptrOnly, name)
		}
	}
	if len(b.ptrOnly) == 0 {
		return
	}
	what := fmt.Sprintf("method %s has a pointer receiver", b.ptrOnly[0])
	if len(b.ptrOnly) > 1 {
		what = fmt.Sprintf("methods %s have pointer receivers", joinList(b.ptrOnly))
	}
	fix := "register a pointer (&" + b.typ.Name() + "{})"
	if b.typ.Kind() != reflect.Struct || b.typ.Name() == "" {
		fix = "register a *" + b.typ.String()
	}
	if b.opts.factory {
		fix = "make the factory return *" + b.typ.String()
	}
	b.problem("%s, which a %s value lacks: %s", what, b.typ, fix)
}

// buildAttributes turns Foo()/SetFoo(v) pairs, and getters named by WithAttributes, into
// attributes (read-only unless a setter exists).
func (b *builder) buildAttributes() {
	for _, goName := range sortedNames(b.all) {
		get := b.all[goName]
		if get == nil || !isGetter(get) { // nil: a setter taken by its getter already
			continue
		}
		// A getter returning a stream (Pyro5's property returning an iterator) is an attribute
		// only by WithAttributes, and read-only.
		if get.stream != notStream && !b.opts.attrs[goName] {
			continue
		}
		set, hasSet := b.all["Set"+goName]
		if hasSet && (get.stream != notStream || len(set.params) != 1 || set.variadic || set.hasResult) {
			hasSet = false
		}
		if !hasSet && !b.opts.attrs[goName] {
			continue
		}
		name := b.exposedName(goName)
		a := &exposedAttr{name: name, get: get}
		b.own(name, goName)
		if hasSet {
			a.set, a.setTyp = set, set.params[0]
			delete(b.all, "Set"+goName)
		}
		b.et.attrs[name] = a
		b.et.attrs[goName] = a
		b.et.meta.Attrs = append(b.et.meta.Attrs, name)
		delete(b.all, goName)
	}
}

func isGetter(m *exposedMethod) bool {
	return len(m.params) == 0 && !m.hasCtx && m.hasResult
}

func (b *builder) buildMethods() {
	for _, goName := range sortedNames(b.all) {
		em := b.all[goName]
		em.name = b.exposedName(goName)
		_, protoOnly := b.opts.protoOnly[goName]
		if protoOnly {
			b.checkExposedName(em.name, goName)
		} else {
			b.own(em.name, goName)
		}
		em.qualName = b.et.class + "." + em.name
		em.oneway = b.opts.oneway[goName] || b.opts.oneway[em.name]
		if names, ok := b.opts.params[goName]; ok {
			if len(names) == len(em.params) {
				em.paramNames = names
			} else {
				b.problem("WithParams(%q): %d names given, the method has %d parameters", goName, len(names), len(em.params))
			}
		}
		if protoOnly {
			b.addProtoMethod(b.opts.protoOnly[goName], goName, em)
			continue
		}
		b.et.methods[goName] = em
		b.et.methods[em.name] = em
		b.et.meta.Methods = append(b.et.meta.Methods, em.name)
		if em.oneway {
			b.et.meta.Oneway = append(b.et.meta.Oneway, em.name)
		}
	}
	b.finishProtoMeta()
}

// addProtoMethod puts a method exposed to protocol p's clients only (WithProtocolOnly) in p's
// own table. Two such methods, one per protocol, may share an exposed name.
func (b *builder) addProtoMethod(p WireProtocol, goName string, em *exposedMethod) {
	if p != Pyro4 && p != Pyro5 {
		b.problem("WithProtocolOnly(%v, %q): the protocol must be Pyro4 or Pyro5", p, goName)
		return
	}
	if b.et.byProto == nil {
		b.et.byProto = map[WireProtocol]map[string]*exposedMethod{}
		b.et.protoMeta = map[WireProtocol]*metadata{}
	}
	t := b.et.byProto[p]
	if t == nil {
		t = map[string]*exposedMethod{}
		b.et.byProto[p] = t
		b.et.protoMeta[p] = &metadata{}
	}
	for _, n := range []string{goName, em.name} {
		if other, taken := t[n]; taken && other != em {
			b.problem("methods %s and %s are both exposed to %v clients as %q: rename one with pyro.WithName", other.goName, goName, p, n)
		}
		t[n] = em
	}
	m := b.et.protoMeta[p]
	m.Methods = append(m.Methods, em.name)
	if em.oneway {
		m.Oneway = append(m.Oneway, em.name)
	}
}

// finishProtoMeta completes each protocol's metadata with the methods every client sees,
// and checks that no protocol-only method takes the name of one of those.
func (b *builder) finishProtoMeta() {
	for _, p := range []WireProtocol{Pyro4, Pyro5} {
		m := b.et.protoMeta[p]
		if m == nil {
			continue
		}
		for n, em := range b.et.byProto[p] {
			if common := b.et.methods[n]; common != nil || b.et.attrs[n] != nil {
				b.problem("method %s is exposed to %v clients as %q, which every client already reaches", em.goName, p, n)
			}
		}
		m.Methods = append(m.Methods, b.et.meta.Methods...)
		m.Oneway = append(m.Oneway, b.et.meta.Oneway...)
		m.Attrs = append(m.Attrs, b.et.meta.Attrs...)
	}
}

func (b *builder) exposedName(goName string) string {
	if n, ok := b.opts.names[goName]; ok {
		return n
	}
	return b.opts.naming(goName)
}

// own records that goName's method or attribute answers to name (and to goName), reporting
// two of them claiming one name, and names no caller could use.
func (b *builder) own(name, goName string) {
	b.checkExposedName(name, goName)
	for _, n := range []string{goName, name} {
		if other, taken := b.owners[n]; taken && other != goName {
			b.problem("methods %s and %s are both exposed as %q: rename one with pyro.WithName", other, goName, n)
			continue
		}
		b.owners[n] = goName
	}
}

// checkExposedName refuses a name no caller could use.
func (b *builder) checkExposedName(name, goName string) {
	switch {
	case name == "":
		b.problem("method %s is exposed under the empty name: fix the naming policy or its WithName", goName)
	case isPrivate(name):
		b.problem("method %s would be exposed as %q, which Pyro4 treats as private, so no caller could reach it", goName, name)
	}
}

func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func joinList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
