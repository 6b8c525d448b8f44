package pyrepr

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/gopyro/pyro/internal/pytest"
)

// TestReprMatchesPython writes strs, bytes and floats with the package's functions and
// compares each with Python's repr() of the same value.
func TestReprMatchesPython(t *testing.T) {
	strs := []string{"", "plain", "it's", `say "hi"`, `both ' and "`, "a\\b", "\t\n\r\x00\x1f\x7f",
		"é€😀", "\u00a0\u00ad\u2028\U000e0001", "\xff", "\xed\xa0\x80", "\xed\xb0\x80x"}
	floats := []float64{0, math.Copysign(0, -1), 1, 0.1, 1.5e-5, 1e-4, 1e16, 123456789012345678,
		math.MaxFloat64, 5e-324, math.Inf(1), math.Inf(-1), math.NaN()}
	var got []string
	for _, s := range strs {
		got = append(got, string(AppendStr(nil, s)))
		got = append(got, string(AppendBytes(nil, []byte(s))))
	}
	for _, f := range floats {
		got = append(got, FormatFloat(f))
	}
	// Go strings with invalid UTF-8 are Python strs decoded with surrogateescape (and WTF-8
	// surrogates their code points), which is what the script rebuilds from the bytes.
	var in [][]byte
	for _, s := range strs {
		in = append(in, []byte(s))
	}
	stdin, _ := json.Marshal(map[string]any{"strs": in, "floats": formatAll(floats)})
	out := pytest.Run(t, `
import json, sys, base64
d = json.load(sys.stdin)
res = []
for b in d["strs"]:
    raw = base64.b64decode(b)
    s = raw.decode("utf-8", "surrogatepass") if b"\xed" in raw else raw.decode("utf-8", "surrogateescape")
    res += [repr(s), repr(raw)]
res += [repr(float(f)) for f in d["floats"]]
print("\n".join(res))
`, stdin)
	want := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(want) != len(got) {
		t.Fatalf("python gave %d lines, want %d", len(want), len(got))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("value %d: Go %s, Python %s", i, got[i], want[i])
		}
	}
}

// formatAll renders floats, with Go's own formatting, in a form Python's float() reads back
// exactly.
func formatAll(fs []float64) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = strconv.FormatFloat(f, 'g', -1, 64)
	}
	return out
}
