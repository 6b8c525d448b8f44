package pyval

import (
	"errors"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Marshaler is implemented by Go types that choose their own Python form. MarshalPython returns
// any Go value; [FromGo] converts the result in turn, so returning a struct, a map or a canonical
// value all work.
type Marshaler interface {
	MarshalPython() (any, error)
}

// Unmarshaler is implemented (on a pointer receiver) by Go types that read themselves from a
// canonical Python value. [ToGo] calls it instead of its own rules, also for None.
type Unmarshaler interface {
	UnmarshalPython(v any) error
}

// Raw is a Go variable, field or element type that receives the canonical value unconverted:
// decoding into a Raw (or []Raw, map[string]Raw, a struct field of type Raw) keeps *Dict, Tuple,
// *Set and *big.Int as they are, where decoding into any would give Go maps and slices.
//
// Raw only marks a decoding target; it tells nothing about a value at run time. Being an empty
// interface, every value is a Raw: in a type switch `case Raw:` matches whatever reached it (as
// `case any:` would), and v.(Raw) never fails. Switch on the canonical forms it holds instead
// (Tuple, []any, *Dict, ...).
type Raw interface{}

// ConvertError reports a value that could not be converted, and where it sits.
type ConvertError struct {
	// Path locates the offending value inside the converted one, e.g. `["EUR"]` or `.Rates[2]`;
	// it is empty for the converted value itself. Dict keys and indexes are written in
	// brackets, Go struct fields after a dot. A caller that names the converted value prepends
	// that name, as an RPC layer does to read `args[1]["EUR"]: cannot use str as float64`:
	//
	//	if ce, ok := err.(*ConvertError); ok {
	//		ce.Path = "args[1]" + ce.Path
	//	}
	Path string
	// Value is the Python type name of the offending value (ToGo), or its Go type (FromGo).
	Value string
	// Type is the Go type involved: the target type for ToGo, the source type for FromGo.
	Type reflect.Type
	// Msg says what went wrong, e.g. "cannot use str as float64".
	Msg string
	// Err is the underlying cause, if any (an Unmarshaler's or Marshaler's error, a parse error).
	Err error
}

// Error formats the error as `path: message`, without a package prefix, since the RPC layer
// passes it on to the remote caller.
func (e *ConvertError) Error() string {
	msg := e.Msg
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	if e.Path == "" {
		return msg
	}
	return e.Path + ": " + msg
}

// Unwrap returns the cause.
func (e *ConvertError) Unwrap() error { return e.Err }

// ErrTooDeep is the cause of a [ConvertError] for values nested deeper than [MaxConvertDepth],
// which in practice means a cyclic Go value.
var ErrTooDeep = errors.New("nesting too deep (cyclic value?)")

// MaxConvertDepth bounds the nesting of containers, pointers and Marshaler results that FromGo
// and ToGo follow; it equals serializer.MaxDepth so whatever a codec accepts converts.
const MaxConvertDepth = 1000

// errPath prefixes the location seg to err when it is a *ConvertError. Errors gain their path
// while the recursion unwinds, so the success path never builds path strings.
func errPath(err error, seg string) error {
	var ce *ConvertError
	if errors.As(err, &ce) {
		switch {
		case len(ce.Path) < maxPathLen:
			ce.Path = seg + ce.Path
		case !strings.HasPrefix(ce.Path, "..."):
			ce.Path = "..." + ce.Path // a runaway (cyclic) path keeps its innermost part
		}
	}
	return err
}

// maxPathLen caps the path of an error from a deep (usually cyclic) value.
const maxPathLen = 200

func indexSeg(i int) string { return "[" + strconv.Itoa(i) + "]" }

func keySeg(k any) string {
	if s, ok := k.(string); ok {
		return "[" + strconv.Quote(s) + "]"
	}
	return "[" + Repr(k) + "]"
}

func tooDeep(t reflect.Type, value string) error {
	return &ConvertError{Value: value, Type: t, Msg: "cannot convert", Err: ErrTooDeep}
}

var (
	marshalerType       = reflect.TypeFor[Marshaler]()
	unmarshalerType     = reflect.TypeFor[Unmarshaler]()
	rawType             = reflect.TypeFor[Raw]()
	errorType           = reflect.TypeFor[error]()
	textMarshalerType   = reflect.TypeFor[interface{ MarshalText() ([]byte, error) }]()
	textUnmarshalerType = reflect.TypeFor[interface{ UnmarshalText([]byte) error }]()
)

// field is one Go struct field as seen from Python: a str key of the dict.
type field struct {
	name      string // the dict key: tag name or Go field name
	fold      string // name lowercased with underscores removed, for lenient matching
	index     []int  // path through embedded structs
	typ       reflect.Type
	omitEmpty bool
	omitZero  bool
	tagged    bool
}

// structFields is the parsed field list of a struct type, with lookups for decoding.
type structFields struct {
	list   []field
	byName map[string]int
	byFold map[string]int
}

var fieldCache sync.Map // reflect.Type -> *structFields

func cachedFields(t reflect.Type) *structFields {
	if f, ok := fieldCache.Load(t); ok {
		return f.(*structFields)
	}
	f, _ := fieldCache.LoadOrStore(t, typeFields(t))
	return f.(*structFields)
}

// typeFields lists the fields of struct type t, flattening embedded structs the way
// encoding/json does: a shallower field hides deeper ones of the same name, and among fields at
// the same depth a tagged one wins; an unresolved tie drops the name altogether.
func typeFields(t reflect.Type) *structFields {
	var found []candidate
	type walk struct {
		t     reflect.Type
		index []int
	}
	current := []walk{{t: t}}
	visited := map[reflect.Type]bool{}
	for depth := 0; len(current) > 0; depth++ {
		var next []walk
		for _, w := range current {
			if visited[w.t] {
				continue
			}
			visited[w.t] = true
			for i := 0; i < w.t.NumField(); i++ {
				sf := w.t.Field(i)
				tag := sf.Tag.Get("pyro")
				if tag == "-" {
					continue
				}
				ft := sf.Type
				if sf.Anonymous {
					et := ft
					if et.Kind() == reflect.Pointer {
						et = et.Elem()
					}
					if !sf.IsExported() && et.Kind() != reflect.Struct {
						continue
					}
				} else if !sf.IsExported() {
					continue
				}
				name, opts, _ := strings.Cut(tag, ",")
				index := make([]int, len(w.index)+1)
				copy(index, w.index)
				index[len(w.index)] = i
				// An untagged embedded struct is flattened into its parent.
				if sf.Anonymous && name == "" {
					et := ft
					if et.Kind() == reflect.Pointer {
						et = et.Elem()
					}
					if et.Kind() == reflect.Struct {
						next = append(next, walk{t: et, index: index})
						continue
					}
				}
				if !sf.IsExported() {
					continue
				}
				tagged := name != ""
				if !tagged {
					name = sf.Name
				}
				found = append(found, candidate{field{
					name:      name,
					fold:      foldName(name),
					index:     index,
					typ:       ft,
					omitEmpty: hasOpt(opts, "omitempty"),
					omitZero:  hasOpt(opts, "omitzero"),
					tagged:    tagged,
				}, depth})
			}
		}
		current = next
	}

	// Resolve duplicate names: keep the dominant field, in the order fields were found.
	byName := map[string][]int{}
	for i, c := range found {
		byName[c.name] = append(byName[c.name], i)
	}
	sf := &structFields{byName: map[string]int{}, byFold: map[string]int{}}
	for i, c := range found {
		if dominates(found, byName[c.name], i) {
			sf.list = append(sf.list, c.field)
		}
	}
	// Source order, embedded fields where their struct is embedded, as encoding/json does.
	slices.SortFunc(sf.list, func(a, b field) int { return slices.Compare(a.index, b.index) })
	for i, f := range sf.list {
		sf.byName[f.name] = i
		if _, dup := sf.byFold[f.fold]; !dup {
			sf.byFold[f.fold] = i
		}
	}
	return sf
}

// candidate is a field found while walking embedded structs, at its embedding depth.
type candidate struct {
	field
	depth int
}

// dominates reports whether candidate i beats all others sharing its name (listed in idx).
func dominates(found []candidate, idx []int, i int) bool {
	for _, j := range idx {
		if j == i {
			continue
		}
		a, b := found[i], found[j]
		switch {
		case a.depth < b.depth:
		case a.depth > b.depth:
			return false
		case a.tagged && !b.tagged:
		default:
			return false
		}
	}
	return true
}

func hasOpt(opts, want string) bool {
	for opts != "" {
		var o string
		o, opts, _ = strings.Cut(opts, ",")
		if o == want {
			return true
		}
	}
	return false
}

// foldName lowercases name and drops underscores, so that "exchange_rate", "ExchangeRate" and
// "exchangeRate" meet.
func foldName(name string) string {
	var b strings.Builder
	for _, r := range name {
		if r == '_' {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// lookupFold finds a field by folded name without allocating for short ASCII keys.
func (sf *structFields) lookupFold(key string) (int, bool) {
	var buf [64]byte
	if len(key) <= len(buf) {
		n := 0
		ascii := true
		for i := 0; i < len(key); i++ {
			c := key[i]
			if c >= utf8.RuneSelf {
				ascii = false
				break
			}
			if c == '_' {
				continue
			}
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			buf[n] = c
			n++
		}
		if ascii {
			i, ok := sf.byFold[string(buf[:n])]
			return i, ok
		}
	}
	i, ok := sf.byFold[foldName(key)]
	return i, ok
}
