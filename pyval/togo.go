package pyval

import (
	"encoding/base64"
	"math"
	"math/big"
	"reflect"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gopyro/pyro/internal/pyrepr"
)

// ToGo stores the canonical Python value v into the Go variable ptr points to, the reverse of
// [FromGo].
//
// Into an interface (any), values take their natural Go form: None is nil, bool, int64 (or
// *big.Int beyond int64), float64, complex128, string, []byte, time.Time, Date; tuples, lists, sets and
// frozensets become []any; a dict becomes map[string]any when all its keys are str,
// map[any]any when all its keys are None, bool, int, finite float, complex or str, and otherwise
// stays the *Dict it is. Into a [Raw], values stay canonical.
//
// Into concrete types:
//   - integer kinds take int, and float when it is integral; out-of-range values are errors;
//   - float kinds take float and int; complex kinds take complex, float and int;
//   - string takes str, and bytes holding valid UTF-8;
//   - []byte takes bytes, str (its UTF-8), a serpent bytes dict {"data": base64, "encoding":
//     "base64"}, and lists of ints; [N]byte takes bytes of exactly N;
//   - slices take list, tuple, set and frozenset; arrays the same, of exactly their length;
//   - maps take dicts (str keys convert to integer kinds as in encoding/json, and merge into a
//     non-nil map); map[K]struct{} and map[K]bool also take sets;
//   - structs take dicts: a key matches the field's tag name or Go name exactly, else ignoring
//     case and underscores (exchange_rate fills ExchangeRate); unknown keys are ignored and
//     absent fields keep their value;
//   - time.Time takes a datetime, a Date (midnight UTC), what isoformat() writes (no offset
//     means UTC) and a float or int Unix timestamp; Date takes a date, a datetime (its day)
//     and YYYY-MM-DD; string takes a datetime or date as ISOFormat's text; time.Duration
//     takes float or int seconds;
//   - big.Int takes int; big.Float and big.Rat take int, float and the str FromGo writes;
//   - *Dict, *Set and Tuple take their own kind unchanged (Tuple also takes a list);
//   - pointers are allocated as needed;
//   - None sets any target to its zero value: nil for pointers, slices, maps and interfaces,
//     0, "", false or the zero struct for the others (a Python None where a Go program
//     expects a value means "nothing", as encoding/json reads null);
//   - a type whose pointer implements Unmarshaler decodes itself (None included), one whose
//     pointer implements encoding.TextUnmarshaler decodes from str.
//
// ptr must be a non-nil pointer. Errors are *ConvertError, whose Path locates the offending
// part of v.
func ToGo(v any, ptr any) error {
	// The commonest targets skip reflection.
	switch p := ptr.(type) {
	case *any:
		if p != nil {
			n, err := natural(v, 0)
			if err != nil {
				return err
			}
			*p = n
			return nil
		}
	case *string:
		if s, ok := v.(string); ok && p != nil {
			*p = s
			return nil
		}
	case *int64:
		if n, ok := v.(int64); ok && p != nil {
			*p = n
			return nil
		}
	case *float64:
		if f, ok := v.(float64); ok && p != nil {
			*p = f
			return nil
		}
	case *bool:
		if b, ok := v.(bool); ok && p != nil {
			*p = b
			return nil
		}
	}
	rv := reflect.ValueOf(ptr)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return &ConvertError{Value: pyTypeName(v), Type: reflect.TypeOf(ptr),
			Msg: "ToGo needs a non-nil pointer, not " + typeString(reflect.TypeOf(ptr))}
	}
	e := rv.Elem()
	return typeDecoder(e.Type())(v, e, 0)
}

