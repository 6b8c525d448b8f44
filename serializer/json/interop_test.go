package json

import (
	"encoding/hex"
	"math"
	"math/big"
	"testing"

	"github.com/gopyro/pyro/internal/codectest"
	"github.com/gopyro/pyro/internal/pyvaltest"
	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

// runPython sends one mode and its cases to Pyro4's JsonSerializer in one Python process and
// returns one line per case (see codectest.RunModes).
func runPython(t testing.TB, mode string, cases []string) []string {
	t.Helper()
	return codectest.RunModes(t, "JsonSerializer", mode, cases)
}

func pow(x, y int64, neg bool) *big.Int {
	b := new(big.Int).Exp(big.NewInt(x), big.NewInt(y), nil)
	if neg {
		b.Neg(b)
	}
	return b
}

// pyCases pairs Python expressions with the canonical Go values Pyro4's json makes of them.
var pyCases = []struct {
	expr string
	want any
	// back is what Python's loads makes of the Go encoding of want, when not expr itself
	back string
}{
	{"None", nil, ""},
	{"[True, False]", []any{true, false}, ""},
	{"'message used serializer that is not accepted: 6'", "message used serializer that is not accepted: 6", ""},
	{"'x\\x00\\x1f\\x7f\\u2028é\"\\\\\\n\\r\\t\\b\\f/\\U0001F600'", "x\x00\x1f\x7f\u2028é\"\\\n\r\t\b\f/\U0001F600", ""},
	{"[0, -1, 2**31, 2**63-1, -2**63, 2**63, -2**200, 10**4000]", []any{int64(0), int64(-1), int64(1 << 31), int64(math.MaxInt64), int64(math.MinInt64), pow(2, 63, false), pow(2, 200, true), pow(10, 4000, false)}, ""},
	{"[0.0, -0.0, 1.5, 1e16, 1e-05, 0.0001, 5e-324, 1.7976931348623157e308, 123456789.123, 0.1, 1e22]", []any{0.0, math.Copysign(0, -1), 1.5, 1e16, 1e-05, 0.0001, 5e-324, math.MaxFloat64, 123456789.123, 0.1, 1e22}, ""},
	{"[float('nan'), float('inf'), float('-inf')]", []any{math.NaN(), math.Inf(1), math.Inf(-1)}, ""},
	{"(1, (2, 'three'), ())", []any{int64(1), []any{int64(2), "three"}, []any{}}, "[1, [2, 'three'], []]"},
	{"{'one'}", []any{"one"}, "['one']"},
	{"{1: 'a', 2.5: 'b', False: 'c', None: 'd', 10**30: 'e', float('inf'): 'f', 1e16: 'g', -0.5: 'h'}", pyval.DictOf("1", "a", "2.5", "b", "false", "c", "null", "d", "1000000000000000000000000000000", "e", "Infinity", "f", "1e+16", "g", "-0.5", "h"), "{'1': 'a', '2.5': 'b', 'false': 'c', 'null': 'd', '1000000000000000000000000000000': 'e', 'Infinity': 'f', '1e+16': 'g', '-0.5': 'h'}"},
	{"{'z': [], 'a': {}, 'm': {'nested': [{'deep': None}]}}", pyval.DictOf("z", []any{}, "a", pyval.NewDict(0), "m", pyval.DictOf("nested", []any{pyval.DictOf("deep", nil)})), ""},
	{"{'handshake': 'hello', 'object': 'obj_0123'}", pyval.DictOf("handshake", "hello", "object", "obj_0123"), ""},
	{"{'handshake': 'hello', 'meta': {'methods': ['echo', 'ping'], 'oneway': ['ping'], 'attrs': []}}", pyval.DictOf("handshake", "hello", "meta", pyval.DictOf("methods", []any{"echo", "ping"}, "oneway", []any{"ping"}, "attrs", []any{})), ""},
	{"{'__class__': 'builtins.ValueError', '__exception__': True, 'args': ('bad',), 'attributes': {'_pyroTraceback': ['Traceback\\n', 'ValueError: bad\\n']}}", pyval.DictOf("__class__", "builtins.ValueError", "__exception__", true, "args", []any{"bad"}, "attributes", pyval.DictOf("_pyroTraceback", []any{"Traceback\n", "ValueError: bad\n"})), "ValueError('bad')"},
}

// TestPythonVectors decodes what Pyro4's JsonSerializer.dumps writes, and checks that Marshal
// writes the very same bytes for the decoded value.
func TestPythonVectors(t *testing.T) {
	exprs := make([]string, len(pyCases))
	for i, c := range pyCases {
		exprs[i] = c.expr
	}
	out := runPython(t, "dumps", exprs)
	for i, c := range pyCases {
		data, err := hex.DecodeString(out[i])
		if err != nil {
			t.Fatalf("%s: python printed %q", c.expr, out[i])
		}
		got, err := Unmarshal(data)
		if err != nil {
			t.Errorf("%s: decoding %s: %v", c.expr, data, err)
			continue
		}
		if !pyval.Equal(got, c.want) {
			t.Errorf("%s: got %s, want %s", c.expr, pyval.Repr(got), pyval.Repr(c.want))
		}
		again, err := Marshal(got)
		if err != nil {
			t.Errorf("%s: re-encoding: %v", c.expr, err)
			continue
		}
		if string(again) != string(data) {
			t.Errorf("%s: Python wrote\n%s\nGo writes\n%s", c.expr, data, again)
		}
	}
	t.Logf("decoded %d Python json vectors, re-encoded each byte for byte", len(pyCases))
}

// TestPythonReadsGo has Pyro4's JsonSerializer.loads read what Marshal writes.
func TestPythonReadsGo(t *testing.T) {
	type pair struct {
		v    any
		expr string
	}
	var pairs []pair
	for _, c := range pyCases {
		expr := c.expr
		if c.back != "" {
			expr = c.back
		}
		pairs = append(pairs, pair{c.want, expr})
	}
	pairs = append(pairs,
		pair{pyval.Tuple{int64(1), pyval.NewSet("s")}, "[1, ['s']]"},
		pair{pyval.DictOf(int64(7), true, math.NaN(), nil, true, false), "{'7': True, 'NaN': None, 'true': False}"},
		pair{"lone \xed\xa0\x80 surrogate", "'lone \\ud800 surrogate'"},
		pair{map[string]any{"b": []int{1, 2}, "a": uint64(math.MaxUint64)}, "{'a': 2**64-1, 'b': [1, 2]}"},
		pair{struct {
			Name string `pyro:"name"`
			Rate float64
		}{"x", 2.5}, "{'name': 'x', 'Rate': 2.5}"},
	)
	cases := make([]string, len(pairs))
	for i, p := range pairs {
		data, err := Marshal(p.v)
		if err != nil {
			t.Fatalf("%s: %v", p.expr, err)
		}
		cases[i] = hex.EncodeToString(data) + "\t" + p.expr
	}
	for i, line := range runPython(t, "loads", cases) {
		if line != "ok" {
			t.Errorf("case %d (%s): %s", i, pairs[i].expr, line)
		}
	}
	t.Logf("Python read %d Go-encoded json values", len(cases))
}

// jsonCaps is what survives json unchanged: no tuples, sets, bytes or complex, str keys only.
var jsonCaps = pyvaltest.Caps{BigInts: true, NonFinite: true, NegZero: true}

// TestRandomCrossCheck sends random values Go → Python loads → Python dumps → Go, and also
// requires Python's output to be byte for byte what Go wrote.
func TestRandomCrossCheck(t *testing.T) {
	const n = 3000
	rt := codectest.RoundTrip{Class: "JsonSerializer", Identical: true}
	res := rt.Run(t, Codec{}, codectest.RandomValues(2, jsonCaps, n))
	t.Logf("cross-checked %d random values through Python json (%d bytes; %d byte-identical to Go's output)", res.Values, res.Bytes, res.Identical)
}

// TestPythonCalls checks call payloads both ways against dumpsCall/loadsCall.
func TestPythonCalls(t *testing.T) {
	calls := []codectest.PyCall{
		{Call: codectest.TypicalCall(), Expr: "('MyWorker', 'get_rate', ('EURUSD', 3, 1.5, {'amount': 100, 'tags': ['a', 'b']}), {'timeout': 2.5})"},
		{Call: serializer.Call{Object: "Pyro.Daemon", Method: "get_metadata", Args: []any{"obj_0123"}, Kwargs: pyval.NewDict(0)}, Expr: "('Pyro.Daemon', 'get_metadata', ('obj_0123',), {})"},
		{Call: serializer.Call{Object: "é", Method: "<batch>", Args: []any{[]any{"m", []any{float64(math.Inf(1))}, pyval.NewDict(0)}, pow(2, 80, true)}}, Expr: "('é', '<batch>', (['m', [float('inf')], {}], -2**80), None)"},
	}
	codectest.CheckPythonCalls(t, "JsonSerializer", Codec{}, calls, true)
	t.Logf("checked %d calls each way against dumpsCall/loadsCall, byte for byte", len(calls))
}
