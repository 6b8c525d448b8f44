package serpent

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"math/big"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gopyro/pyro/internal/codectest"
	"github.com/gopyro/pyro/internal/pytest"
	"github.com/gopyro/pyro/internal/pyvaltest"
	"github.com/gopyro/pyro/pyval"
)

// pyHelpers is shared by the interop scripts: Pyro4's serpent serializer, a strict equality
// (types, NaN, signed zeros, exception args) and the undoing of serpent's bytes dicts, which
// Pyro4 leaves as dicts.
const pyHelpers = `
import sys, math, json, base64, struct, datetime, decimal, uuid, collections, enum
import serpent, Pyro4, Pyro4.core, Pyro4.errors
from Pyro4.util import SerpentSerializer
ser = SerpentSerializer()

def same(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, complex):
        return same(a.real, b.real) and same(a.imag, b.imag)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return len(a) == len(b) and all(k in b and same(v, b[k]) for k, v in a.items())
    if isinstance(a, BaseException):
        return same(a.args, b.args)
    return a == b

def restore(v):
    t = type(v)
    if t is dict:
        if len(v) == 2 and v.get("encoding") == "base64" and "data" in v:
            return serpent.tobytes(v)
        return {k: restore(x) for k, x in v.items()}
    if t is list:
        return [restore(x) for x in v]
    if t is tuple:
        return tuple(restore(x) for x in v)
    return v

def has_multiset(v):
    t = type(v)
    if t in (set, frozenset):
        return len(v) > 1
    if t in (list, tuple):
        return any(has_multiset(x) for x in v)
    if t is dict:
        return any(has_multiset(k) or has_multiset(x) for k, x in v.items())
    return False
`

// skip marks a direction an interop case does not check.
type skipT struct{}

var skip = skipT{}

type interopCase struct {
	name   string
	py     string // Python expression of the value
	goVal  any    // the Go value Marshal encodes; also what Unmarshal gives for Python's text unless fromPy is set
	fromPy any    // what Go decodes Python's text to, when it differs from goVal; skip to not check
	pyBack string // what Pyro4 loads Go's text as, when it differs from py; "-" to not check
	exact  bool   // Go writes the same bytes as Python's serpent
}