// Convert returns v converted to a new value of type t by the rules of [ToGo], as a
// reflect.Value ready for reflect.Value.Call. Canonical scalars already of type t (int64,
// float64, string, bool, complex128) are returned without a copy. Errors are *ConvertError.
func Convert(v any, t reflect.Type) (reflect.Value, error) {
	if v != nil && reflect.TypeOf(v) == t {
		switch t.Kind() {
		case reflect.Bool, reflect.Int64, reflect.Float64, reflect.String, reflect.Complex128:
			return reflect.ValueOf(v), nil
		}
	}
	dst := reflect.New(t).Elem()
	if err := typeDecoder(t)(v, dst, 0); err != nil {
		return reflect.Value{}, err
	}
	return dst, nil
}

func typeString(t reflect.Type) string {
	if t == nil {
		return "nil"
	}
	return t.String()
}

func mismatch(v any, t reflect.Type) error {
	return &ConvertError{Value: pyTypeName(v), Type: t, Msg: "cannot use " + pyTypeName(v) + " as " + t.String()}
}

func outOfRange(v any, t reflect.Type) error {
	return &ConvertError{Value: pyTypeName(v), Type: t,
		Msg: "cannot use " + pyTypeName(v) + " " + Repr(v) + " as " + t.String() + ": out of range"}
}

// natural gives v the Go form it takes in an `any` (see ToGo).
func natural(v any, depth int) (any, error) {
	switch x := v.(type) {
	case nil, bool, int64, float64, complex128, string, time.Time, Date:
		return v, nil
	case int:
		return int64(x), nil
	case *big.Int:
		if x == nil {
			return nil, nil
		}
		if x.IsInt64() {
			return x.Int64(), nil
		}
		return x, nil
	case []byte:
		if x == nil {
			return nil, nil
		}
		return append([]byte{}, x...), nil
	case []any, Tuple, *Set:
		items, _ := Items(x)
		return naturalList(items, depth)
	case *Dict:
		if x == nil {
			return nil, nil
		}
		if depth >= MaxConvertDepth {
			return nil, tooDeep(anyType, "dict")
		}
		allStr, comparable := true, true
		for _, it := range x.items {
			switch k := it.Key.(type) {
			case string:
			case nil, bool, int64, int, complex128:
				allStr = false
			case float64:
				allStr = false
				comparable = comparable && !math.IsNaN(k)
			case *big.Int:
				allStr = false
				comparable = comparable && k.IsInt64()
			default:
				allStr, comparable = false, false
			}
		}
		switch {
		case allStr:
			m := make(map[string]any, len(x.items))
			for _, it := range x.items {
				n, err := natural(it.Value, depth+1)
				if err != nil {
					return nil, errPath(err, keySeg(it.Key))
				}
				m[it.Key.(string)] = n
			}
			return m, nil
		case comparable:
			m := make(map[any]any, len(x.items))
			for _, it := range x.items {
				n, err := natural(it.Value, depth+1)
				if err != nil {
					return nil, errPath(err, keySeg(it.Key))
				}
				k, _ := natural(it.Key, depth+1)
				m[k] = n
			}
			return m, nil
		}
		return x, nil
	}
	return nil, &ConvertError{Value: pyTypeName(v), Type: anyType, Msg: "not a canonical Python value: " + pyTypeName(v)}
}

func naturalList(x []any, depth int) (any, error) {
	if depth >= MaxConvertDepth {
		return nil, tooDeep(anyType, "list")
	}
	l := make([]any, len(x))
	for i, e := range x {
		n, err := natural(e, depth+1)
		if err != nil {
			return nil, errPath(err, indexSeg(i))
		}
		l[i] = n
	}
	return l, nil
}

// decoderFunc stores v into the settable dst; depth counts the containers around v.
type decoderFunc func(v any, dst reflect.Value, depth int) error

var decoderCache sync.Map // reflect.Type -> decoderFunc

func typeDecoder(t reflect.Type) decoderFunc {
	return cachedPlan(&decoderCache, t, newTypeDecoder, func(get func() decoderFunc) decoderFunc {
		return func(v any, dst reflect.Value, depth int) error { return get()(v, dst, depth) }
	})
}

