// Package codectest is the test harness the four codec packages (serializer/json, marshal,
// msgpack and serpent) share: the typical call payload, table-test helpers, the Python
// interop drivers, the call benchmarks and the fuzz round-trip property.
//
// Everything here runs inside tests: the helpers take a testing.TB and fail it.
package codectest

import (
	"encoding/hex"
	"math/big"
	"strings"
	"testing"

	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

// TypicalCall is the call payload the codec benchmarks and call tests use: a method with a
// few mixed positional arguments and one keyword argument, in canonical form.
func TypicalCall() serializer.Call {
	return serializer.Call{
		Object: "MyWorker",
		Method: "get_rate",
		Args:   []any{"EURUSD", int64(3), 1.5, pyval.DictOf("amount", int64(100), "tags", []any{"a", "b"})},
		Kwargs: pyval.DictOf("timeout", 2.5),
	}
}

// PyTypicalCall is TypicalCall as Python's Proxy passes it to dumpsCall: the arguments of
// (obj, method, vargs, kwargs), vargs a tuple.
const PyTypicalCall = `("MyWorker", "get_rate", ("EURUSD", 3, 1.5, {"amount": 100, "tags": ["a", "b"]}), {"timeout": 2.5})`

// SameCall reports whether two calls have the same object, method and equal (pyval.Equal)
// arguments and keyword arguments.
func SameCall(a, b serializer.Call) bool {
	return a.Object == b.Object && a.Method == b.Method && pyval.Equal(a.Args, b.Args) && pyval.Equal(a.Kwargs, b.Kwargs)
}

// CheckRegistered fails t unless c is registered under both its Pyro4 id and name, which
// must be id and name.
func CheckRegistered(t testing.TB, c serializer.Codec, id int, name string) {
	t.Helper()
	if c.ID() != id || c.Name() != name {
		t.Fatalf("codec is %q id %d, want %q id %d", c.Name(), c.ID(), name, id)
	}
	byID, err := serializer.ByID(id)
	if err != nil {
		t.Fatal(err)
	}
	if byID.Name() != name {
		t.Fatalf("id %d is %q, want %q", id, byID.Name(), name)
	}
	if byName, err := serializer.ByName(name); err != nil || byName != byID {
		t.Fatalf("ByName(%q): %v, %v; ByID(%d) gives %v", name, byName, err, id, byID)
	}
}

// MustHex decodes hex written with optional spaces between groups.
func MustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// BigInt parses an integer literal (base prefixes allowed), panicking on a typo in a table.
func BigInt(s string) *big.Int {
	b, ok := new(big.Int).SetString(s, 0)
	if !ok {
		panic("codectest.BigInt: bad literal " + s)
	}
	return b
}

// Frozen is a frozenset of items.
func Frozen(items ...any) *pyval.Set {
	s := pyval.NewSet(items...)
	s.Frozen = true
	return s
}
