// Package pyval is the Go model of the Python values that Pyro exchanges, and the conversion
// between those values and ordinary Go types.
//
// Every codec (serpent, json, marshal, msgpack) decodes into, and encodes from, the canonical
// forms below. Which Python type a Go value becomes is decided here, once, by [FromGo]; how a
// Python value lands in a Go variable is decided by [ToGo].
//
//	Python            canonical Go form
//	None              nil
//	bool              bool
//	int               int64, or *big.Int outside the int64 range
//	float             float64 (nan, ±inf and -0.0 kept)
//	complex           complex128
//	str               string
//	bytes/bytearray   []byte
//	tuple             Tuple
//	list              []any
//	dict              *Dict (insertion-ordered, any hashable key)
//	set/frozenset     *Set
//	datetime          time.Time (only msgpack carries it; see below)
//	date              Date
//
// Only the msgpack codec has datetimes and dates on the wire (Pyro4's extension types 0x32
// and 0x33), so only it decodes into time.Time and Date. The other codecs write both as the
// text isoformat() gives ([ISOFormat]), as Pyro4's serpent and json serializers do, and the
// receiver gets a str; ToGo turns such text back into a time.Time or Date.
//
// Objects Pyro sends as "class-dicts" (URIs, proxies, exceptions, user classes) are *Dict values
// holding a "__class__" key; [ClassOf] reads it.
package pyval

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/gopyro/pyro/internal/pyrepr"
	"time"
)

// Tuple is a Python tuple. A Python list is a plain []any; [Items] reads either, or a set.
type Tuple []any

// Item is one key/value pair of a [Dict].
type Item struct {
	Key   any
	Value any
}

// indexThreshold is the size above which a Dict keeps a hash index; below it a linear scan is
// cheaper than hashing, and most Pyro dicts (kwargs, metadata, class-dicts) are that small.
const indexThreshold = 8

// Dict is a Python dict: insertion-ordered, keyed by any hashable canonical value (str, int,
// float, bool, None, bytes, tuple of hashables, frozenset). The zero value is an empty dict
// ready to use. Python's equality of keys is followed for the common cases: setting an existing
// key replaces its value in place.
type Dict struct {
	items []Item
	index map[any]int
}

// NewDict returns an empty dict with room for n items.
func NewDict(n int) *Dict {
	return &Dict{items: make([]Item, 0, n)}
}

// DictOf builds a dict from alternating keys and values: DictOf("a", 1, "b", 2).
// It panics on an odd number of arguments, as that is a programming error.
func DictOf(kv ...any) *Dict {
	if len(kv)%2 != 0 {
		panic("pyval.DictOf: odd number of arguments")
	}
	d := NewDict(len(kv) / 2)
	for i := 0; i < len(kv); i += 2 {
		d.Set(kv[i], kv[i+1])
	}
	return d
}

// Len returns the number of items.
func (d *Dict) Len() int {
	if d == nil {
		return 0
	}
	return len(d.items)
}

// Items returns the items in insertion order. The slice is the dict's own: do not modify it.
func (d *Dict) Items() []Item {
	if d == nil {
		return nil
	}
	return d.items
}

// Keys returns the keys in insertion order.
func (d *Dict) Keys() []any {
	keys := make([]any, d.Len())
	for i, it := range d.Items() {
		keys[i] = it.Key
	}
	return keys
}

// Get returns the value stored under key.
func (d *Dict) Get(key any) (any, bool) {
	if i := d.find(key); i >= 0 {
		return d.items[i].Value, true
	}
	return nil, false
}

// GetString returns the value stored under the str key, a shortcut for the common case.
func (d *Dict) GetString(key string) (any, bool) {
	if d == nil {
		return nil, false
	}
	if d.index == nil {
		for i := range d.items {
			if s, ok := d.items[i].Key.(string); ok && s == key {
				return d.items[i].Value, true
			}
		}
		return nil, false
	}
	if i, ok := d.index[key]; ok {
		return d.items[i].Value, true
	}
	return nil, false
}