// newTypeDecoder builds the decoder of t. None sets the zero value, except for an Unmarshaler,
// which reads None itself.
func newTypeDecoder(t reflect.Type) decoderFunc {
	dec := newValueDecoder(t)
	switch t.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Slice, reflect.Map:
		return dec // they set nil for None themselves
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		return dec
	}
	return func(v any, dst reflect.Value, depth int) error {
		if noneIfNil(v) == nil {
			dst.SetZero()
			return nil
		}
		return dec(v, dst, depth)
	}
}

// newValueDecoder builds the decoder of t for values other than None. The order of the checks
// is the order of precedence: an Unmarshaler beats pyval's own rules for special types, which
// beat TextUnmarshaler, which beats the rules for t's kind.
func newValueDecoder(t reflect.Type) decoderFunc {
	k := t.Kind()
	// Pointers and interfaces are decoded through their element or dynamic value instead.
	byAddr := k != reflect.Pointer && k != reflect.Interface
	if byAddr && reflect.PointerTo(t).Implements(unmarshalerType) {
		return unmarshalerDecoder(t)
	}
	if dec, ok := specialDecoders[t]; ok {
		return dec
	}
	if byAddr && reflect.PointerTo(t).Implements(textUnmarshalerType) {
		return textUnmarshalerDecoder(t)
	}
	switch k {
	case reflect.Bool:
		return boolDecoder(t)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return intDecoder(t)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return uintDecoder(t)
	case reflect.Float32, reflect.Float64:
		return floatDecoder(t)
	case reflect.Complex64, reflect.Complex128:
		return complexDecoder(t)
	case reflect.String:
		return stringDecoder(t)
	case reflect.Interface:
		return interfaceDecoder(t)
	case reflect.Pointer:
		return pointerDecoder(t)
	case reflect.Slice:
		return sliceDecoder(t)
	case reflect.Array:
		return arrayDecoder(t)
	case reflect.Map:
		return mapDecoder(t)
	case reflect.Struct:
		return structDecoder(t)
	}
	return unsupportedDecoder(t)
}

// specialDecoders hold pyval's own rules for types that are not decoded by their kind.
var specialDecoders = map[reflect.Type]decoderFunc{
	rawType:      decodeRaw,
	timeType:     decodeTime,
	dateType:     decodeDate,
	durationType: decodeDuration,
	bigIntType:   decodeBig,
	bigFloatType: decodeBig,
	bigRatType:   decodeBig,
	tupleType:    decodeTuple,
	dictType:     decodeDictValue,
	setType:      decodeSetValue,
	dictPtrType:  canonicalPointerDecoder(dictPtrType),
	setPtrType:   canonicalPointerDecoder(setPtrType),
}

func unsupportedDecoder(t reflect.Type) decoderFunc {
	return func(v any, _ reflect.Value, _ int) error {
		return &ConvertError{Value: pyTypeName(v), Type: t, Msg: "cannot convert a Python value into Go " + t.String()}
	}
}

// decodeRaw stores v as it is.
func decodeRaw(v any, dst reflect.Value, _ int) error {
	if v == nil {
		dst.SetZero()
	} else {
		dst.Set(reflect.ValueOf(v))
	}
	return nil
}

func unmarshalerDecoder(t reflect.Type) decoderFunc {
	return func(v any, dst reflect.Value, _ int) error {
		if err := dst.Addr().Interface().(Unmarshaler).UnmarshalPython(v); err != nil {
			return &ConvertError{Value: pyTypeName(v), Type: t, Msg: "UnmarshalPython of " + t.String(), Err: err}
		}
		return nil
	}
}

func textUnmarshalerDecoder(t reflect.Type) decoderFunc {
	return func(v any, dst reflect.Value, _ int) error {
		var text []byte
		switch x := v.(type) {
		case string:
			text = []byte(x)
		case []byte:
			text = x
		default:
			return mismatch(v, t)
		}
		u := dst.Addr().Interface().(interface{ UnmarshalText([]byte) error })
		if err := u.UnmarshalText(text); err != nil {
			return &ConvertError{Value: pyTypeName(v), Type: t, Msg: "UnmarshalText of " + t.String(), Err: err}
		}
		return nil
	}
}

