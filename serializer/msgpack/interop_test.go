package msgpack

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopyro/pyro/internal/codectest"
	"github.com/gopyro/pyro/internal/pytest"
	"github.com/gopyro/pyro/internal/pyvaltest"
	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

var update = flag.Bool("update", false, "rewrite testdata/python_vectors.txt from Python's output")

// Directions a vector is checked in.
const (
	pyToGo = 1 << iota // Go decodes Python's dumps(py) to goV
	goToPy             // Python's loads of Go's encoding of goV equals its loads(dumps(py))
	exact              // Go's encoding of goV is byte for byte Python's dumps(py)
	all    = pyToGo | goToPy | exact
)

// maxSample keeps the large vectors out of the stored samples, which seed the fuzzer.
const maxSample = 512

type vector struct {
	name  string
	py    string // Python expression; "CALL " + a 4-tuple for dumpsCall/loadsCall
	goV   any
	flags int
}

func manyKeys() *pyval.Dict {
	d := pyval.NewDict(16)
	for i := range 16 {
		d.Set(fmt.Sprint(i), int64(i))
	}
	return d
}

func ints(n int) []any {
	l := make([]any, n)
	for i := range l {
		l[i] = int64(i)
	}
	return l
}

func pow2(n uint) *big.Int { return new(big.Int).Lsh(big.NewInt(1), n) }

