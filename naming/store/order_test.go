package store_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gopyro/pyro/internal/pytest"
	"github.com/gopyro/pyro/naming/store"
)

// orderOps is a history of name server operations chosen to tell orders apart: names
// registered out of name order, a name registered again, new metadata, a name removed and
// registered anew, the newest row removed (SQLite then reuses its id) and bulk removals.
var orderOps = [][]any{
	{"reg", "a.zeta", []string{"t"}},
	{"reg", "b.mid", []string{"t", "x"}},
	{"reg", "a.alpha", nil},
	{"reg", "c.omega", []string{"y"}},
	{"reg", "a.beta", []string{"t"}},
	{"reg", "a.zeta", []string{"t", "y"}}, // again: the memory store keeps its place, SQL moves it last
	{"meta", "b.mid", []string{"x"}},      // the same split
	{"rm", "a.alpha"},
	{"reg", "a.alpha", []string{"x"}}, // removed and registered anew: last in both
	{"reg", "d.last", nil},
	{"rm", "d.last"}, // the newest row: SQLite gives its id to the next one
	{"reg", "d.next", []string{"t"}},
	{"reg", "a.gamma", []string{"y", "t"}},
	{"rmregex", `c\.`},
	{"reg", "c.omega", []string{"t"}},
	{"rmprefix", "d."},
	{"reg", "d.again", nil},
}

// orderFilters are the lists compared after every operation.
var orderFilters = []struct {
	name string
	f    store.Filter
}{
	{"all", store.Filter{}},
	{"prefix", store.Filter{Prefix: "a."}},
	{"regex", store.Filter{Regex: `a\.`}},
	{"regex2", store.Filter{Regex: `.*e`}},
	{"meta_all", store.Filter{MetadataAll: []string{"t"}}},
	{"meta_any", store.Filter{MetadataAny: []string{"x", "y"}}},
}

const orderScript = `
import sys, json
from Pyro4.naming import NameServer, MemoryStorage
from Pyro4.naming_storage import SqlStorage
req = json.load(sys.stdin)
filters = {
    "all": {}, "prefix": {"prefix": "a."}, "regex": {"regex": r"a\."}, "regex2": {"regex": ".*e"},
    "meta_all": {"metadata_all": ["t"]}, "meta_any": {"metadata_any": ["x", "y"]},
}
out = {}
for kind, ns in (("memory", NameServer(MemoryStorage())), ("sql", NameServer(SqlStorage(req["db"])))):
    steps = []
    for op in req["ops"]:
        if op[0] == "reg":
            ns.register(op[1], "PYRO:%s@h:1" % op[1], metadata=op[2])
        elif op[0] == "meta":
            ns.set_metadata(op[1], op[2])
        elif op[0] == "rm":
            ns.remove(op[1])
        elif op[0] == "rmregex":
            ns.remove(regex=op[1])
        elif op[0] == "rmprefix":
            ns.remove(prefix=op[1])
        lists = {k: list(ns.list(**f)) for k, f in filters.items()}
        lists["all_meta"] = list(ns.list(return_metadata=True))
        steps.append(lists)
    out[kind] = steps
json.dump(out, sys.stdout)
`

// TestListOrderMatchesPyro4 replays orderOps on Pyro4's own NameServer over its MemoryStorage
// and SqlStorage, and on ours, and compares every list after every step, name by name and in
// order. Then the SQL files, Pyro4's and ours, are opened afresh: both keep the order.
func TestListOrderMatchesPyro4(t *testing.T) {
	dir := t.TempDir()
	pyDB, goDB := filepath.Join(dir, "py.db"), filepath.Join(dir, "go.db")
	in, _ := json.Marshal(map[string]any{"db": pyDB, "ops": orderOps})
	var py map[string][]map[string][]string
	if err := json.Unmarshal(pytest.Run(t, orderScript, in), &py); err != nil {
		t.Fatal(err)
	}
	sql, err := store.OpenSQL(goDB)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []struct {
		kind string
		s    store.Store
	}{{"memory", store.NewMemory()}, {"sql", sql}} {
		steps := py[st.kind]
		if len(steps) != len(orderOps) {
			t.Fatalf("%s: Python answered %d steps, want %d", st.kind, len(steps), len(orderOps))
		}
		for i, op := range orderOps {
			apply(t, st.s, op)
			compareLists(t, fmt.Sprintf("%s after %v", st.kind, op), st.s, steps[i])
		}
		if err := st.s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	final := py["sql"][len(orderOps)-1]
	for _, db := range []string{pyDB, goDB} {
		s, err := store.OpenSQL(db)
		if err != nil {
			t.Fatal(err)
		}
		compareLists(t, "reopened "+filepath.Base(db), s, final)
		s.Close()
	}
}

func apply(t *testing.T, s store.Store, op []any) {
	t.Helper()
	tags := func(v any) []string {
		if v == nil {
			return nil
		}
		return v.([]string)
	}
	var err error
	switch name := op[1].(string); op[0] {
	case "reg":
		err = s.Register(ctx, name, "PYRO:"+name+"@h:1", tags(op[2]), false)
	case "meta":
		err = s.SetMetadata(ctx, name, tags(op[2]))
	case "rm":
		_, err = s.Remove(ctx, name)
	case "rmregex":
		_, err = s.RemoveMatching(ctx, store.Filter{Regex: name})
	case "rmprefix":
		_, err = s.RemoveMatching(ctx, store.Filter{Prefix: name})
	}
	if err != nil {
		t.Fatalf("%v: %v", op, err)
	}
}

func compareLists(t *testing.T, what string, s store.Store, want map[string][]string) {
	t.Helper()
	for _, f := range orderFilters {
		got, err := s.List(ctx, f.f)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(names(got), want[f.name]) {
			t.Errorf("%s: List(%s) = %q, Pyro4 %q", what, f.name, names(got), want[f.name])
		}
	}
	if got, _ := s.List(ctx, store.Filter{}); !slices.Equal(names(got), want["all_meta"]) {
		t.Errorf("%s: List with metadata = %q, Pyro4 %q", what, names(got), want["all_meta"])
	}
}