// someCodePoints is every 7th code point (surrogates left out), to check str escaping
// across Unicode; TestPrintableTableCurrent covers the rest.
func someCodePoints() string {
	var b strings.Builder
	for r := rune(1); r <= utf8.MaxRune; r += 7 {
		if r < 0xd800 || r > 0xdfff {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func interopCases() []interopCase {
	uri := pyval.DictOf("__class__", "Pyro4.core.URI", "state", pyval.Tuple{"PYRO", "obj", nil, "localhost", int64(1234)})
	return []interopCase{
		{name: "none", py: "None", goVal: nil, exact: true},
		{name: "bools", py: "(True, False)", goVal: pyval.Tuple{true, false}, exact: true},
		{name: "ints", py: "[0, 42, -7, 2**63-1, -2**63, 2**63, -2**63-1, 2**70]", goVal: []any{int64(0), int64(42), int64(-7), int64(math.MaxInt64), int64(math.MinInt64), codectest.BigInt("9223372036854775808"), codectest.BigInt("-9223372036854775809"), codectest.BigInt("1180591620717411303424")}, exact: true},
		{name: "int 2**1000", py: "2**1000", goVal: new(bigIntT).Lsh(bigOne(), 1000), exact: true},
		{name: "int 2**20000 (Python cannot write it)", py: "2**20000", goVal: new(bigIntT).Lsh(bigOne(), 20000), fromPy: skip},
		{name: "floats", py: "[1.5, 1.0, 1e16, 1e-05, 0.0001, -0.0, 5e-324, sys.float_info.max, 9999999999999998.0, 0.1, 123456789.123]", goVal: []any{1.5, 1.0, 1e16, 1e-5, 0.0001, negZero, 5e-324, math.MaxFloat64, 9999999999999998.0, 0.1, 123456789.123}, exact: true},
		{name: "non-finite", py: "(float('inf'), float('-inf'), float('nan'))", goVal: pyval.Tuple{inf, math.Inf(-1), nan}, exact: true},
		{name: "complex", py: "[1+2j, 1.5-2j, 2j, complex(float('inf'), 1), complex(1, float('-inf')), -2.5-0.5j]", goVal: []any{complex(1, 2), complex(1.5, -2), complex(0, 2), complex(inf, 1), complex(1, math.Inf(-1)), complex(-2.5, -0.5)}, exact: true},
		{name: "complex neg zero imag", py: "complex(1, -0.0)", goVal: complex(1, negZero), fromPy: complex(1, 0), pyBack: "complex(1, 0.0)"},
		{name: "complex neg zero both", py: "-0j", goVal: complex(negZero, negZero), fromPy: complex(negZero, 0)},
		{name: "str plain", py: "'hello'", goVal: "hello", exact: true},
		{name: "str quotes", py: `["it's", 'say "hi"', 'it\'s "q"', '']`, goVal: []any{"it's", `say "hi"`, `it's "q"`, ""}, exact: true},
		{name: "str escapes", py: `'\\\t\n\r\x00\x01\x1f\x7f\x80\x9f\xa0\xad\xa1\xe9'`, goVal: "\\\t\n\r\x00\x01\x1f\x7f\u0080\u009f\u00a0\u00ad\u00a1\u00e9", exact: true},
		{name: "str non-printable", py: `'\u2028\u200b\ufeff\uffff\U000e0001\U0010ffff'`, goVal: "\u2028\u200b\ufeff\uffff\U000e0001\U0010ffff", exact: true},
		{name: "str printable", py: "'héllo € 😀 日本'", goVal: "héllo € 😀 日本", exact: true},
		{name: "str many code points", py: "''.join(chr(i) for i in range(1, 0x110000, 7) if not 0xd800 <= i <= 0xdfff)", goVal: someCodePoints(), exact: true},
		{name: "str lone surrogates", py: `['\ud800', '\udc00x', '\ud800\ud801z']`, goVal: []any{"\xed\xa0\x80", "\xed\xb0\x80x", "\xed\xa0\x80\xed\xa0\x81z"}, exact: true},
		{name: "str surrogateescape", py: `'a\udcffb'`, goVal: "a\xffb", exact: true},
		{name: "str surrogate pair", py: `'\ud83d\ude00'`, goVal: "😀", pyBack: `'\U0001F600'`},
		{name: "str invalid utf8 from Go", py: `'\udced\udca0\udc80\udcff'`, goVal: "\xed\xa0\x80\xff", exact: true},
		{name: "bytes", py: "[b'\\x00\\x01abc\\xff', b'', bytearray(b'xy'), memoryview(b'z')]", goVal: []any{[]byte("\x00\x01abc\xff"), []byte{}, []byte("xy"), []byte("z")}, pyBack: "[b'\\x00\\x01abc\\xff', b'', b'xy', b'z']", exact: true},
		{name: "tuples", py: "((), (1,), (1, 'a'))", goVal: pyval.Tuple{pyval.Tuple{}, pyval.Tuple{int64(1)}, pyval.Tuple{int64(1), "a"}}, exact: true},
		{name: "lists", py: "[[], [1, [2, 3]]]", goVal: []any{[]any{}, []any{int64(1), []any{int64(2), int64(3)}}}, exact: true},
		{name: "dict", py: "{'a': 1, 2: 'b', (1, 2): None, 'e': {}}", goVal: pyval.DictOf("a", int64(1), int64(2), "b", pyval.Tuple{int64(1), int64(2)}, nil, "e", pyval.NewDict(0)), exact: true},
		{name: "dict keys", py: "{True: 1, 1.5: 2, 1+1j: 3, float('inf'): 4, 10**30: 5, (1, (2, 'x')): 6}", goVal: pyval.DictOf(true, int64(1), 1.5, int64(2), complex(1, 1), int64(3), inf, int64(4), codectest.BigInt("1"+strings.Repeat("0", 30)), int64(5), pyval.Tuple{int64(1), pyval.Tuple{int64(2), "x"}}, int64(6)), exact: true},
		{name: "dict bytes key", py: "{b'k': 1}", goVal: pyval.DictOf([]byte("k"), int64(1)), fromPy: skip},
		{name: "dict None key", py: "{None: 1, (None,): {None}}", goVal: pyval.DictOf(nil, int64(1), pyval.Tuple{nil}, pyval.NewSet(nil)), fromPy: skip},
		{name: "empty set", py: "set()", goVal: pyval.NewSet(), fromPy: pyval.Tuple{}, pyBack: "()", exact: true},
		{name: "empty frozenset", py: "frozenset()", goVal: &pyval.Set{Frozen: true}, fromPy: pyval.Tuple{}, pyBack: "()", exact: true},
		{name: "set one", py: "{3}", goVal: pyval.NewSet(int64(3)), exact: true},
		{name: "set", py: "{1, 'a', (2, 3)}", goVal: pyval.NewSet(int64(1), "a", pyval.Tuple{int64(2), int64(3)})},
		{name: "frozenset", py: "frozenset({1, 2})", goVal: pyval.NewSet(int64(1), int64(2)), pyBack: "{1, 2}"},
		{name: "nested", py: "[{'k': ([], set(), float('nan'), {1: [b'x']})}]", goVal: []any{pyval.DictOf("k", pyval.Tuple{[]any{}, pyval.NewSet(), nan, pyval.DictOf(int64(1), []any{[]byte("x")})})}, fromPy: []any{pyval.DictOf("k", pyval.Tuple{[]any{}, pyval.Tuple{}, nan, pyval.DictOf(int64(1), []any{[]byte("x")})})}, pyBack: "[{'k': ([], (), float('nan'), {1: [b'x']})}]", exact: true},
		{name: "uri", py: "Pyro4.core.URI('PYRO:obj@localhost:1234')", goVal: uri, exact: true},
		{name: "proxy", py: "Pyro4.core.Proxy('PYRO:obj@localhost:1234')", goVal: pyval.DictOf("__class__", "Pyro4.core.Proxy", "state", pyval.Tuple{"PYRO:obj@localhost:1234", pyval.Tuple{}, pyval.Tuple{}, pyval.Tuple{}, 0.0, nil, "hello", int64(0), nil}), exact: true},
		{name: "exception", py: "ValueError('bad', 3)", goVal: pyval.DictOf("__class__", "builtins.ValueError", "__exception__", true, "args", pyval.Tuple{"bad", int64(3)}, "attributes", pyval.NewDict(0)), exact: true},
		{name: "pyro exception", py: "Pyro4.errors.CommunicationError('x')", goVal: pyval.DictOf("__class__", "Pyro4.errors.CommunicationError", "__exception__", true, "args", pyval.Tuple{"x"}, "attributes", pyval.NewDict(0)), exact: true},
		{name: "decimal datetime uuid timedelta enum", py: "[decimal.Decimal('3.14159265358979323846'), datetime.datetime(2024, 1, 2, 3, 4, 5, 600), datetime.date(2024, 1, 2), uuid.UUID('12345678-1234-5678-1234-567812345678'), datetime.timedelta(days=1, seconds=2.5), enum.Enum('E', 'A B').B]", goVal: []any{"3.14159265358979323846", "2024-01-02T03:04:05.000600", "2024-01-02", "12345678-1234-5678-1234-567812345678", 86402.5, int64(2)}, pyBack: "['3.14159265358979323846', '2024-01-02T03:04:05.000600', '2024-01-02', '12345678-1234-5678-1234-567812345678', 86402.5, 2]", exact: true},
		{name: "ordered dict", py: "collections.OrderedDict([('x', 1)])", goVal: pyval.DictOf("__class__", "collections.OrderedDict", "items", []any{pyval.Tuple{"x", int64(1)}}), pyBack: "-", exact: true},
	}
}

// TestInteropHandPicked checks hand-picked values both ways against Pyro4's SerpentSerializer:
// Python's text decodes in Go to the expected value, Go's text loads in Python to the expected
// value, and where marked Go writes byte for byte what Python writes.
func TestInteropHandPicked(t *testing.T) {
	cases := interopCases()
	type req struct {
		Py     string `json:"py"`
		PyBack string `json:"pyBack"`
		Go     string `json:"go"`
	}
	type resp struct {
		Dumped  string `json:"dumped"`
		DumpErr string `json:"dumpErr"`
		Same    *bool  `json:"same"`
		Loaded  string `json:"loaded"`
	}
	reqs := make([]req, len(cases))
	goText := make([][]byte, len(cases))
	for i, tc := range cases {
		data, err := Marshal(tc.goVal)
		if err != nil {
			t.Fatalf("%s: Marshal: %v", tc.name, err)
		}
		goText[i] = data
		reqs[i] = req{Py: tc.py, PyBack: tc.pyBack, Go: base64.StdEncoding.EncodeToString(data)}
	}
	in, _ := json.Marshal(reqs)
	script := pyHelpers + `
out = []
for r in json.load(sys.stdin):
    res = {}
    v = eval(r["py"])
    try:
        res["dumped"] = base64.b64encode(ser.dumps(v)).decode()
    except Exception as e:
        res["dumpErr"] = repr(e)
    if r["pyBack"] != "-":
        loaded = ser.loads(base64.b64decode(r["go"]))
        res["same"] = same(restore(loaded), eval(r["pyBack"] or r["py"]))
        try:
            res["loaded"] = repr(loaded)[:300]
        except ValueError as e:
            res["loaded"] = "unprintable: %s" % e
    out.append(res)
json.dump(out, sys.stdout)
`
	var resps []resp
	if err := json.Unmarshal(pytest.Run(t, script, in), &resps); err != nil || len(resps) != len(cases) {
		t.Fatalf("python output: %v (%d results)", err, len(resps))
	}
	var exact, pyToGo, goToPy int
	for i, tc := range cases {
		r := resps[i]
		if tc.fromPy != skip {
			if r.DumpErr != "" {
				t.Errorf("%s: Python could not dump %s: %s", tc.name, tc.py, r.DumpErr)
				continue
			}
			pyText, _ := base64.StdEncoding.DecodeString(r.Dumped)
			want := tc.fromPy
			if want == nil && tc.goVal != nil {
				want = tc.goVal
			}
			got, err := Unmarshal(pyText)
			if err != nil {
				t.Errorf("%s: Unmarshal(%.200q): %v", tc.name, pyText, err)
			} else if !pyval.Equal(got, want) {
				t.Errorf("%s: Python wrote %.200q\nGo decoded %.200s\n      want %.200s", tc.name, pyText, pyval.Repr(got), pyval.Repr(want))
			} else {
				pyToGo++
			}
			if tc.exact {
				if !bytes.Equal(pyText, goText[i]) {
					t.Errorf("%s: texts differ\nPython %.300q\n    Go %.300q", tc.name, pyText, goText[i])
				} else {
					exact++
				}
			}
		}
		if tc.pyBack != "-" {
			if r.Same == nil || !*r.Same {
				t.Errorf("%s: Go wrote %.200q, Pyro4 loaded %s, want %s", tc.name, goText[i], r.Loaded, tc.pyBack+tc.py)
			} else {
				goToPy++
			}
		}
	}
	t.Logf("hand-picked interop: %d cases, %d Python→Go decoded, %d Go→Python loaded, %d byte-identical to Python", len(cases), pyToGo, goToPy, exact)
}

// randomAnswer loads each Go text with Pyro4, checks that serpent writes the same text for
// the same value (when set order cannot differ), and answers with Pyro4's re-encoding and a
// note: a status byte (0 text not compared, 1 identical, 2 different), then Python's own text
// when different.
const randomAnswer = `
def answer(text, call):
    v = ser.loads(text)
    r = restore(v)
    status, mine = 0, b""
    if not has_multiset(r):
        mine = serpent.dumps(r, module_in_classname=True)
        status = 1 if mine == text else 2
    return ser.dumps(v), bytes([status]) + (mine if status == 2 else b"")
`

// TestInteropRandom sends thousands of random values Go → Python → Go: Go encodes, Pyro4
// decodes and re-encodes, Go decodes and must get the original value back. Python also
// checks that serpent writes Go's text byte for byte for the same value.
func TestInteropRandom(t *testing.T) {
	n := 4000
	if testing.Short() {
		n = 500
	}
	rt := codectest.RoundTrip{Script: pyHelpers + randomAnswer, Want: roundTripForm}
	res := rt.Run(t, Codec{}, codectest.RandomValues(20240601, pyvaltest.All, n))
	failed := res.Failed
	var identical, compared int
	for i, note := range res.Notes {
		if len(note) == 0 {
			t.Fatalf("value %d: no status from Python", i)
		}
		switch note[0] {
		case 1:
			identical++
			compared++
		case 2:
			compared++
			failed++
			if failed <= 5 {
				t.Errorf("value %d: texts differ\n    Go %q\nPython %q", i, res.Sent[i], note[1:])
			}
		}
	}
	t.Logf("random interop: %d values Go→Python→Go, %d failures; %d texts compared with Python's serpent.dumps, %d byte-identical", res.Values, failed, compared, identical)
}

// bigIntT and bigOne keep the case table short.
type bigIntT = big.Int

func bigOne() *big.Int { return big.NewInt(1) }
