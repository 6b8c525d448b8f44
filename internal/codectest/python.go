package codectest

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/gopyro/pyro/internal/pytest"
	"github.com/gopyro/pyro/serializer"
)

// PySame is Python source defining same(a, b), the strict equality the interop scripts
// check decoded values with: exact types, NaN equal to NaN, signed zeros told apart, complex
// parts compared likewise, exceptions by their args, dicts by key order and values.
const PySame = `
def same(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, BaseException):
        return same(a.args, b.args)
    if isinstance(a, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, complex):
        return same(a.real, b.real) and same(a.imag, b.imag)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return len(a) == len(b) and list(a) == list(b) and all(same(v, b[k]) for k, v in a.items())
    return a == b
`

// Prelude is the start of an interop script for Pyro4's serializer class (in Pyro4.util, e.g.
// "JsonSerializer"): the usual imports, ser, an instance of it, and same (see PySame).
func Prelude(class string) string {
	return "import sys, math, struct, json, base64\nimport Pyro4, Pyro4.util\nser = Pyro4.util." + class + "()\n" + PySame
}

// modesScript answers one case a line; the first stdin line picks the mode.
const modesScript = `
lines = [l for l in sys.stdin.read().split("\n") if l]
mode, cases = lines[0], lines[1:]
out = []
for case in cases:
    if mode == "dumps":        # python expression -> hex of dumps
        out.append(ser.dumps(eval(case)).hex())
    elif mode == "loads":      # hex TAB expression -> ok / FAIL
        h, expr = case.split("\t", 1)
        got, want = ser.loads(bytes.fromhex(h)), eval(expr)
        out.append("ok" if same(got, want) else "FAIL got %r want %r" % (got, want))
    elif mode == "echo":       # hex -> loads -> dumps -> hex
        out.append(ser.dumps(ser.loads(bytes.fromhex(case))).hex())
    elif mode == "dumpsCall":  # expression of (obj, method, vargs, kwargs) -> hex
        out.append(ser.dumpsCall(*eval(case)).hex())
    elif mode == "loadsCall":  # hex TAB expression of (obj, method, vargs tuple, kwargs) -> ok / FAIL
        h, expr = case.split("\t", 1)
        obj, method, vargs, kwargs = ser.loadsCall(bytes.fromhex(h))
        got, want = (obj, method, tuple(vargs), kwargs), eval(expr)
        out.append("ok" if same(got, want) else "FAIL got %r want %r" % (got, want))
print("\n".join(out))
`

// RunModes sends cases to one Python process driving Pyro4's serializer class and returns
// its one answer line per case. The mode says what a case is and what Python answers:
//
//	dumps      a Python expression; hex of ser.dumps of it
//	loads      hex TAB expression; "ok" when ser.loads of the bytes is same as the expression
//	echo       hex; hex of ser.dumps(ser.loads(bytes))
//	dumpsCall  an expression of (obj, method, vargs, kwargs); hex of ser.dumpsCall(*it)
//	loadsCall  hex TAB expression of (obj, method, vargs, kwargs), vargs a tuple; "ok" or why not
func RunModes(t testing.TB, class, mode string, cases []string) []string {
	t.Helper()
	in := mode + "\n" + strings.Join(cases, "\n") + "\n"
	out := strings.Split(strings.TrimRight(string(pytest.Run(t, Prelude(class)+modesScript, []byte(in))), "\n"), "\n")
	if len(out) != len(cases) {
		t.Fatalf("python answered %d lines for %d cases", len(out), len(cases))
	}
	return out
}

// framesScript frames the exchange: each input is a kind byte ("c" for a call, "v" for a
// value) and a length-prefixed payload; each answer is answer(data, call)'s re-encoding and
// note (empty unless answer returns a pair), both length-prefixed.
const framesScript = `
inp, out = sys.stdin.buffer, sys.stdout.buffer
while True:
    head = inp.read(5)
    if not head:
        break
    n, = struct.unpack(">I", head[1:])
    res = answer(inp.read(n), head[:1] == b"c")
    note = b""
    if isinstance(res, tuple):
        res, note = res
    out.write(struct.pack(">I", len(res)) + res + struct.pack(">I", len(note)) + note)
`