// Set stores value under key, replacing an existing value (Python's d[key] = value).
// Keys that cannot be hashed in Python (list, dict, set) are accepted here; codecs that
// cannot carry them report it when encoding.
func (d *Dict) Set(key, value any) {
	if i := d.find(key); i >= 0 {
		d.items[i].Value = value
		return
	}
	d.items = append(d.items, Item{key, value})
	if d.index != nil {
		d.index[hashKey(key)] = len(d.items) - 1
	} else if len(d.items) > indexThreshold {
		d.buildIndex()
	}
}

// Delete removes key and reports whether it was present.
func (d *Dict) Delete(key any) bool {
	i := d.find(key)
	if i < 0 {
		return false
	}
	d.items = append(d.items[:i], d.items[i+1:]...)
	if d.index != nil {
		d.buildIndex()
	}
	return true
}

func (d *Dict) find(key any) int {
	if d == nil {
		return -1
	}
	if d.index != nil {
		if i, ok := d.index[hashKey(key)]; ok {
			return i
		}
		return -1
	}
	for i := range d.items {
		if keyEqual(d.items[i].Key, key) {
			return i
		}
	}
	return -1
}

func (d *Dict) buildIndex() {
	d.index = make(map[any]int, len(d.items))
	for i, it := range d.items {
		d.index[hashKey(it.Key)] = i
	}
}

// String renders the dict as Python would print it.
func (d *Dict) String() string { return Repr(d) }

// Set is a Python set or frozenset, kept in insertion order. The zero value is an empty set.
type Set struct {
	d Dict
	// Frozen marks a frozenset.
	Frozen bool
}

// NewSet returns a set holding items (duplicates collapse).
func NewSet(items ...any) *Set {
	s := &Set{d: Dict{items: make([]Item, 0, len(items))}}
	for _, it := range items {
		s.Add(it)
	}
	return s
}

// Add inserts item.
func (s *Set) Add(item any) { s.d.Set(item, nil) }

// Contains reports whether item is in the set.
func (s *Set) Contains(item any) bool { return s != nil && s.d.find(item) >= 0 }

// Len returns the number of items.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return s.d.Len()
}

// Items returns the members in insertion order.
func (s *Set) Items() []any {
	if s == nil {
		return nil
	}
	return s.d.Keys()
}

// String renders the set as Python would print it.
func (s *Set) String() string { return Repr(s) }

// Items returns the members of a Python list ([]any), tuple ([Tuple]), set or frozenset
// ([*Set]), and whether v is one: what Python code takes as "an iterable of values", and what
// [ToGo] accepts into a slice. A list or tuple gives its own slice, not a copy; a set gives a new
// slice in insertion order, which Python does not promise, so positions only mean something
// for lists and tuples. A nil *Set is empty, as for its methods. Any other value (None, str,
// bytes, dict) gives nil, false.
func Items(v any) ([]any, bool) {
	switch x := v.(type) {
	case []any:
		return x, true
	case Tuple:
		return x, true
	case *Set:
		return x.Items(), true
	}
	return nil, false
}

// ClassOf returns the "__class__" entry of a class-dict, such as "Pyro4.core.URI" or
// "builtins.ValueError", and whether v is one.
func ClassOf(v any) (string, bool) {
	d, ok := v.(*Dict)
	if !ok {
		return "", false
	}
	c, ok := d.GetString("__class__")
	if !ok {
		return "", false
	}
	s, ok := c.(string)
	return s, ok
}

// bytesKey, bigKey, tupleKey and frozenKey make unhashable Go forms usable as map keys with
// Python's notion of equality.
type (
	bytesKey  string
	bigKey    string
	tupleKey  string
	frozenKey string
	timeKey   struct {
		sec  int64
		nsec int
	}
)