var vectors = []vector{
	{"none", "None", nil, all},
	{"true", "True", true, all},
	{"false", "False", false, all},
	{"int0", "0", int64(0), all},
	{"int127", "127", int64(127), all},
	{"int128", "128", int64(128), all},
	{"int255", "255", int64(255), all},
	{"int256", "256", int64(256), all},
	{"int65535", "65535", int64(65535), all},
	{"int65536", "65536", int64(65536), all},
	{"int2p32m1", "2**32-1", int64(1<<32 - 1), all},
	{"int2p32", "2**32", int64(1 << 32), all},
	{"int2p63m1", "2**63-1", int64(math.MaxInt64), all},
	{"int2p63", "2**63", pow2(63), all},
	{"int2p64m1", "2**64-1", new(big.Int).Sub(pow2(64), big.NewInt(1)), all},
	{"int2p64", "2**64", pow2(64), all},
	{"int2p14000", "2**14000", pow2(14000), all},
	{"intm1", "-1", int64(-1), all},
	{"intm32", "-32", int64(-32), all},
	{"intm33", "-33", int64(-33), all},
	{"intm128", "-128", int64(-128), all},
	{"intm129", "-129", int64(-129), all},
	{"intm32768", "-32768", int64(-32768), all},
	{"intm32769", "-32769", int64(-32769), all},
	{"intm2p31", "-2**31", int64(math.MinInt32), all},
	{"intm2p31m1", "-2**31-1", int64(math.MinInt32 - 1), all},
	{"intm2p63", "-2**63", int64(math.MinInt64), all},
	{"intm2p63m1", "-2**63-1", new(big.Int).Sub(big.NewInt(math.MinInt64), big.NewInt(1)), all},
	{"intm10p100", "-10**100", new(big.Int).Neg(new(big.Int).Exp(big.NewInt(10), big.NewInt(100), nil)), all},
	{"float0", "0.0", 0.0, all},
	{"floatm0", "-0.0", math.Copysign(0, -1), all},
	{"float1.5", "1.5", 1.5, all},
	{"float0.1", "0.1", 0.1, all},
	{"floatinf", "float('inf')", math.Inf(1), all},
	{"floatminf", "float('-inf')", math.Inf(-1), all},
	{"floatnan", "float('nan')", math.NaN(), pyToGo | goToPy}, // NaN payloads differ
	{"floatmin", "5e-324", 5e-324, all},
	{"floatmax", "1.7976931348623157e308", math.MaxFloat64, all},
	{"complex1j", "1j", complex(0, 1), all},
	{"complex", "1.5-2j", complex(1.5, -2), all},
	{"complexinf", "complex(float('inf'), -0.0)", complex(math.Inf(1), math.Copysign(0, -1)), all},
	{"strempty", "''", "", all},
	{"str", "'é€😀\\u2028\\x00\\x7f'", "é€😀\u2028\x00\x7f", all},
	{"str31", "'x'*31", strings.Repeat("x", 31), all},
	{"str32", "'x'*32", strings.Repeat("x", 32), all},
	{"str255", "'x'*255", strings.Repeat("x", 255), all},
	{"str256", "'x'*256", strings.Repeat("x", 256), all},
	{"str65535", "'x'*65535", strings.Repeat("x", 65535), all},
	{"str65536", "'x'*65536", strings.Repeat("x", 65536), all},
	{"bytesempty", "b''", []byte{}, all},
	{"bytes", "b'\\x00\\xff'", []byte{0, 0xff}, all},
	{"bytes255", "b'x'*255", bytes.Repeat([]byte("x"), 255), all},
	{"bytes256", "b'x'*256", bytes.Repeat([]byte("x"), 256), all},
	{"bytes65536", "b'x'*65536", bytes.Repeat([]byte("x"), 65536), all},
	{"bytearray", "bytearray(b'ab')", []byte("ab"), all},
	{"listempty", "[]", []any{}, all},
	{"listnested", "[1, [2, [3, []]]]", []any{int64(1), []any{int64(2), []any{int64(3), []any{}}}}, all},
	{"list15", "list(range(15))", ints(15), all},
	{"list16", "list(range(16))", ints(16), all},
	{"list65536", "list(range(65536))", ints(65536), all},
	{"tuple", "(1, 'a')", []any{int64(1), "a"}, all},
	{"set", "{7}", []any{int64(7)}, all},
	{"dictempty", "{}", pyval.NewDict(0), all},
	{"dict", "{'a': {'b': [1.5, None]}}", pyval.DictOf("a", pyval.DictOf("b", []any{1.5, nil})), all},
	{"dict16", "{str(i): i for i in range(16)}", manyKeys(), all},
	{"dictbyteskey", "{b'k': True}", pyval.DictOf([]byte("k"), true), all},
	// Python packs these keys but its strict_map_key unpacker refuses them
	{"dictintkey", "{1: 'x'}", pyval.DictOf(int64(1), "x"), pyToGo | exact},
	{"dicttuplekey", "{(1, 'a'): None}", pyval.DictOf(pyval.Tuple{int64(1), "a"}, nil), pyToGo | exact},
	{"dictmixedkeys", "{1.5: 'f', None: 0, True: 1}", pyval.DictOf(1.5, "f", nil, int64(0), true, int64(1)), pyToGo | exact},
	{"uuid", "uuid.UUID(int=1)", "00000000-0000-0000-0000-000000000001", all},
	{"decimal", "decimal.Decimal('1.25')", "1.25", all},
	// Datetimes travel as timestamps, read as local time by both sides (TestDateTimeZones).
	{"datetime", "datetime.datetime.fromtimestamp(1577934240.123457)", time.Unix(1577934240, 123457000), all},
	{"datetimeepoch", "datetime.datetime.fromtimestamp(0)", time.Unix(0, 0), all},
	{"datetimenegative", "datetime.datetime.fromtimestamp(-1.5)", time.Unix(-2, 500000000), all},
	{"datetimeearly", "datetime.datetime.fromtimestamp(-62135380800)", time.Date(1, 1, 3, 12, 0, 0, 0, time.UTC), all},
	{"datetimelate", "datetime.datetime.fromtimestamp(253402300799.999)", time.Date(9999, 12, 31, 23, 59, 59, 998993000, time.UTC), all}, // the float nearest .999 rounds to .998993 there
	{"date", "datetime.date(2020, 1, 2)", pyval.Date{Year: 2020, Month: 1, Day: 2}, all},
	{"datemin", "datetime.date(1, 1, 1)", pyval.Date{Year: 1, Month: 1, Day: 1}, all},
	{"datemax", "datetime.date(9999, 12, 31)", pyval.Date{Year: 9999, Month: 12, Day: 31}, all},
	{"datetimes", "{'at': [datetime.datetime.fromtimestamp(86400.25), datetime.date(2024, 2, 29)]}",
		pyval.DictOf("at", []any{time.Unix(86400, 250000000), pyval.Date{Year: 2024, Month: 2, Day: 29}}), all},
	{"uri", "Pyro4.core.URI('PYRO:obj@localhost:9090')", pyval.DictOf("__class__", "Pyro4.core.URI",
		"state", []any{"PYRO", "obj", nil, "localhost", int64(9090)}), all},
	{"exception", "ValueError('bad', 3)", pyval.DictOf("__class__", "builtins.ValueError", "__exception__", true,
		"args", []any{"bad", int64(3)}, "attributes", pyval.NewDict(0)), all},
	{"call", "CALL ('obj', 'meth', (1, 'a', 1j, 2**70), {'k': b'v'})", serializer.Call{Object: "obj", Method: "meth",
		Args: []any{int64(1), "a", complex(0, 1), pow2(70)}, Kwargs: pyval.DictOf("k", []byte("v"))}, all},
	{"callnokwargs", "CALL ('obj', 'meth', [], None)", serializer.Call{Object: "obj", Method: "meth", Args: []any{}}, all},
	// Pyro4's loadsCall has no ext hook: Python reads these as ExtType, from Go as from itself.
	{"calldatetime", "CALL ('obj', 'meth', (datetime.datetime.fromtimestamp(0), datetime.date(2020, 1, 2)), None)",
		serializer.Call{Object: "obj", Method: "meth", Args: []any{time.Unix(0, 0), pyval.Date{Year: 2020, Month: 1, Day: 2}}}, all},
	// Go-only forms, which Python must read as it reads its own equivalents
	{"gotuple", "(1, 'a')", pyval.Tuple{int64(1), "a"}, goToPy | exact},
	{"gonestedtuple", "{'t': ((), [()])}", pyval.DictOf("t", pyval.Tuple{pyval.Tuple{}, []any{pyval.Tuple{}}}), goToPy | exact},
	{"goset", "{'x'}", pyval.NewSet("x"), goToPy | exact},
	{"gofrozenset", "('x',)", codectest.Frozen("x"), goToPy | exact},
	{"goint", "300", 300, goToPy | exact},
	{"gobigsmall", "5", big.NewInt(5), goToPy | exact},
	{"gonilbytes", "b''", []byte(nil), goToPy | exact},
	{"gotimezone", "datetime.datetime.fromtimestamp(1577934240.123457)", time.Date(2020, 1, 2, 10, 4, 0, 123457999, time.FixedZone("", 7*3600)), goToPy | exact},
	{"gonan", "float('nan')", math.NaN(), goToPy},
	{"gocomplexnan", "complex(float('nan'), 1)", complex(math.NaN(), 1), goToPy},
	{"gostruct", "{'X': 1, 'Y': [2.5]}", struct {
		X int
		Y []float32
	}{1, []float32{2.5}}, goToPy | exact},
}

