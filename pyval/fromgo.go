package pyval

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"
)

// listOf converts a common slice type to a list without reflection; nil is the empty list.
func listOf[T any](x []T, conv func(T) any) any {
	l := make([]any, len(x))
	for i, e := range x {
		l[i] = conv(e)
	}
	return l
}

// dictOf converts a common str-keyed map type to a dict without reflection, keys sorted;
// nil is the empty dict.
func dictOf[V any](x map[string]V, conv func(V) any) any {
	items := make([]Item, 0, len(x))
	for _, k := range sortedKeys(x) {
		items = append(items, Item{k, conv(x[k])})
	}
	return dictOfItems(items)
}

// FromGo converts a Go value into its canonical Python form (see the package documentation for
// the canonical forms). Canonical values pass through unchanged; containers are rebuilt only
// when something inside them needs converting.
//
//	Go                                  Python
//	nil, nil pointer or interface       None
//	nil slice, nil map                  the empty list, bytes, dict or set (what a Python
//	                                    method returns for "nothing"), never None
//	bool                                bool
//	int*, uint*                         int (int64, *big.Int above MaxInt64)
//	float32, float64                    float
//	complex64, complex128               complex
//	string                              str
//	[]byte, [N]byte (any byte kind)     bytes
//	other slices and arrays             list
//	map[K]V                             dict, keys sorted (arrays as keys become tuples)
//	map[K]struct{}                      set
//	struct                              dict of str keys, see below
//	pointer, interface                  what they point to
//	time.Time                           datetime, unchanged: a canonical form, which the msgpack
//	                                    codec sends as a datetime and the others as the str
//	                                    ISOFormat gives: 2024-01-02T03:04:05.000600+00:00
//	Date                                date, unchanged (msgpack: a date; others: "2024-01-02")
//	time.Duration                       float seconds (serpent's form of a timedelta)
//	big.Int                             int
//	big.Float                           str of the exact decimal, e.g. "1.25" (serpent's form of
//	                                    a Decimal; decimal.Decimal(s) reads it back exactly)
//	big.Rat                             str "a/b" or "a" (fractions.Fraction(s) reads it back)
//	Marshaler                           whatever MarshalPython returns, converted
//	encoding.TextMarshaler              str
//
// A struct becomes a dict keyed by its exported field names, in source order, with the fields
// of untagged embedded structs flattened into it as encoding/json does. The tag
// `pyro:"name,omitempty"` renames a field and drops it when empty (false, 0, "", nil, empty
// slice or map); `pyro:",omitzero"` drops it when it is the zero value; `pyro:"-"` leaves it out.
// Methods with pointer receivers (Marshaler, TextMarshaler) are used when the value is
// addressable, as in encoding/json, and for the top-level value.
//
// Channels, functions, unsafe pointers and error values (unless they implement Marshaler) are
// refused with a *ConvertError, as are values nested deeper than MaxConvertDepth (cycles).
func FromGo(v any) (any, error) {
	out, _, err := fromAny(v, 0, nil)
	return out, err
}