// hashKey maps a canonical key to a comparable Go value such that two keys equal in Python
// (1, 1.0 and True; equal tuples) map to equal values.
func hashKey(k any) any {
	switch v := k.(type) {
	case string, nil:
		return v
	case bool:
		if v {
			return int64(1)
		}
		return int64(0)
	case int64:
		return v
	case int:
		return int64(v)
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<63 {
			return int64(v)
		}
		return v
	case *big.Int:
		if v.IsInt64() {
			return v.Int64()
		}
		return bigKey(v.String())
	case []byte:
		return bytesKey(v)
	case Tuple:
		var b strings.Builder
		for _, e := range v {
			h := hashKey(e) // once per element: nested keys stay linear
			fmt.Fprintf(&b, "%T:%v,", h, h)
		}
		return tupleKey(b.String())
	case time.Time:
		return timeKey{v.Unix(), v.Nanosecond()} // equal instants, as Python compares datetimes
	case Date:
		return v
	case *Set:
		// order-independent: sort the member keys' renderings
		parts := make([]string, 0, v.Len())
		for _, e := range v.Items() {
			h := hashKey(e)
			parts = append(parts, fmt.Sprintf("%T:%v", h, h))
		}
		sortStrings(parts)
		return frozenKey(strings.Join(parts, ","))
	default:
		// unhashable in Python (list, dict, mutable set) or a foreign Go value: identity of
		// its rendering keeps Set/Get consistent without panicking on uncomparable values
		return fmt.Sprintf("%T:%p:%v", v, v, v)
	}
}

func keyEqual(a, b any) bool {
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		return ok && x == y
	case int64:
		if y, ok := b.(int64); ok {
			return x == y
		}
	}
	return hashKey(a) == hashKey(b)
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// TypeName returns the Python type name of a canonical value ("int", "str", "tuple", ...),
// used in error messages.
func TypeName(v any) string {
	switch v := v.(type) {
	case nil:
		return "None"
	case bool:
		return "bool"
	case int64, int, *big.Int:
		return "int"
	case float64:
		return "float"
	case complex128:
		return "complex"
	case string:
		return "str"
	case []byte:
		return "bytes"
	case Tuple:
		return "tuple"
	case []any:
		return "list"
	case *Dict:
		if c, ok := ClassOf(v); ok {
			return c
		}
		return "dict"
	case *Set:
		if v != nil && v.Frozen {
			return "frozenset"
		}
		return "set"
	case time.Time:
		return "datetime"
	case Date:
		return "date"
	default:
		return fmt.Sprintf("Go %T", v)
	}
}

// Equal reports whether two canonical values are equal the way a round-trip test wants:
// dicts and sets compare without regard to order, NaN equals NaN, -0.0 differs from 0.0,
// int64 and *big.Int of the same value are equal, and Tuple differs from list.
func Equal(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case int64, int, *big.Int:
		xb, ok1 := bigOf(a)
		yb, ok2 := bigOf(b)
		return ok1 && ok2 && xb.Cmp(yb) == 0
	case float64:
		y, ok := b.(float64)
		return ok && floatSame(x, y)
	case complex128:
		y, ok := b.(complex128)
		return ok && floatSame(real(x), real(y)) && floatSame(imag(x), imag(y))
	case string:
		y, ok := b.(string)
		return ok && x == y
	case []byte:
		y, ok := b.([]byte)
		return ok && string(x) == string(y)
	case Tuple:
		y, ok := b.(Tuple)
		return ok && sliceEqual(x, y)
	case []any:
		y, ok := b.([]any)
		return ok && sliceEqual(x, y)
	case *Dict:
		y, ok := b.(*Dict)
		if !ok || x.Len() != y.Len() {
			return false
		}
		for _, it := range x.Items() {
			v, found := y.Get(it.Key)
			if !found || !Equal(it.Value, v) {
				return false
			}
		}
		return true
	case *Set:
		y, ok := b.(*Set)
		if !ok || x.Len() != y.Len() || x.Frozen != y.Frozen {
			return false
		}
		for _, e := range x.Items() {
			if !y.Contains(e) {
				return false
			}
		}
		return true
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y)
	case Date:
		y, ok := b.(Date)
		return ok && x == y
	}
	return false
}

