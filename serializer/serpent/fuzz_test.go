package serpent

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/gopyro/pyro/internal/pytest"
	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

// FuzzUnmarshal feeds arbitrary text to the decoder: it must not panic, errors must be
// *DecodeError values wrapping a sentinel, and whatever decodes must re-encode and decode to
// the same value. UnmarshalMetered must give the same value or error with a generous meter,
// and with a tiny one the same or the meter's error, never a panic. The seed corpus holds the table cases plus Python-written samples in
// testdata/fuzz/FuzzUnmarshal (regenerate with go test -run Corpus -update-corpus).
func FuzzUnmarshal(f *testing.F) {
	for _, tc := range decodeCases {
		f.Add([]byte(tc.text))
	}
	for _, tc := range encodeCases {
		if data, err := Marshal(tc.v); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Unmarshal(data)
		checkMetered(t, data, v, err)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) || !(errors.Is(err, serializer.ErrMalformed) || errors.Is(err, serializer.ErrLimit) || errors.Is(err, serializer.ErrUnsupported)) {
				t.Fatalf("error %v (%T) is not a *DecodeError with a sentinel", err, err)
			}
			if de.Offset < 0 || de.Offset > len(data) {
				t.Fatalf("offset %d outside input of %d bytes", de.Offset, len(data))
			}
			return
		}
		text, err := Marshal(v)
		if err != nil {
			// bytes, complex and NaN values need one bracket more than their source text did,
			// so a value right at the depth limit may not re-encode
			if errors.Is(err, serializer.ErrLimit) {
				return
			}
			t.Fatalf("decoded %s but cannot encode it: %v", pyval.Repr(v), err)
		}
		back, err := Unmarshal(text)
		if err != nil {
			t.Fatalf("cannot decode own text %q: %v", text, err)
		}
		if want := roundTripForm(v); !pyval.Equal(back, want) {
			t.Fatalf("round trip changed the value\n first %s\nsecond %s\n  text %q", pyval.Repr(want), pyval.Repr(back), text)
		}
	})
}

var updateCorpus = flag.Bool("update-corpus", false, "rewrite the Python seed corpus in testdata/fuzz/FuzzUnmarshal")

// TestGenerateFuzzCorpus writes Python-produced seed inputs for FuzzUnmarshal when run with
// -update-corpus; the generated files are committed.
func TestGenerateFuzzCorpus(t *testing.T) {
	if !*updateCorpus {
		return
	}
	var exprs []string
	for _, tc := range interopCases() {
		if tc.fromPy != skip && len(tc.py) < 200 && tc.name != "str many code points" {
			exprs = append(exprs, tc.py)
		}
	}
	exprs = append(exprs,
		"('MyWorker', 'get_rate', ('EURUSD', 3, 1.5, {'amount': 100, 'tags': ['a', 'b']}), {'timeout': 2.5})",
		"{'handshake': 'hello', 'object': 'Pyro.NameServer'}",
		"{'methods': {'ping', 'lookup'}, 'oneway': set(), 'attrs': set()}",
	)
	in, _ := json.Marshal(exprs)
	script := pyHelpers + `
out = []
for e in json.load(sys.stdin):
    out.append(base64.b64encode(ser.dumps(eval(e))).decode())
json.dump(out, sys.stdout)
`
	var texts [][]byte
	if err := json.Unmarshal(pytest.Run(t, script, in), &texts); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzUnmarshal")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, text := range texts {
		name := filepath.Join(dir, fmt.Sprintf("python-%02d", i))
		if err := os.WriteFile(name, []byte(fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", text)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("wrote %d Python samples to %s", len(texts), dir)
}

// TestUnmarshalTruncated decodes every prefix of every encoder output: each must give a value
// or a *DecodeError, never a panic.
func TestUnmarshalTruncated(t *testing.T) {
	var n int
	for _, tc := range encodeCases {
		data, err := Marshal(tc.v)
		if err != nil {
			t.Fatal(err)
		}
		for i := range data {
			if _, err := Unmarshal(data[:i]); err != nil {
				var de *DecodeError
				if !errors.As(err, &de) {
					t.Fatalf("Unmarshal(%q): %v is not a *DecodeError", data[:i], err)
				}
				n++
			}
		}
	}
	if n == 0 {
		t.Fatal("no prefix failed to decode")
	}
}

// checkMetered compares UnmarshalMetered of data with Unmarshal's result v, err: equal with a
// meter that refuses nothing; with meters that refuse almost everything, equal or the
// meter's error.
func checkMetered(t *testing.T, data []byte, v any, err error) {
	t.Helper()
	same := func(mv any, merr error) bool {
		if err != nil || merr != nil {
			return err != nil && merr != nil && err.Error() == merr.Error()
		}
		return pyval.Equal(mv, v)
	}
	var m countingMeter
	mv, merr := Codec{}.UnmarshalMetered(data, &m)
	if !same(mv, merr) {
		t.Fatalf("UnmarshalMetered(%q) = %v, %v; Unmarshal %v, %v", data, mv, merr, v, err)
	}
	for _, limit := range []int{1, len(data) / 2, m.total - 1} {
		if limit <= 0 {
			continue
		}
		tiny := countingMeter{limit: limit}
		mv, merr := Codec{}.UnmarshalMetered(data, &tiny)
		if errors.Is(merr, errOverBudget) {
			if mv != nil {
				t.Fatalf("UnmarshalMetered(%q) over its budget of %d gives %v with its error", data, limit, mv)
			}
			continue
		}
		if !same(mv, merr) {
			t.Fatalf("UnmarshalMetered(%q) with a budget of %d = %v, %v; Unmarshal %v, %v", data, limit, mv, merr, v, err)
		}
		if limit == m.total-1 {
			// the same charges as with the generous meter: the last is refused
			t.Fatalf("UnmarshalMetered(%q) with a budget of %d, one less than it takes: %v", data, limit, merr)
		}
	}
}