// decodeTuple also takes a list, which is how json carries tuples.
func decodeTuple(v any, dst reflect.Value, _ int) error {
	switch x := v.(type) {
	case nil:
		dst.SetZero()
	case Tuple:
		dst.Set(reflect.ValueOf(x))
	case []any:
		dst.Set(reflect.ValueOf(Tuple(x)))
	default:
		return mismatch(v, tupleType)
	}
	return nil
}

// decodeDictValue fills a Dict held by value with a copy, so that the two never share items.
func decodeDictValue(v any, dst reflect.Value, _ int) error {
	x, ok := v.(*Dict)
	if !ok || x == nil {
		return mismatch(v, dictType)
	}
	c := NewDict(x.Len())
	for _, it := range x.items {
		c.Set(it.Key, it.Value)
	}
	dst.Set(reflect.ValueOf(c).Elem())
	return nil
}

// decodeSetValue fills a Set held by value with a copy, as decodeDictValue does.
func decodeSetValue(v any, dst reflect.Value, _ int) error {
	x, ok := v.(*Set)
	if !ok || x == nil {
		return mismatch(v, setType)
	}
	c := NewSet(x.Items()...)
	c.Frozen = x.Frozen
	dst.Set(reflect.ValueOf(c).Elem())
	return nil
}

// canonicalPointerDecoder takes a *Dict or *Set (t) unchanged.
func canonicalPointerDecoder(t reflect.Type) decoderFunc {
	return func(v any, dst reflect.Value, _ int) error {
		if v == nil {
			dst.SetZero()
			return nil
		}
		if reflect.TypeOf(v) != t {
			return mismatch(v, t)
		}
		dst.Set(reflect.ValueOf(v))
		return nil
	}
}

func boolDecoder(t reflect.Type) decoderFunc {
	return func(v any, dst reflect.Value, _ int) error {
		b, ok := v.(bool)
		if !ok {
			return mismatch(v, t)
		}
		dst.SetBool(b)
		return nil
	}
}

func intDecoder(t reflect.Type) decoderFunc {
	return func(v any, dst reflect.Value, _ int) error {
		n, err := toInt64(v, t)
		if err != nil {
			return err
		}
		if dst.OverflowInt(n) {
			return outOfRange(v, t)
		}
		dst.SetInt(n)
		return nil
	}
}

func uintDecoder(t reflect.Type) decoderFunc {
	return func(v any, dst reflect.Value, _ int) error {
		n, err := toUint64(v, t)
		if err != nil {
			return err
		}
		if dst.OverflowUint(n) {
			return outOfRange(v, t)
		}
		dst.SetUint(n)
		return nil
	}
}

func floatDecoder(t reflect.Type) decoderFunc {
	return func(v any, dst reflect.Value, _ int) error {
		var f float64
		switch x := noneIfNil(v).(type) {
		case float64:
			f = x
		case int64:
			f = float64(x)
		case int:
			f = float64(x)
		case *big.Int:
			f, _ = new(big.Float).SetInt(x).Float64()
		default:
			return mismatch(v, t)
		}
		// An int too big for float64 becomes ±Inf: out of range, unlike a float inf.
		if dst.OverflowFloat(f) || math.IsInf(f, 0) && !isInf(v) {
			return outOfRange(v, t)
		}
		dst.SetFloat(f)
		return nil
	}
}

func complexDecoder(t reflect.Type) decoderFunc {
	return func(v any, dst reflect.Value, _ int) error {
		var c complex128
		switch x := v.(type) {
		case complex128:
			c = x
		case float64:
			c = complex(x, 0)
		case int64:
			c = complex(float64(x), 0)
		case int:
			c = complex(float64(x), 0)
		default:
			return mismatch(v, t)
		}
		if dst.OverflowComplex(c) {
			return outOfRange(v, t)
		}
		dst.SetComplex(c)
		return nil
	}
}

