package marshal

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math"
	"math/big"
	"strings"
	"testing"

	"github.com/gopyro/pyro/internal/codectest"
	"github.com/gopyro/pyro/internal/pyvaltest"
	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

// runPython sends one mode and its cases to Pyro4's MarshalSerializer in one Python process
// and returns one line per case (see codectest.RunModes).
func runPython(t testing.TB, mode string, cases []string) []string {
	t.Helper()
	return codectest.RunModes(t, "MarshalSerializer", mode, cases)
}

func twoPow(n uint, neg bool) *big.Int {
	b := new(big.Int).Lsh(big.NewInt(1), n)
	if neg {
		b.Neg(b)
	}
	return b
}

// pyCases pairs Python expressions with the canonical Go values they must equal.
var pyCases = []struct {
	expr string
	want any
	refs bool // Python's output uses the reference table
	// back is what Python's loads makes of the Go encoding, when not expr itself
	back string
}{
	{"None", nil, false, ""},
	{"'unknown object'", "unknown object", false, ""}, // a CONNECTFAIL body
	{"'message used serializer that is not accepted: 6'", "message used serializer that is not accepted: 6", false, ""},
	{"[True, False, 0, -1, 2**31-1, -2**31, 2**31, -2**31-1]", []any{true, false, int64(0), int64(-1), int64(math.MaxInt32), int64(math.MinInt32), int64(1 << 31), int64(-1<<31 - 1)}, false, ""},
	{"[2**63-1, -2**63, 2**63, -2**63-1, 2**64, 2**70, -2**70]", []any{int64(math.MaxInt64), int64(math.MinInt64), twoPow(63, false), new(big.Int).Sub(twoPow(63, true), big.NewInt(1)), twoPow(64, false), twoPow(70, false), twoPow(70, true)}, false, ""},
	{"3**200", new(big.Int).Exp(big.NewInt(3), big.NewInt(200), nil), false, ""},
	{"-(7**150)", new(big.Int).Neg(new(big.Int).Exp(big.NewInt(7), big.NewInt(150), nil)), false, ""},
	{"[0.0, -0.0, 1.5, 1e300, 5e-324, float('inf'), float('-inf')]", []any{0.0, math.Copysign(0, -1), 1.5, 1e300, 5e-324, math.Inf(1), math.Inf(-1)}, false, ""},
	{"float('nan')", math.NaN(), false, ""},
	{"[1.5+2j, complex(-0.0, float('inf'))]", []any{complex(1.5, 2), complex(math.Copysign(0, -1), math.Inf(1))}, false, ""},
	{"'é\\u20ac\\U0001F600\\x00'", "é€\U0001F600\x00", false, ""},
	{"'a' * 300", strings.Repeat("a", 300), false, ""},
	{"'é' * 300", strings.Repeat("é", 300), false, ""},
	{"b'\\x00\\xff' * 3", bytes.Repeat([]byte{0, 0xff}, 3), false, ""},
	{"bytearray(b'xy')", []byte("xy"), false, "b'xy'"},
	{"((), ((1,), (2, (3, ()))), tuple(range(300)))", pyval.Tuple{pyval.Tuple{}, pyval.Tuple{pyval.Tuple{int64(1)}, pyval.Tuple{int64(2), pyval.Tuple{int64(3), pyval.Tuple{}}}}, rangeTuple(300)}, false, ""},
	{"{1, 'a', (2, 'b'), frozenset({3})}", pyval.NewSet(int64(1), "a", pyval.Tuple{int64(2), "b"}, codectest.Frozen(int64(3))), false, ""},
	{"[set(), frozenset(), frozenset({frozenset({1})})]", []any{pyval.NewSet(), codectest.Frozen(), codectest.Frozen(codectest.Frozen(int64(1)))}, false, ""},
	{"{1: 'int', 2.5: 'float', None: 'none', (1, 'x'): 'tuple', b'k': 'bytes', frozenset({1}): 'fs'}", pyval.DictOf(int64(1), "int", 2.5, "float", nil, "none", pyval.Tuple{int64(1), "x"}, "tuple", []byte("k"), "bytes", codectest.Frozen(int64(1)), "fs"), false, ""},
	// identifiers in source are interned, so Python flags them and refers back to repeats
	{"{'methods': {'get_rate', 'ping', 'echo'}, 'oneway': {'ping'}, 'attrs': {'rate'}}", pyval.DictOf("methods", pyval.NewSet("get_rate", "ping", "echo"), "oneway", pyval.NewSet("ping"), "attrs", pyval.NewSet("rate")), true, ""},
	{"{'handshake': 'hello', 'meta': {'methods': ['echo', 'ping'], 'oneway': ['ping'], 'attrs': []}}", pyval.DictOf("handshake", "hello", "meta", pyval.DictOf("methods", []any{"echo", "ping"}, "oneway", []any{"ping"}, "attrs", []any{})), true, ""},
	{"(lambda s: [s, s, (s, s)])('not an identifier!' * 3)", func() any {
		s := strings.Repeat("not an identifier!", 3)
		return []any{s, s, pyval.Tuple{s, s}}
	}(), true, ""},
	{"(lambda t, d: [t, t, d, d, 2**70, 2**70])((1, 2**70), {'k': [1.5, 1.5]})", []any{pyval.Tuple{int64(1), twoPow(70, false)}, pyval.Tuple{int64(1), twoPow(70, false)}, pyval.DictOf("k", []any{1.5, 1.5}), pyval.DictOf("k", []any{1.5, 1.5}), twoPow(70, false), twoPow(70, false)}, true, ""},
	{"(lambda b: {'x': b, 'y': [b, frozenset({b})]})(b'shared')", pyval.DictOf("x", []byte("shared"), "y", []any{[]byte("shared"), codectest.Frozen([]byte("shared"))}), true, ""},
	{"{'__class__': 'builtins.ValueError', '__exception__': True, 'args': ('bad',), 'attributes': {'_pyroTraceback': ['Traceback\\n', 'ValueError: bad\\n']}}", pyval.DictOf("__class__", "builtins.ValueError", "__exception__", true, "args", pyval.Tuple{"bad"}, "attributes", pyval.DictOf("_pyroTraceback", []any{"Traceback\n", "ValueError: bad\n"})), true, "ValueError('bad')"},
}