// fromAny returns the canonical form of v and whether it differs from v, so that callers
// holding a canonical container can keep it instead of copying.
func fromAny(v any, depth int, st *encState) (any, bool, error) {
	switch x := v.(type) {
	case nil:
		return nil, false, nil
	case bool, int64, float64, complex128, string:
		return v, false, nil
	case int:
		return int64(x), true, nil
	case int32:
		return int64(x), true, nil
	case int16:
		return int64(x), true, nil
	case int8:
		return int64(x), true, nil
	case uint8:
		return int64(x), true, nil
	case uint16:
		return int64(x), true, nil
	case uint32:
		return int64(x), true, nil
	case uint:
		return fromUint(uint64(x)), true, nil
	case uint64:
		return fromUint(x), true, nil
	case float32:
		return float64(x), true, nil
	case complex64:
		return complex128(x), true, nil
	case []byte:
		if x == nil {
			return []byte{}, true, nil
		}
		return v, false, nil
	case *big.Int:
		if x == nil {
			return nil, true, nil
		}
		if x.IsInt64() {
			return x.Int64(), true, nil
		}
		return v, false, nil
	case []any:
		if x == nil {
			return []any{}, true, nil
		}
		out, changed, err := fromList(x, depth, st)
		if changed {
			return out, true, err
		}
		return v, false, err
	case Tuple:
		if x == nil {
			return Tuple{}, true, nil
		}
		out, changed, err := fromList(x, depth, st)
		if changed {
			return Tuple(out), true, err
		}
		return v, false, err
	case *Dict:
		if x == nil {
			return nil, true, nil
		}
		return fromDict(x, depth, st)
	case *Set:
		if x == nil {
			return nil, true, nil
		}
		return fromSet(x, depth, st)
	case Dict: // a Dict or Set held by value (the canonical form is the pointer)
		out, _, err := fromDict(&x, depth, st)
		return out, true, err
	case Set:
		out, _, err := fromSet(&x, depth, st)
		return out, true, err
	case []string:
		return listOf(x, func(s string) any { return s }), true, nil
	case []int:
		return listOf(x, func(n int) any { return int64(n) }), true, nil
	case []int64:
		return listOf(x, func(n int64) any { return n }), true, nil
	case []float64:
		return listOf(x, func(f float64) any { return f }), true, nil
	case map[string]any:
		if depth >= MaxConvertDepth {
			return nil, true, tooDeep(reflect.TypeOf(v), "")
		}
		items := make([]Item, 0, len(x))
		for _, k := range sortedKeys(x) {
			c, _, err := fromAny(x[k], depth+1, st)
			if err != nil {
				return nil, true, errPath(err, keySeg(k))
			}
			items = append(items, Item{k, c})
		}
		return dictOfItems(items), true, nil
	case map[string]string:
		return dictOf(x, func(s string) any { return s }), true, nil
	case map[string]float64:
		return dictOf(x, func(f float64) any { return f }), true, nil
	case map[string]int:
		return dictOf(x, func(n int) any { return int64(n) }), true, nil
	case time.Time, Date:
		return v, false, nil
	case time.Duration:
		return x.Seconds(), true, nil
	}
	rv := reflect.ValueOf(v)
	// Make the top-level value addressable when only its pointer has MarshalPython.
	if rv.Kind() != reflect.Pointer && !rv.Type().Implements(marshalerType) &&
		reflect.PointerTo(rv.Type()).Implements(marshalerType) {
		p := reflect.New(rv.Type()).Elem()
		p.Set(rv)
		rv = p
	}
	out, err := typeEncoder(rv.Type())(rv, depth, st)
	return out, true, err
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func fromUint(u uint64) any {
	if u > math.MaxInt64 {
		return new(big.Int).SetUint64(u)
	}
	return int64(u)
}

// dictOfItems makes a dict of items whose keys are known to be distinct, skipping Set's lookups.
func dictOfItems(items []Item) *Dict {
	d := &Dict{items: items}
	if len(items) > indexThreshold {
		d.buildIndex()
	}
	return d
}

func fromList(x []any, depth int, st *encState) ([]any, bool, error) {
	if depth >= MaxConvertDepth {
		return nil, true, tooDeep(reflect.TypeOf(x), "")
	}
	var out []any
	for i, e := range x {
		c, changed, err := fromAny(e, depth+1, st)
		if err != nil {
			return nil, true, errPath(err, indexSeg(i))
		}
		if changed && out == nil {
			out = make([]any, len(x))
			copy(out, x[:i])
		}
		if out != nil {
			out[i] = c
		}
	}
	if out == nil {
		return x, false, nil
	}
	return out, true, nil
}

func fromDict(d *Dict, depth int, st *encState) (any, bool, error) {
	if depth >= MaxConvertDepth {
		return nil, true, tooDeep(reflect.TypeOf(d), "")
	}
	var out *Dict
	for i, it := range d.items {
		k, kch, err := fromAny(it.Key, depth+1, st)
		if err != nil {
			return nil, true, errPath(err, keySeg(it.Key))
		}
		v, vch, err := fromAny(it.Value, depth+1, st)
		if err != nil {
			return nil, true, errPath(err, keySeg(it.Key))
		}
		if (kch || vch) && out == nil {
			out = NewDict(len(d.items))
			for _, prev := range d.items[:i] {
				out.Set(prev.Key, prev.Value)
			}
		}
		if out != nil {
			out.Set(k, v)
		}
	}
	if out == nil {
		return d, false, nil
	}
	return out, true, nil
}

func fromSet(s *Set, depth int, st *encState) (any, bool, error) {
	if depth >= MaxConvertDepth {
		return nil, true, tooDeep(reflect.TypeOf(s), "")
	}
	var out *Set
	for i, it := range s.d.items {
		k, changed, err := fromAny(it.Key, depth+1, st)
		if err != nil {
			return nil, true, errPath(err, keySeg(it.Key))
		}
		if changed && out == nil {
			out = &Set{Frozen: s.Frozen}
			for _, prev := range s.d.items[:i] {
				out.Add(prev.Key)
			}
		}
		if out != nil {
			out.Add(k)
		}
	}
	if out == nil {
		return s, false, nil
	}
	return out, true, nil
}

// encoderFunc converts a Go value of one type; depth counts the containers around it.
type encoderFunc func(v reflect.Value, depth int, st *encState) (any, error)

var encoderCache sync.Map // reflect.Type -> encoderFunc

// typeEncoder returns the cached encoder of t, building it on first use.
func typeEncoder(t reflect.Type) encoderFunc {
	return cachedPlan(&encoderCache, t, func(t reflect.Type) encoderFunc { return newTypeEncoder(t, true) },
		func(get func() encoderFunc) encoderFunc {
			return func(v reflect.Value, depth int, st *encState) (any, error) { return get()(v, depth, st) }
		})
}

// cachedPlan returns cache's plan for t, building it once. A recursive type meets itself while
// its plan is being built, so meanwhile the cache holds deferred(get), a plan that waits for
// the real one; concurrent builders of the same type share one build.
func cachedPlan[F any](cache *sync.Map, t reflect.Type, build func(reflect.Type) F, deferred func(get func() F) F) F {
	if f, ok := cache.Load(t); ok {
		return f.(F)
	}
	var (
		wg sync.WaitGroup
		f  F
	)
	wg.Add(1)
	fi, loaded := cache.LoadOrStore(t, deferred(func() F { wg.Wait(); return f }))
	if loaded {
		return fi.(F)
	}
	f = build(t)
	wg.Done()
	cache.Store(t, f)
	return f
}

var (
	timeType     = reflect.TypeFor[time.Time]()
	dateType     = reflect.TypeFor[Date]()
	durationType = reflect.TypeFor[time.Duration]()
	bigIntType   = reflect.TypeFor[big.Int]()
	bigFloatType = reflect.TypeFor[big.Float]()
	bigRatType   = reflect.TypeFor[big.Rat]()
	tupleType    = reflect.TypeFor[Tuple]()
	listType     = reflect.TypeFor[[]any]()
	dictPtrType  = reflect.TypeFor[*Dict]()
	setPtrType   = reflect.TypeFor[*Set]()
	dictType     = reflect.TypeFor[Dict]()
	setType      = reflect.TypeFor[Set]()
	bytesType    = reflect.TypeFor[[]byte]()
	anyType      = reflect.TypeFor[any]()
)

func newTypeEncoder(t reflect.Type, allowAddr bool) encoderFunc {
	// Pointers go to their element, whose encoder looks for methods on both receivers.
	methods := t.Kind() != reflect.Interface && t.Kind() != reflect.Pointer
	if methods {
		if t.Implements(marshalerType) {
			return marshalerEncoder(t)
		}
		if allowAddr && reflect.PointerTo(t).Implements(marshalerType) {
			return condAddrEncoder(marshalerEncoder(reflect.PointerTo(t)), newTypeEncoder(t, false))
		}
	}
	switch t {
	case timeType, dateType:
		return func(v reflect.Value, _ int, _ *encState) (any, error) { return v.Interface(), nil }
	case durationType:
		return func(v reflect.Value, _ int, _ *encState) (any, error) {
			return time.Duration(v.Int()).Seconds(), nil
		}
	case bigIntType, bigFloatType, bigRatType:
		// Their methods have pointer receivers; a copy shares the words, which is fine to read.
		pt := reflect.PointerTo(t)
		enc := bigEncoder(pt)
		return func(v reflect.Value, depth int, st *encState) (any, error) {
			if !v.CanAddr() {
				c := reflect.New(t).Elem()
				c.Set(v)
				v = c
			}
			return enc(v.Addr(), depth, st)
		}
	case reflect.PointerTo(bigIntType), reflect.PointerTo(bigFloatType), reflect.PointerTo(bigRatType):
		return bigEncoder(t)
	case tupleType, listType, dictPtrType, setPtrType, bytesType, dictType, setType:
		return func(v reflect.Value, depth int, st *encState) (any, error) {
			out, _, err := fromAny(v.Interface(), depth, st)
			return out, err
		}
	}
	if t.Kind() != reflect.Interface && t.Implements(errorType) && !t.Implements(marshalerType) {
		return unsupportedEncoder(t, "an error value has no Python form unless it implements Marshaler "+
			"(pyro.Error and pyro.RemoteError do, and travel as exception objects); "+
			"to raise it, return it as the method's error")
	}
	if methods {
		if t.Implements(textMarshalerType) {
			return textMarshalerEncoder(t)
		}
		if allowAddr && reflect.PointerTo(t).Implements(textMarshalerType) {
			return condAddrEncoder(textMarshalerEncoder(reflect.PointerTo(t)), newTypeEncoder(t, false))
		}
	}

	switch t.Kind() {
	case reflect.Bool:
		return func(v reflect.Value, _ int, _ *encState) (any, error) { return v.Bool(), nil }
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return func(v reflect.Value, _ int, _ *encState) (any, error) { return v.Int(), nil }
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return func(v reflect.Value, _ int, _ *encState) (any, error) { return fromUint(v.Uint()), nil }
	case reflect.Float32, reflect.Float64:
		return func(v reflect.Value, _ int, _ *encState) (any, error) { return v.Float(), nil }
	case reflect.Complex64, reflect.Complex128:
		return func(v reflect.Value, _ int, _ *encState) (any, error) { return v.Complex(), nil }
	case reflect.String:
		return func(v reflect.Value, _ int, _ *encState) (any, error) { return v.String(), nil }
	case reflect.Interface:
		return func(v reflect.Value, depth int, st *encState) (any, error) {
			if v.IsNil() {
				return nil, nil
			}
			if depth >= MaxConvertDepth {
				return nil, tooDeep(t, t.String())
			}
			out, _, err := fromAny(v.Elem().Interface(), depth+1, st)
			return out, err
		}
	case reflect.Pointer:
		return pointerEncoder(t)
	case reflect.Struct:
		return structEncoder(t)
	case reflect.Map:
		return mapEncoder(t)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 && !hasMethods(t.Elem()) {
			return func(v reflect.Value, _ int, _ *encState) (any, error) {
				if v.IsNil() {
					return []byte{}, nil
				}
				return v.Bytes(), nil
			}
		}
		return listEncoder(t)
	case reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 && !hasMethods(t.Elem()) {
			return func(v reflect.Value, _ int, _ *encState) (any, error) {
				b := make([]byte, v.Len())
				if v.CanAddr() {
					copy(b, v.Bytes())
				} else {
					for i := range b {
						b[i] = byte(v.Index(i).Uint())
					}
				}
				return b, nil
			}
		}
		return listEncoder(t)
	}
	return unsupportedEncoder(t, "has no Python equivalent")
}

// hasMethods reports whether a byte-kinded element type has its own Python conversion, in
// which case a slice of it is a list rather than bytes.
func hasMethods(t reflect.Type) bool {
	pt := reflect.PointerTo(t)
	return pt.Implements(marshalerType) || pt.Implements(textMarshalerType)
}

func unsupportedEncoder(t reflect.Type, why string) encoderFunc {
	return func(reflect.Value, int, *encState) (any, error) {
		return nil, &ConvertError{Value: t.String(), Type: t, Msg: "cannot convert Go " + t.String() + ": " + why}
	}
}

func condAddrEncoder(addr, plain encoderFunc) encoderFunc {
	return func(v reflect.Value, depth int, st *encState) (any, error) {
		if v.CanAddr() {
			return addr(v.Addr(), depth, st)
		}
		return plain(v, depth, st)
	}
}

func marshalerEncoder(t reflect.Type) encoderFunc {
	return func(v reflect.Value, depth int, st *encState) (any, error) {
		if v.Kind() == reflect.Pointer && v.IsNil() {
			return nil, nil
		}
		r, err := v.Interface().(Marshaler).MarshalPython()
		if err != nil {
			return nil, &ConvertError{Value: t.String(), Type: t, Msg: "MarshalPython of " + t.String(), Err: err}
		}
		if depth >= MaxConvertDepth {
			return nil, tooDeep(t, t.String())
		}
		out, _, err := fromAny(r, depth+1, st)
		return out, err
	}
}

func textMarshalerEncoder(t reflect.Type) encoderFunc {
	return func(v reflect.Value, _ int, _ *encState) (any, error) {
		if v.Kind() == reflect.Pointer && v.IsNil() {
			return nil, nil
		}
		b, err := v.Interface().(interface{ MarshalText() ([]byte, error) }).MarshalText()
		if err != nil {
			return nil, &ConvertError{Value: t.String(), Type: t, Msg: "MarshalText of " + t.String(), Err: err}
		}
		return string(b), nil
	}
}

// bigEncoder converts *big.Int, *big.Float and *big.Rat.
func bigEncoder(t reflect.Type) encoderFunc {
	return func(v reflect.Value, _ int, _ *encState) (any, error) {
		if v.IsNil() {
			return nil, nil
		}
		switch x := v.Interface().(type) {
		case *big.Int:
			if x.IsInt64() {
				return x.Int64(), nil
			}
			return new(big.Int).Set(x), nil
		case *big.Float:
			if x.IsInf() {
				if x.Signbit() {
					return "-Infinity", nil
				}
				return "Infinity", nil
			}
			return x.Text('g', -1), nil
		case *big.Rat:
			return x.RatString(), nil
		}
		return nil, &ConvertError{Value: t.String(), Type: t, Msg: "cannot convert Go " + t.String()}
	}
}

func pointerEncoder(t reflect.Type) encoderFunc {
	elem := typeEncoder(t.Elem())
	return func(v reflect.Value, depth int, st *encState) (any, error) {
		if v.IsNil() {
			return nil, nil
		}
		if depth >= MaxConvertDepth {
			return nil, tooDeep(t, t.String())
		}
		if st != nil {
			if r, ok := st.replace(v.Interface()); ok {
				out, _, err := fromAny(r, depth+1, st)
				return out, err
			}
		}
		return elem(v.Elem(), depth+1, st)
	}
}

func listEncoder(t reflect.Type) encoderFunc {
	elem := typeEncoder(t.Elem())
	return func(v reflect.Value, depth int, st *encState) (any, error) {
		if depth >= MaxConvertDepth {
			return nil, tooDeep(t, t.String())
		}
		n := v.Len() // 0 for a nil slice, which is the empty list

		l := make([]any, n)
		for i := range n {
			e, err := elem(v.Index(i), depth+1, st)
			if err != nil {
				return nil, errPath(err, indexSeg(i))
			}
			l[i] = e
		}
		return l, nil
	}
}

func structEncoder(t reflect.Type) encoderFunc {
	fields := cachedFields(t).list
	encs := make([]encoderFunc, len(fields))
	for i, f := range fields {
		encs[i] = typeEncoder(f.typ)
	}
	return func(v reflect.Value, depth int, st *encState) (any, error) {
		if depth >= MaxConvertDepth {
			return nil, tooDeep(t, t.String())
		}
		items := make([]Item, 0, len(fields))
		for i := range fields {
			f := &fields[i]
			fv, ok := fieldByIndex(v, f.index)
			if !ok {
				continue
			}
			if f.omitEmpty && isEmpty(fv) || f.omitZero && fv.IsZero() {
				continue
			}
			e, err := encs[i](fv, depth+1, st)
			if err != nil {
				return nil, errPath(err, "."+f.name)
			}
			items = append(items, Item{f.name, e})
		}
		return dictOfItems(items), nil
	}
}

// fieldByIndex walks to an embedded field, reporting false when a nil embedded pointer hides it.
func fieldByIndex(v reflect.Value, index []int) (reflect.Value, bool) {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}, false
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, true
}