func stringDecoder(t reflect.Type) decoderFunc {
	return func(v any, dst reflect.Value, _ int) error {
		switch x := v.(type) {
		case string:
			dst.SetString(x)
		case []byte:
			if !utf8.Valid(x) {
				return &ConvertError{Value: "bytes", Type: t, Msg: "cannot use bytes as " + t.String() + ": not valid UTF-8"}
			}
			dst.SetString(string(x))
		case time.Time, Date:
			s, err := ISOFormat(x)
			if err != nil {
				return err
			}
			dst.SetString(s)
		default:
			return mismatch(v, t)
		}
		return nil
	}
}

// noneIfNil turns the typed nil pointers among canonical forms into None.
func noneIfNil(v any) any {
	switch x := v.(type) {
	case *Dict:
		if x == nil {
			return nil
		}
	case *Set:
		if x == nil {
			return nil
		}
	case *big.Int:
		if x == nil {
			return nil
		}
	}
	return v
}

func isInf(v any) bool {
	f, ok := v.(float64)
	return ok && math.IsInf(f, 0)
}

func toInt64(v any, t reflect.Type) (int64, error) {
	switch x := noneIfNil(v).(type) {
	case int64:
		return x, nil
	case int:
		return int64(x), nil
	case *big.Int:
		if x.IsInt64() {
			return x.Int64(), nil
		}
		return 0, outOfRange(v, t)
	case float64:
		if x != math.Trunc(x) {
			return 0, &ConvertError{Value: "float", Type: t,
				Msg: "cannot use float " + pyrepr.FormatFloat(x) + " as " + t.String() + ": not an integer"}
		}
		if x < -(1<<63) || x >= 1<<63 {
			return 0, outOfRange(v, t)
		}
		return int64(x), nil
	}
	return 0, mismatch(v, t)
}

func toUint64(v any, t reflect.Type) (uint64, error) {
	switch x := noneIfNil(v).(type) {
	case int64:
		if x >= 0 {
			return uint64(x), nil
		}
	case int:
		if x >= 0 {
			return uint64(x), nil
		}
	case *big.Int:
		if x.IsUint64() {
			return x.Uint64(), nil
		}
	case float64:
		if x != math.Trunc(x) {
			return 0, &ConvertError{Value: "float", Type: t,
				Msg: "cannot use float " + pyrepr.FormatFloat(x) + " as " + t.String() + ": not an integer"}
		}
		if x >= 0 && x < 1<<64 {
			return uint64(x), nil
		}
	default:
		return 0, mismatch(v, t)
	}
	return 0, outOfRange(v, t)
}

func decodeTime(v any, dst reflect.Value, _ int) error {
	var t time.Time
	switch x := v.(type) {
	case string:
		var err error
		if t, err = parseISO(x); err != nil {
			return &ConvertError{Value: "str", Type: timeType, Msg: "cannot use str " + strconv.Quote(x) + " as time.Time", Err: err}
		}
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) > 1<<62/1e9 {
			return outOfRange(v, timeType)
		}
		sec, frac := math.Modf(x)
		t = time.Unix(int64(sec), int64(math.Round(frac*1e6))*1000).UTC()
	case int64:
		t = time.Unix(x, 0).UTC()
	case time.Time:
		t = x
	case Date:
		t = x.In(time.UTC)
	default:
		return mismatch(v, timeType)
	}
	if y := t.Year(); y < 1 || y > 9999 { // Python's datetime range, so FromGo can send it back
		return outOfRange(v, timeType)
	}
	dst.Set(reflect.ValueOf(t))
	return nil
}

func decodeDate(v any, dst reflect.Value, _ int) error {
	var d Date
	switch x := v.(type) {
	case Date:
		d = x
	case time.Time:
		d = DateOf(x)
	case string:
		var err error
		if d, err = ParseDate(x); err != nil {
			return &ConvertError{Value: "str", Type: dateType, Msg: "cannot use str " + strconv.Quote(x) + " as pyval.Date", Err: err}
		}
	default:
		return mismatch(v, dateType)
	}
	if !d.Valid() {
		return outOfRange(v, dateType)
	}
	dst.Set(reflect.ValueOf(d))
	return nil
}

