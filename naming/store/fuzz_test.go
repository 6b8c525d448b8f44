package store_test

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gopyro/pyro/naming/store"
)

// FuzzStoresAgree registers the same names in both stores and checks that prefix, regex and
// metadata queries give the same answers, whatever bytes the names and the query hold, each
// in its store's order: the memory store lists a name where it was first registered, the SQL
// store where it was last registered, and a regex's matches by name (as Pyro4's do).
func FuzzStoresAgree(f *testing.F) {
	f.Add("a\nab\nb\nA\na_b\na%b", "a", "x")
	f.Add("é\nê\ne\xcc\x81\nz", "\xc3", "é")
	f.Add("n\x00ul\nn\nn\x00", "n\x00", "\x00")
	f.Add("\xff\xfe\n\xff\nx", "\xff", "x|\xff")
	f.Add("Pyro.NameServer\nPyro.x\npyro", "Pyro.", `(?i)pyro\.`)
	f.Add("b\na\nb\nc\na\nab", "a", "b") // registered again: the stores order it differently
	dir := f.TempDir()
	sqlStore, err := store.OpenSQL(filepath.Join(dir, "fuzz.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { sqlStore.Close() })
	f.Fuzz(func(t *testing.T, nameList, prefix, tag string) {
		names := strings.Split(nameList, "\n")
		if len(names) > 12 {
			names = names[:12]
		}
		if _, err := sqlStore.RemoveMatching(ctx, store.Filter{Regex: `(?s).*`}); err != nil {
			t.Fatal(err)
		}
		mem := store.NewMemory()
		var memOrder, sqlOrder []string // valid names, by first and by last registration
		for i, n := range names {
			meta := []string{n, tag}[:1+i%2]
			valid := utf8.ValidString(n) && (len(meta) == 1 || utf8.ValidString(tag))
			for _, s := range []store.Store{mem, sqlStore} {
				err := s.Register(ctx, n, "PYRO:x@h:1", meta, false)
				if valid && err != nil || !valid && !errors.Is(err, store.ErrInvalidText) {
					t.Fatalf("Register(%q, %q): %v", n, meta, err)
				}
			}
			if valid {
				if !slices.Contains(memOrder, n) {
					memOrder = append(memOrder, n)
				}
				sqlOrder = append(slices.DeleteFunc(sqlOrder, func(s string) bool { return s == n }), n)
			}
		}
		for _, f := range []store.Filter{
			{},
			{Prefix: prefix},
			{Regex: prefix},
			{Regex: tag},
			{MetadataAll: []string{tag, prefix}},
			{MetadataAny: []string{tag, prefix}},
		} {
			a, errA := mem.List(ctx, f)
			b, errB := sqlStore.List(ctx, f)
			if (errA == nil) != (errB == nil) {
				t.Fatalf("%+v: memory %v, sql %v", f, errA, errB)
			}
			if errA != nil {
				if !errors.Is(errA, store.ErrInvalidRegex) {
					t.Fatalf("%+v: unexpected error %v", f, errA)
				}
				continue
			}
			inOrder(t, "memory", f, a, memOrder)
			if f.Regex != "" {
				inOrder(t, "sql", f, b, slices.Sorted(slices.Values(sqlOrder)))
			} else {
				inOrder(t, "sql", f, b, sqlOrder)
			}
			byName := func(x, y store.Entry) int { return strings.Compare(x.Name, y.Name) }
			a, b = slices.SortedFunc(slices.Values(a), byName), slices.SortedFunc(slices.Values(b), byName)
			if len(a) != len(b) {
				t.Fatalf("%+v: memory %q, sql %q", f, a, b)
			}
			for i := range a {
				if a[i].Name != b[i].Name || !slices.Equal(a[i].Metadata, b[i].Metadata) {
					t.Fatalf("%+v: memory %q, sql %q", f, a, b)
				}
			}
			if f.Prefix != "" {
				for _, e := range a {
					if !strings.HasPrefix(e.Name, f.Prefix) {
						t.Fatalf("prefix %q listed %q", f.Prefix, e.Name)
					}
				}
			}
		}
	})
}

// inOrder checks that the listed names come in the order given.
func inOrder(t *testing.T, kind string, f store.Filter, listed []store.Entry, order []string) {
	t.Helper()
	last := -1
	for _, e := range listed {
		i := slices.Index(order, e.Name)
		if i <= last {
			t.Fatalf("%+v: %s listed %q, out of the order %q", f, kind, names(listed), order)
		}
		last = i
	}
}
