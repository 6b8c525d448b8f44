package gateway

import (
	"reflect"
	"testing"
)

// parseQuery must read a query as Python's parse_qs + Pyro's singlyfy do; the expected
// values are Python's (urllib.parse.parse_qs on 3.11).
func TestParseQueryAsPython(t *testing.T) {
	for q, want := range map[string][]param{
		"a=1&b=2":                  {{"a", "1"}, {"b", "2"}},
		"a=1&a=2&b=x":              {{"a", []any{"1", "2"}}, {"b", "x"}},
		"a=&b&=c&&d=%zz%41+%2B":    {{"", "c"}, {"d", "%zzA +"}},
		"n%C3%A4me=w%C3%B6rld;x=1": {{"näme", "wörld;x=1"}},
		"bad=%ff%fe":               {{"bad", "\uFFFD\uFFFD"}},
		"":                         nil,
	} {
		var p params
		parseQuery(q, &p)
		if !reflect.DeepEqual(p.kwargs, want) {
			t.Errorf("parseQuery(%q) = %#v, want %#v", q, p.kwargs, want)
		}
	}
}

func TestCorrelationID(t *testing.T) {
	for in, want := range map[string]string{
		"11112222-1111-2222-3333-222244449999":          "11112222-1111-2222-3333-222244449999",
		"{11112222111122223333222244449999}":            "11112222-1111-2222-3333-222244449999",
		"urn:uuid:ABCDEF00-1111-2222-3333-222244449999": "abcdef00-1111-2222-3333-222244449999",
	} {
		if got, err := correlationID(in); err != nil || got != want {
			t.Errorf("correlationID(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"xyz", "11112222-1111-2222-3333-22224444999g", "1111"} {
		if _, err := correlationID(bad); err != errBadUUID {
			t.Errorf("correlationID(%q): %v, want %v", bad, err, errBadUUID)
		}
	}
	a, _ := correlationID("")
	b, _ := correlationID("")
	if a == b || len(a) != 36 || a[14] != '4' {
		t.Errorf("new correlation ids %q and %q: want two different version-4 UUIDs", a, b)
	}
}

// dumpsJSON is json.dumps with ensure_ascii: Python writes these bytes.
func TestDumpsJSONEscapesAsPython(t *testing.T) {
	got := string(dumpsJSON([]any{"é", "😀", "a\"b", map[string]any{}}))
	want := `["\u00e9", "\ud83d\ude00", "a\"b", {}]`
	if got != want {
		t.Errorf("dumpsJSON = %s, want %s", got, want)
	}
}

func TestSplitPathAsPyro(t *testing.T) {
	for path, want := range map[string][2]string{
		"a/b":       {"a", "b"},
		"a/b/c":     {"a/b", "c"},
		"x.y/$meta": {"x.y", "$meta"},
	} {
		n, m, ok := splitPath(path)
		if !ok || n != want[0] || m != want[1] {
			t.Errorf("splitPath(%q) = %q, %q, %v", path, n, m, ok)
		}
	}
	for _, path := range []string{"a", "/b", "a/", "a\n/b"} {
		if _, _, ok := splitPath(path); ok {
			t.Errorf("splitPath(%q) accepted", path)
		}
	}
}