func decodeDuration(v any, dst reflect.Value, _ int) error {
	var d time.Duration
	switch x := v.(type) {
	case float64:
		// Whole and fractional seconds apart: x*1e9 would round away nanoseconds of large values.
		sec, frac := math.Modf(x)
		if math.IsNaN(x) || math.Abs(sec) > math.MaxInt64/1e9-1 {
			return outOfRange(v, durationType)
		}
		d = time.Duration(sec)*time.Second + time.Duration(math.Round(frac*1e9))
	case int64:
		if x > math.MaxInt64/int64(time.Second) || x < math.MinInt64/int64(time.Second) {
			return outOfRange(v, durationType)
		}
		d = time.Duration(x) * time.Second
	default:
		return mismatch(v, durationType)
	}
	dst.SetInt(int64(d))
	return nil
}

func decodeBig(v any, dst reflect.Value, _ int) error {
	t := dst.Type()
	v = noneIfNil(v)
	switch z := dst.Addr().Interface().(type) {
	case *big.Int:
		switch x := v.(type) {
		case int64:
			z.SetInt64(x)
		case int:
			z.SetInt64(int64(x))
		case *big.Int:
			z.Set(x)
		default:
			return mismatch(v, t)
		}
	case *big.Float:
		switch x := v.(type) {
		case int64:
			z.SetInt64(x)
		case *big.Int:
			z.SetInt(x)
		case float64:
			if math.IsNaN(x) {
				return outOfRange(v, t)
			}
			z.SetFloat64(x)
		case string:
			if z.Prec() == 0 {
				// enough bits to hold every decimal digit exactly, so str → big.Float → str is
				// the identity on what FromGo writes
				z.SetPrec(uint(max(64, 4*len(x))))
			}
			switch x {
			case "Infinity", "+Infinity", "inf", "+inf": // Python's Decimal writes Infinity
				z.SetInf(false)
				return nil
			case "-Infinity", "-inf":
				z.SetInf(true)
				return nil
			}
			if _, ok := z.SetString(x); !ok {
				return &ConvertError{Value: "str", Type: t, Msg: "cannot use str " + strconv.Quote(x) + " as big.Float"}
			}
		default:
			return mismatch(v, t)
		}
	case *big.Rat:
		switch x := v.(type) {
		case int64:
			z.SetInt64(x)
		case *big.Int:
			z.SetInt(x)
		case float64:
			if z.SetFloat64(x) == nil {
				return outOfRange(v, t)
			}
		case string:
			if _, ok := z.SetString(x); !ok {
				return &ConvertError{Value: "str", Type: t, Msg: "cannot use str " + strconv.Quote(x) + " as big.Rat"}
			}
		default:
			return mismatch(v, t)
		}
	}
	return nil
}

func interfaceDecoder(t reflect.Type) decoderFunc {
	empty := t.NumMethod() == 0
	return func(v any, dst reflect.Value, depth int) error {
		if v == nil {
			dst.SetZero()
			return nil
		}
		n, err := natural(v, depth)
		if err != nil {
			return err
		}
		if n == nil {
			dst.SetZero()
			return nil
		}
		nv := reflect.ValueOf(n)
		if !empty && !nv.Type().Implements(t) {
			return mismatch(v, t)
		}
		dst.Set(nv)
		return nil
	}
}

func pointerDecoder(t reflect.Type) decoderFunc {
	et := t.Elem()
	elem := typeDecoder(et)
	return func(v any, dst reflect.Value, depth int) error {
		if v == nil {
			dst.SetZero()
			return nil
		}
		if depth >= MaxConvertDepth {
			return tooDeep(t, pyTypeName(v))
		}
		if dst.IsNil() {
			dst.Set(reflect.New(et))
		}
		return elem(v, dst.Elem(), depth+1)
	}
}