// DefaultAnswer re-encodes what Go sent with Pyro4's serializer, as a value or as a call.
const DefaultAnswer = `
def answer(data, call):
    if call:
        return ser.dumpsCall(*ser.loadsCall(data))
    return ser.dumps(ser.loads(data))
`

// pythonFrames runs script (which defines answer) over inputs in one Python process and
// returns each answer and note.
func pythonFrames(t testing.TB, script string, calls []bool, inputs [][]byte) (answers, notes [][]byte) {
	t.Helper()
	var stdin bytes.Buffer
	for i, data := range inputs {
		kind := byte('v')
		if calls[i] {
			kind = 'c'
		}
		stdin.WriteByte(kind)
		stdin.Write(binary.BigEndian.AppendUint32(nil, uint32(len(data))))
		stdin.Write(data)
	}
	out := pytest.Run(t, script+framesScript, stdin.Bytes())
	next := func(i int) []byte {
		if len(out) < 4 || uint32(len(out)-4) < binary.BigEndian.Uint32(out) {
			t.Fatalf("python output ends at item %d of %d", i, len(inputs))
		}
		n := binary.BigEndian.Uint32(out)
		b := out[4 : 4+n]
		out = out[4+n:]
		return b
	}
	for i := range inputs {
		answers = append(answers, next(i))
		notes = append(notes, next(i))
	}
	if len(out) != 0 {
		t.Errorf("%d bytes of extra python output", len(out))
	}
	return answers, notes
}

// PyCall is a call and its Python expression: (obj, method, vargs, kwargs) as Pyro4's client
// passes them to dumpsCall, vargs a tuple.
type PyCall struct {
	Call serializer.Call
	Expr string
}

// CheckPythonCalls checks calls both ways against Pyro4's serializer class: Python's
// loadsCall reads Go's MarshalCall as Expr, and UnmarshalCall reads Python's dumpsCall of Expr
// as Call. With exact, Go must also write Python's bytes.
func CheckPythonCalls(t testing.TB, class string, c serializer.Codec, calls []PyCall, exact bool) {
	t.Helper()
	var cases, exprs []string
	mine := make([][]byte, len(calls))
	for i, pc := range calls {
		data, err := serializer.MarshalCall(c, pc.Call)
		if err != nil {
			t.Fatal(err)
		}
		mine[i] = data
		cases = append(cases, hex.EncodeToString(data)+"\t"+pc.Expr)
		exprs = append(exprs, pc.Expr)
	}
	for i, line := range RunModes(t, class, "loadsCall", cases) {
		if line != "ok" {
			t.Errorf("Python loadsCall of Go call %d: %s", i, line)
		}
	}
	for i, line := range RunModes(t, class, "dumpsCall", exprs) {
		data, err := hex.DecodeString(line)
		if err != nil {
			t.Fatalf("python printed %q", line)
		}
		if exact && !bytes.Equal(mine[i], data) {
			t.Errorf("call %d: Python wrote\n%q\nGo writes\n%q", i, data, mine[i])
		}
		got, err := serializer.UnmarshalCall(c, data)
		if err != nil {
			t.Errorf("UnmarshalCall of Python's call %d: %v", i, err)
			continue
		}
		if want := calls[i].Call; !SameCall(got, want) {
			t.Errorf("call %d: got %+v, want %+v", i, got, want)
		}
	}
}

// AddPythonSeeds adds Pyro4's serializer class's dumps of each Python expression to f's seed
// corpus.
func AddPythonSeeds(f *testing.F, class string, exprs []string) {
	f.Helper()
	for _, h := range RunModes(f, class, "dumps", exprs) {
		b, err := hex.DecodeString(h)
		if err != nil {
			f.Fatalf("python printed %q", h)
		}
		f.Add(b)
	}
}