func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	case reflect.Complex64, reflect.Complex128:
		return v.Complex() == 0
	case reflect.Interface, reflect.Pointer:
		return v.IsNil()
	}
	return false
}

func mapEncoder(t reflect.Type) encoderFunc {
	keyEnc := typeEncoder(t.Key())
	kk := t.Key().Kind()
	// Distinct Go keys of these kinds stay distinct in Python; others (floats, interfaces,
	// arrays) may collapse, so they go through Dict.Set.
	distinct := kk == reflect.String || kk == reflect.Bool ||
		(kk >= reflect.Int && kk <= reflect.Uintptr)
	et := t.Elem()
	isSet := et.Kind() == reflect.Struct && et.NumField() == 0
	var elemEnc encoderFunc
	if !isSet {
		elemEnc = typeEncoder(et)
	}
	return func(v reflect.Value, depth int, st *encState) (any, error) {
		if depth >= MaxConvertDepth {
			return nil, tooDeep(t, t.String())
		}
		items := make([]Item, 0, v.Len()) // a nil map is the empty dict or set
		iter := v.MapRange()
		for iter.Next() {
			k, err := keyEnc(iter.Key(), depth+1, st)
			if err == nil {
				k, err = hashable(k)
			}
			if err != nil {
				return nil, errPath(err, "[key "+fmt.Sprint(iter.Key())+"]")
			}
			var e any
			if !isSet {
				e, err = elemEnc(iter.Value(), depth+1, st)
				if err != nil {
					return nil, errPath(err, keySeg(k))
				}
			}
			items = append(items, Item{k, e})
		}
		slices.SortFunc(items, func(a, b Item) int { return compareKeys(a.Key, b.Key) })
		if isSet {
			s := &Set{}
			if distinct {
				s.d = *dictOfItems(items)
			} else {
				for _, it := range items {
					s.Add(it.Key)
				}
			}
			return s, nil
		}
		if distinct {
			return dictOfItems(items), nil
		}
		d := NewDict(len(items))
		for _, it := range items {
			d.Set(it.Key, it.Value)
		}
		return d, nil
	}
}