// serpentBytes recognises serpent's rendering of bytes, {"data": base64, "encoding": "base64"}.
func serpentBytes(d *Dict) ([]byte, bool, error) {
	if d.Len() != 2 {
		return nil, false, nil
	}
	enc, _ := d.GetString("encoding")
	data, _ := d.GetString("data")
	s, ok := data.(string)
	if enc != "base64" || !ok {
		return nil, false, nil
	}
	b, err := base64.StdEncoding.DecodeString(s)
	return b, true, err
}

func sliceDecoder(t reflect.Type) decoderFunc {
	et := t.Elem()
	elem := typeDecoder(et)
	isBytes := et.Kind() == reflect.Uint8 && !reflect.PointerTo(et).Implements(unmarshalerType)
	return func(v any, dst reflect.Value, depth int) error {
		if v == nil {
			dst.SetZero()
			return nil
		}
		if isBytes {
			switch x := v.(type) {
			case []byte:
				dst.SetBytes(append(make([]byte, 0, len(x)), x...))
				return nil
			case string:
				dst.SetBytes([]byte(x))
				return nil
			case *Dict:
				b, ok, err := serpentBytes(x)
				if !ok {
					return mismatch(v, t)
				}
				if err != nil {
					return &ConvertError{Value: "dict", Type: t, Msg: "cannot use serpent bytes dict as " + t.String(), Err: err}
				}
				dst.SetBytes(b)
				return nil
			}
		}
		items, ok := Items(v)
		if !ok {
			return mismatch(v, t)
		}
		if depth >= MaxConvertDepth {
			return tooDeep(t, pyTypeName(v))
		}
		s := reflect.MakeSlice(t, len(items), len(items))
		for i, e := range items {
			if err := elem(e, s.Index(i), depth+1); err != nil {
				return errPath(err, indexSeg(i))
			}
		}
		dst.Set(s)
		return nil
	}
}

func arrayDecoder(t reflect.Type) decoderFunc {
	et := t.Elem()
	elem := typeDecoder(et)
	isBytes := et.Kind() == reflect.Uint8 && !reflect.PointerTo(et).Implements(unmarshalerType)
	n := t.Len()
	wrongLen := func(v any, have int) error {
		return &ConvertError{Value: pyTypeName(v), Type: t,
			Msg: "cannot use " + pyTypeName(v) + " of length " + strconv.Itoa(have) + " as " + t.String()}
	}
	return func(v any, dst reflect.Value, depth int) error {
		if b, ok := v.([]byte); ok && isBytes {
			if len(b) != n {
				return wrongLen(v, len(b))
			}
			reflect.Copy(dst, reflect.ValueOf(b))
			return nil
		}
		items, ok := Items(v)
		if !ok {
			return mismatch(v, t)
		}
		if len(items) != n {
			return wrongLen(v, len(items))
		}
		if depth >= MaxConvertDepth {
			return tooDeep(t, pyTypeName(v))
		}
		for i, e := range items {
			if err := elem(e, dst.Index(i), depth+1); err != nil {
				return errPath(err, indexSeg(i))
			}
		}
		return nil
	}
}