func rangeTuple(n int) pyval.Tuple {
	t := make(pyval.Tuple, n)
	for i := range t {
		t[i] = int64(i)
	}
	return t
}

// TestPythonVectors decodes what Python's Pyro4 MarshalSerializer.dumps writes.
func TestPythonVectors(t *testing.T) {
	exprs := make([]string, len(pyCases))
	for i, c := range pyCases {
		exprs[i] = c.expr
	}
	out := runPython(t, "dumps", exprs)
	withRefs := 0
	for i, c := range pyCases {
		data, err := hex.DecodeString(out[i])
		if err != nil {
			t.Fatalf("%s: python printed %q", c.expr, out[i])
		}
		d := decoder{data: data, limit: baseExpansion + expansionFactor*len(data)}
		got, _, err := d.value(0)
		if err == nil && d.pos != len(data) {
			err = fmt.Errorf("%d bytes left", len(data)-d.pos)
		}
		if err != nil {
			t.Errorf("%s: decoding % x: %v", c.expr, data, err)
			continue
		}
		if !pyval.Equal(got, c.want) {
			t.Errorf("%s: got %s, want %s", c.expr, pyval.Repr(got), pyval.Repr(c.want))
		}
		if c.refs {
			if len(d.refs) == 0 || !bytes.Contains(data, []byte{'r'}) {
				t.Errorf("%s: expected Python to use references: % x", c.expr, data)
			}
			withRefs++
		}
		// and our encoding of it reads back the same
		again, err := Marshal(got)
		if err != nil {
			t.Errorf("%s: re-encoding: %v", c.expr, err)
			continue
		}
		if back, err := Unmarshal(again); err != nil || !pyval.Equal(back, c.want) {
			t.Errorf("%s: re-encoded round trip: %s, %v", c.expr, pyval.Repr(back), err)
		}
	}
	t.Logf("decoded %d Python marshal vectors (%d with back-references)", len(pyCases), withRefs)
}

