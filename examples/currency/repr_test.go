package currency

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gopyro/pyro/internal/pytest"
)

// TestPyReprMatchesPython compares pyRepr with Python's repr() on awkward strings, since the
// Go and Python workers must raise the same message for the same bad pair.
func TestPyReprMatchesPython(t *testing.T) {
	in := []string{
		"", "EURUSD", "it's", `say "hi"`, `both ' and "`, `back\slash`, "tab\tnew\nline\rcr",
		"\x00\x01\x1f\x7f", "\u0080\u009f\u00a0\u00ad\u00e9", "€uro", "\u2028\u200b\ufeff",
		"\U0001F600", "\U000E0001", "\uffff", "日本円", "a\u0301",
	}
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	out := pytest.Run(t, "import json, sys\nfor s in json.load(sys.stdin): print(json.dumps(repr(s)))", data)
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(in) {
		t.Fatalf("python printed %d lines for %d strings", len(lines), len(in))
	}
	for i, s := range in {
		var want string
		if err := json.Unmarshal([]byte(lines[i]), &want); err != nil {
			t.Fatal(err)
		}
		if got := pyRepr(s); got != want {
			t.Errorf("pyRepr(%q) = %s, Python repr %s", s, got, want)
		}
	}
}