func mapDecoder(t reflect.Type) decoderFunc {
	kt, et := t.Key(), t.Elem()
	keyDec := mapKeyDecoder(kt)
	elem := typeDecoder(et)
	setTarget := et.Kind() == reflect.Bool || et.Kind() == reflect.Struct && et.NumField() == 0
	// Keys holding interfaces may get uncomparable values (a tuple key becomes []any), which
	// would make SetMapIndex panic.
	checkKey := kt.Kind() == reflect.Interface || kt.Kind() == reflect.Array || kt.Kind() == reflect.Struct
	return func(v any, dst reflect.Value, depth int) error {
		if v = noneIfNil(v); v == nil {
			dst.SetZero()
			return nil
		}
		if depth >= MaxConvertDepth {
			return tooDeep(t, pyTypeName(v))
		}
		switch x := v.(type) {
		case *Dict:
			if dst.IsNil() {
				dst.Set(reflect.MakeMapWithSize(t, x.Len()))
			}
			kv, ev := reflect.New(kt).Elem(), reflect.New(et).Elem()
			for _, it := range x.items {
				kv.SetZero()
				if err := keyDec(it.Key, kv, depth+1); err != nil {
					return errPath(err, keySeg(it.Key))
				}
				if checkKey && !kv.Comparable() {
					return errPath(unhashable(it.Key, kt), keySeg(it.Key))
				}
				ev.SetZero()
				if err := elem(it.Value, ev, depth+1); err != nil {
					return errPath(err, keySeg(it.Key))
				}
				dst.SetMapIndex(kv, ev)
			}
			return nil
		case *Set:
			if !setTarget {
				break
			}
			if dst.IsNil() {
				dst.Set(reflect.MakeMapWithSize(t, x.Len()))
			}
			kv, ev := reflect.New(kt).Elem(), reflect.New(et).Elem()
			if et.Kind() == reflect.Bool {
				ev.SetBool(true)
			}
			for _, m := range x.d.items {
				kv.SetZero()
				if err := keyDec(m.Key, kv, depth+1); err != nil {
					return errPath(err, keySeg(m.Key))
				}
				if checkKey && !kv.Comparable() {
					return errPath(unhashable(m.Key, kt), keySeg(m.Key))
				}
				dst.SetMapIndex(kv, ev)
			}
			return nil
		}
		return mismatch(v, t)
	}
}

func unhashable(k any, kt reflect.Type) error {
	return &ConvertError{Value: pyTypeName(k), Type: kt,
		Msg: "cannot use " + pyTypeName(k) + " as map key of type " + kt.String() + ": its Go form is not comparable"}
}

// mapKeyDecoder is the key type's decoder, plus str keys for integer kinds as in encoding/json.
func mapKeyDecoder(kt reflect.Type) decoderFunc {
	dec := typeDecoder(kt)
	switch kt.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
	default:
		return dec
	}
	if reflect.PointerTo(kt).Implements(unmarshalerType) || reflect.PointerTo(kt).Implements(textUnmarshalerType) {
		return dec
	}
	return func(v any, dst reflect.Value, depth int) error {
		s, ok := v.(string)
		if !ok {
			return dec(v, dst, depth)
		}
		n, ok := new(big.Int).SetString(s, 10)
		if !ok {
			return &ConvertError{Value: "str", Type: kt, Msg: "cannot use str " + strconv.Quote(s) + " as " + kt.String() + " key"}
		}
		return dec(n, dst, depth)
	}
}

func structDecoder(t reflect.Type) decoderFunc {
	sf := cachedFields(t)
	decs := make([]decoderFunc, len(sf.list))
	for i, f := range sf.list {
		decs[i] = typeDecoder(f.typ)
	}
	return func(v any, dst reflect.Value, depth int) error {
		d, ok := v.(*Dict)
		if !ok || d == nil {
			return mismatch(v, t)
		}
		if depth >= MaxConvertDepth {
			return tooDeep(t, pyTypeName(v))
		}
		for _, it := range d.items {
			key, ok := it.Key.(string)
			if !ok {
				continue
			}
			i, found := sf.byName[key]
			if !found {
				if i, found = sf.lookupFold(key); !found {
					continue
				}
			}
			fv, err := fieldForSet(dst, sf.list[i].index)
			if err == nil {
				err = decs[i](it.Value, fv, depth+1)
			}
			if err != nil {
				return errPath(err, keySeg(key))
			}
		}
		return nil
	}
}

// fieldForSet walks to a possibly embedded field, allocating nil embedded pointers.
func fieldForSet(v reflect.Value, index []int) (reflect.Value, error) {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				if !v.CanSet() {
					return reflect.Value{}, &ConvertError{Type: v.Type(),
						Msg: "cannot set embedded pointer to unexported struct " + v.Type().Elem().String()}
				}
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, nil
}

// pyTypeName is TypeName, safe for typed nil pointers (which stand for None).
func pyTypeName(v any) string { return TypeName(noneIfNil(v)) }