// TestPythonReadsGo has Python's MarshalSerializer.loads read what Marshal writes.
func TestPythonReadsGo(t *testing.T) {
	var cases []string
	for _, c := range pyCases {
		data, err := Marshal(c.want)
		if err != nil {
			t.Fatalf("%s: %v", c.expr, err)
		}
		expr := c.expr
		if c.back != "" {
			expr = c.back
		}
		cases = append(cases, hex.EncodeToString(data)+"\t"+expr)
	}
	// Go-only spellings: Go int, nil containers, a Go map through pyval.FromGo
	extra := []struct {
		v    any
		expr string
	}{
		{7, "7"},
		{[]any(nil), "[]"},
		{(*pyval.Dict)(nil), "None"},
		{[]any(nil), "[]"},
		{pyval.Tuple(nil), "()"},
		{(*pyval.Set)(nil), "None"},
		{map[string]int{"b": 2, "a": 1}, "{'a': 1, 'b': 2}"},
		{[]string{"x", "y"}, "['x', 'y']"},
		{"\xed\xa0\x80", "'\\ud800'"},
	}
	for _, e := range extra {
		data, err := Marshal(e.v)
		if err != nil {
			t.Fatalf("%#v: %v", e.v, err)
		}
		cases = append(cases, hex.EncodeToString(data)+"\t"+e.expr)
	}
	out := runPython(t, "loads", cases)
	for i, line := range out {
		if line != "ok" {
			t.Errorf("case %d (%s): %s", i, strings.SplitN(cases[i], "\t", 2)[1], line)
		}
	}
	t.Logf("Python read %d Go-encoded marshal values", len(cases))
}

// TestRandomCrossCheck sends random values Go → Python loads → Python dumps → Go.
func TestRandomCrossCheck(t *testing.T) {
	const n = 3000
	rt := codectest.RoundTrip{Class: "MarshalSerializer"}
	res := rt.Run(t, Codec{}, codectest.RandomValues(3, pyvaltest.All, n))
	refs := 0
	for _, data := range res.Back {
		d := decoder{data: data, limit: baseExpansion + expansionFactor*len(data)}
		if _, _, err := d.value(0); err == nil && len(d.refs) > 0 {
			refs++
		}
	}
	if refs == 0 {
		t.Errorf("Python's output never used FLAG_REF; the check did not exercise it")
	}
	t.Logf("cross-checked %d random values through Python marshal (%d bytes back, %d with FLAG_REF)", res.Values, res.Bytes, refs)
}

// TestPythonCalls checks call payloads both ways against dumpsCall/loadsCall.
func TestPythonCalls(t *testing.T) {
	calls := []codectest.PyCall{
		{Call: codectest.TypicalCall(), Expr: "('MyWorker', 'get_rate', ('EURUSD', 3, 1.5, {'amount': 100, 'tags': ['a', 'b']}), {'timeout': 2.5})"},
		{Call: serializer.Call{Object: "Pyro.Daemon", Method: "get_metadata", Args: []any{"obj_0123"}, Kwargs: pyval.NewDict(0)}, Expr: "('Pyro.Daemon', 'get_metadata', ('obj_0123',), {})"},
		{Call: serializer.Call{Object: "é", Method: "m", Args: []any{pyval.NewSet(int64(1)), twoPow(80, true), []byte{0}}, Kwargs: pyval.DictOf("k", pyval.Tuple{})}, Expr: "('é', 'm', ({1}, -2**80, b'\\x00'), {'k': ()})"},
	}
	codectest.CheckPythonCalls(t, "MarshalSerializer", Codec{}, calls, false)
	t.Logf("checked %d calls each way against dumpsCall/loadsCall", len(calls))
}