// hashable makes a converted map key usable as a Python dict key: lists (from Go arrays)
// become tuples; dicts and mutable sets are refused.
func hashable(k any) (any, error) {
	switch x := k.(type) {
	case []any:
		t := make(Tuple, len(x))
		for i, e := range x {
			h, err := hashable(e)
			if err != nil {
				return nil, err
			}
			t[i] = h
		}
		return t, nil
	case Tuple:
		for _, e := range x {
			if _, err := hashable(e); err != nil {
				return nil, err
			}
		}
	case *Dict:
		return nil, &ConvertError{Value: "dict", Msg: "unhashable dict as dict key"}
	case *Set:
		if !x.Frozen {
			return nil, &ConvertError{Value: "set", Msg: "unhashable set as dict key"}
		}
	}
	return k, nil
}

// compareKeys orders canonical dict keys for deterministic output: by kind (None, bool,
// numbers, complex, str, bytes, tuple, frozenset, datetime, date), then by value.
func compareKeys(a, b any) int {
	ra, rb := keyRank(a), keyRank(b)
	if ra != rb {
		return cmp.Compare(ra, rb)
	}
	switch x := a.(type) {
	case bool:
		y := b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	case string:
		return strings.Compare(x, b.(string))
	case int64:
		if y, ok := b.(int64); ok {
			return cmp.Compare(x, y)
		}
	case complex128:
		y := b.(complex128)
		if c := cmp.Compare(real(x), real(y)); c != 0 {
			return c
		}
		return cmp.Compare(imag(x), imag(y))
	case []byte:
		return bytes.Compare(x, b.([]byte))
	case Tuple:
		y := b.(Tuple)
		for i := 0; i < len(x) && i < len(y); i++ {
			if c := compareKeys(x[i], y[i]); c != 0 {
				return c
			}
		}
		return cmp.Compare(len(x), len(y))
	case *Set:
		return strings.Compare(Repr(x), Repr(b))
	case time.Time:
		return x.Compare(b.(time.Time))
	case Date:
		y := b.(Date)
		return cmp.Or(cmp.Compare(x.Year, y.Year), cmp.Compare(x.Month, y.Month), cmp.Compare(x.Day, y.Day))
	}
	if ra == 2 {
		return compareNumbers(a, b)
	}
	return 0
}

func keyRank(k any) int {
	switch k.(type) {
	case nil:
		return 0
	case bool:
		return 1
	case int64, *big.Int, float64:
		return 2
	case complex128:
		return 3
	case string:
		return 4
	case []byte:
		return 5
	case Tuple:
		return 6
	case *Set:
		return 7
	case time.Time:
		return 8
	case Date:
		return 9
	}
	return 10
}

// compareNumbers compares ints and floats exactly; NaN sorts after every number.
func compareNumbers(a, b any) int {
	fa, aNaN := numFloat(a)
	fb, bNaN := numFloat(b)
	switch {
	case aNaN && bNaN:
		return 0
	case aNaN:
		return 1
	case bNaN:
		return -1
	}
	return fa.Cmp(fb)
}

func numFloat(v any) (*big.Float, bool) {
	switch x := v.(type) {
	case int64:
		return new(big.Float).SetInt64(x), false
	case *big.Int:
		return new(big.Float).SetInt(x), false
	case float64:
		if math.IsNaN(x) {
			return nil, true
		}
		return new(big.Float).SetFloat64(x), false
	}
	return new(big.Float), false
}