// vectorScript answers each vector; s is Pyro4's MsgpackSerializer.
var vectorScript = codectest.Prelude("MsgpackSerializer") + `
import datetime, uuid, decimal
s = ser

out = []
for e in json.load(sys.stdin):
    r = {"name": e["name"], "go_ok": None, "detail": ""}
    call = e["py"].startswith("CALL ")
    if call:
        data = s.dumpsCall(*eval(e["py"][5:]))
        ref = s.loadsCall(data)
    else:
        data = s.dumps(eval(e["py"]))
        try:
            ref = s.loads(data)
        except ValueError as ex:  # strict_map_key
            ref = ex
    r["hex"] = data.hex()
    if e["go"] is not None:
        godata = bytes.fromhex(e["go"])
        try:
            got = s.loadsCall(godata) if call else s.loads(godata)
            r["go_ok"] = same(got, ref)
            if not r["go_ok"]:
                r["detail"] = "python read %r from Go, %r from itself" % (got, ref)
        except Exception as ex:
            r["go_ok"] = False
            r["detail"] = "python failed on Go's bytes: %r" % ex
    out.append(r)
json.dump(out, sys.stdout)
`

// TestInteropVectors checks edge cases both ways against Pyro4's MsgpackSerializer in one
// Python process: (a) Python's encoding of each vector decoded in Go, (b) Go's encoding read
// by Python, and byte-for-byte equality of the two encodings where they should agree.
func TestInteropVectors(t *testing.T) {
	var c Codec
	type entry struct {
		Name string  `json:"name"`
		Py   string  `json:"py"`
		Go   *string `json:"go"`
	}
	goBytes := make(map[string][]byte)
	var in []entry
	for _, v := range vectors {
		e := entry{Name: v.name, Py: v.py}
		if v.flags&(goToPy|exact) != 0 {
			var data []byte
			var err error
			if call, ok := v.goV.(serializer.Call); ok {
				data, err = serializer.MarshalCall(c, call)
			} else {
				data, err = c.Marshal(v.goV)
			}
			if err != nil {
				t.Fatalf("%s: Marshal: %v", v.name, err)
			}
			goBytes[v.name] = data
			if v.flags&goToPy != 0 {
				h := hex.EncodeToString(data)
				e.Go = &h
			}
		}
		in = append(in, e)
	}
	stdin, _ := json.Marshal(in)
	var out []struct {
		Name   string `json:"name"`
		Hex    string `json:"hex"`
		GoOK   *bool  `json:"go_ok"`
		Detail string `json:"detail"`
	}
	if err := json.Unmarshal(pytest.Run(t, vectorScript, stdin), &out); err != nil {
		t.Fatal(err)
	}
	if len(out) != len(vectors) {
		t.Fatalf("python answered %d vectors, want %d", len(out), len(vectors))
	}
	var samples strings.Builder
	var decoded, encoded, identical int
	for i, v := range vectors {
		r := out[i]
		pyData, err := hex.DecodeString(r.Hex)
		if err != nil || r.Name != v.name {
			t.Fatalf("python answer %d: %q %v", i, r.Name, err)
		}
		if v.flags&pyToGo != 0 {
			if len(pyData) <= maxSample {
				fmt.Fprintf(&samples, "%s %s\n", v.name, r.Hex)
			}
			want := v.goV
			if call, ok := want.(serializer.Call); ok {
				got, err := serializer.UnmarshalCall(c, pyData)
				if err != nil {
					t.Errorf("%s: UnmarshalCall of Python's %x: %v", v.name, pyData, err)
				} else if got.Object != call.Object || got.Method != call.Method ||
					!pyval.Equal(got.Args, call.Args) || !pyval.Equal(got.Kwargs, call.Kwargs) {
					t.Errorf("%s: UnmarshalCall = %+v, want %+v", v.name, got, call)
				}
			} else {
				got, err := c.Unmarshal(pyData)
				if err != nil {
					t.Errorf("%s: Unmarshal of Python's %.80x: %v", v.name, pyData, err)
				} else if !pyval.Equal(got, want) {
					t.Errorf("%s: Unmarshal of Python's bytes = %.200s, want %.200s", v.name, pyval.Repr(got), pyval.Repr(want))
				}
			}
			decoded++
		}
		if v.flags&goToPy != 0 {
			if r.GoOK == nil || !*r.GoOK {
				t.Errorf("%s: Python read Go's %.80x wrongly: %s", v.name, goBytes[v.name], r.Detail)
			}
			encoded++
		}
		if v.flags&exact != 0 {
			if !bytes.Equal(goBytes[v.name], pyData) {
				t.Errorf("%s: Go wrote %.80x, Python %.80x", v.name, goBytes[v.name], pyData)
			}
			identical++
		}
	}
	t.Logf("%d vectors: %d Python encodings decoded in Go, %d Go encodings read by Python, %d byte-identical",
		len(vectors), decoded, encoded, identical)

	// The Python samples double as the fuzz seed corpus; keep the stored copy honest.
	path := filepath.Join("testdata", "python_vectors.txt")
	if *update {
		if err := os.WriteFile(path, []byte(samples.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	stored, err := os.ReadFile(path)
	if err != nil || string(stored) != samples.String() {
		t.Errorf("%s is stale or missing (%v): run go test -run TestInteropVectors -update", path, err)
	}
}

// TestInteropRandom sends random values through Python: encoded by Go, decoded and
// re-encoded by Pyro4 (loads/dumps, or loadsCall/dumpsCall for every fifth value wrapped in
// a call), decoded by Go and compared with the original; Pyro4's bytes must be Go's. Python
// runs in a zone with summer time, where datetimes are naive local times unlike UTC.
func TestInteropRandom(t *testing.T) {
	t.Setenv("TZ", "America/New_York")
	const batches, perBatch = 4, 1000
	caps := pyvaltest.Caps{Bytes: true, Complex: true, BigInts: true, NonFinite: true, NegZero: true, DateTimes: true}
	rt := codectest.RoundTrip{Class: "MsgpackSerializer", Identical: true}
	var values, calls, identical int
	for batch := range batches {
		gen := pyvaltest.New(uint64(20260+batch), caps)
		items := make([]any, perBatch)
		for i := range items {
			if i%5 != 4 {
				items[i] = gen.Value()
				continue
			}
			call := serializer.Call{Object: gen.Str(), Method: gen.Str(), Args: []any{gen.Value(), gen.Value()}}
			if gen.R.IntN(2) == 0 {
				call.Kwargs = pyval.DictOf(gen.Str(), gen.Value())
			}
			items[i] = call
		}
		res := rt.Run(t, Codec{}, items)
		values += res.Values
		calls += res.Calls
		identical += res.Identical
	}
	t.Logf("%d random values and %d random calls through Pyro4 in %d Python processes: all equal, %d of %d byte-identical",
		values, calls, batches, identical, values+calls)
}

// TestDateTimeZones: Go encodes instants in several zones; Pyro4, running in another zone,
// reads each as the naive local time of that instant there (which it takes for local time
// when asked for the instant back), sends it back, and Go reads the same instant.
func TestDateTimeZones(t *testing.T) {
	t.Setenv("TZ", "Asia/Kolkata") // +05:30 for Python; Go's time.Local stays the host's
	times := []time.Time{
		time.Date(2024, 6, 28, 12, 30, 15, 250000000, time.UTC),
		time.Date(2024, 6, 28, 12, 30, 15, 250000000, time.FixedZone("", -7*3600)),
		time.Date(1960, 1, 1, 0, 0, 0, 1000, time.FixedZone("", 3600)),
		time.Date(2038, 1, 19, 3, 14, 8, 0, time.UTC),
	}
	var c Codec
	var stdin strings.Builder
	for _, tm := range times {
		data, err := c.Marshal(tm)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&stdin, "%x\n", data)
	}
	out := pytest.Run(t, codectest.Prelude("MsgpackSerializer")+`
import datetime
for line in sys.stdin.read().split():
    dt = ser.loads(bytes.fromhex(line))
    assert dt.tzinfo is None, dt
    print(dt.isoformat(), dt.astimezone(datetime.timezone.utc).isoformat(), ser.dumps(dt).hex())
`, []byte(stdin.String()))
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(times) {
		t.Fatalf("python answered %d lines:\n%s", len(lines), out)
	}
	kolkata := time.FixedZone("IST", 5*3600+30*60)
	for i, tm := range times {
		f := strings.Fields(lines[i])
		if len(f) != 3 {
			t.Fatalf("python line %q", lines[i])
		}
		naive := tm.In(kolkata).Format("2006-01-02T15:04:05.999999")
		if strings.Contains(naive, ".") {
			naive = tm.In(kolkata).Format("2006-01-02T15:04:05.000000")
		}
		utc, _ := pyval.ISOFormat(tm.UTC())
		if f[0] != naive || f[1] != utc {
			t.Errorf("%v: Python read %s (UTC %s), want %s (UTC %s)", tm, f[0], f[1], naive, utc)
		}
		back, err := c.Unmarshal(codectest.MustHex(t, f[2]))
		if err != nil || !pyval.Equal(back, tm) {
			t.Errorf("%v: came back as %v, %v", tm, back, err)
		}
	}
}