func bigOf(v any) (*big.Int, bool) {
	switch x := v.(type) {
	case int64:
		return big.NewInt(x), true
	case int:
		return big.NewInt(int64(x)), true
	case *big.Int:
		return x, x != nil
	}
	return nil, false
}

func floatSame(x, y float64) bool {
	if math.IsNaN(x) || math.IsNaN(y) {
		return math.IsNaN(x) && math.IsNaN(y)
	}
	return x == y && math.Signbit(x) == math.Signbit(y)
}

func sliceEqual(x, y []any) bool {
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if !Equal(x[i], y[i]) {
			return false
		}
	}
	return true
}

// Repr renders a canonical value the way Python's repr() does: ['a', 1, ('x',)],
// {'k': 1.5}, b'\x00'. Used for messages and by the tools that print values.
func Repr(v any) string {
	var b strings.Builder
	writeRepr(&b, v)
	return b.String()
}

func writeRepr(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("None")
	case bool:
		if x {
			b.WriteString("True")
		} else {
			b.WriteString("False")
		}
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case int:
		b.WriteString(strconv.Itoa(x))
	case *big.Int:
		b.WriteString(x.String())
	case float64:
		b.WriteString(pyrepr.FormatFloat(x))
	case complex128:
		writeComplexRepr(b, x)
	case string:
		b.Write(pyrepr.AppendStr(nil, x))
	case []byte:
		b.Write(pyrepr.AppendBytes(nil, x))
	case Tuple:
		b.WriteByte('(')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writeRepr(b, e)
		}
		if len(x) == 1 {
			b.WriteByte(',')
		}
		b.WriteByte(')')
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writeRepr(b, e)
		}
		b.WriteByte(']')
	case *Dict:
		b.WriteByte('{')
		for i, it := range x.Items() {
			if i > 0 {
				b.WriteString(", ")
			}
			writeRepr(b, it.Key)
			b.WriteString(": ")
			writeRepr(b, it.Value)
		}
		b.WriteByte('}')
	case *Set:
		if x.Len() == 0 {
			if x != nil && x.Frozen {
				b.WriteString("frozenset()")
			} else {
				b.WriteString("set()")
			}
			return
		}
		b.WriteByte('{')
		for i, e := range x.Items() {
			if i > 0 {
				b.WriteString(", ")
			}
			writeRepr(b, e)
		}
		b.WriteByte('}')
	case time.Time:
		writeDateTimeRepr(b, x)
	case Date:
		fmt.Fprintf(b, "datetime.date(%d, %d, %d)", x.Year, x.Month, x.Day)
	default:
		fmt.Fprintf(b, "<Go %T %v>", x, x)
	}
}

// writeDateTimeRepr writes t as Python's repr of the naive datetime with t's wall clock:
// datetime.datetime(2024, 6, 28, 12, 30), seconds and microseconds only when not zero.
func writeDateTimeRepr(b *strings.Builder, t time.Time) {
	fmt.Fprintf(b, "datetime.datetime(%d, %d, %d, %d, %d", t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute())
	switch us := t.Nanosecond() / 1000; {
	case us != 0:
		fmt.Fprintf(b, ", %d, %d", t.Second(), us)
	case t.Second() != 0:
		fmt.Fprintf(b, ", %d", t.Second())
	}
	b.WriteByte(')')
}

// writeComplexRepr writes c as Python's repr(complex): 2j, (1+2j), (1.5-0j).
func writeComplexRepr(b *strings.Builder, c complex128) {
	part := func(f float64) string { return strings.TrimSuffix(pyrepr.FormatFloat(f), ".0") }
	re, im := real(c), imag(c)
	if re == 0 && !math.Signbit(re) {
		b.WriteString(part(im) + "j")
		return
	}
	sign := "+"
	if math.Signbit(im) {
		sign = "-"
		im = -im
	}
	b.WriteString("(" + part(re) + sign + part(im) + "j)")
}
