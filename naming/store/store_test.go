package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gopyro/pyro/naming/store"
)

// stores lists the implementations every conformance test runs against.
var stores = []struct {
	name string
	open func(t testing.TB) store.Store
}{
	{"memory", func(t testing.TB) store.Store { return store.NewMemory() }},
	{"sql", func(t testing.TB) store.Store {
		s, err := store.OpenSQL(filepath.Join(t.TempDir(), "names.db"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}},
}

// forEachStore runs test against a fresh store of each kind.
func forEachStore(t *testing.T, test func(t *testing.T, s store.Store)) {
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			s := st.open(t)
			t.Cleanup(func() { s.Close() })
			test(t, s)
		})
	}
}

var ctx = context.Background()

func mustRegister(t *testing.T, s store.Store, name, uri string, meta ...string) {
	t.Helper()
	if err := s.Register(ctx, name, uri, meta, false); err != nil {
		t.Fatalf("Register(%q): %v", name, err)
	}
}

func names(entries []store.Entry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.Name
	}
	return out
}

func TestRegisterLookup(t *testing.T) {
	forEachStore(t, func(t *testing.T, s store.Store) {
		mustRegister(t, s, "Pyro.NameServer", "PYRO:Pyro.NameServer@localhost:9090", "class:Pyro4.naming.NameServer")
		mustRegister(t, s, "printer", "PYRO:p@h:1", "b", "a", "b", "")
		mustRegister(t, s, "ünïcode ☃", "PYRO:u@h:2")
		mustRegister(t, s, "", "PYRO:empty@h:3")

		e, err := s.Lookup(ctx, "printer")
		if err != nil {
			t.Fatal(err)
		}
		want := store.Entry{Name: "printer", URI: "PYRO:p@h:1", Metadata: []string{"", "a", "b"}}
		if !entryEqual(e, want) {
			t.Errorf("Lookup = %+v, want %+v", e, want)
		}
		if e, err := s.Lookup(ctx, "ünïcode ☃"); err != nil || e.URI != "PYRO:u@h:2" || e.Metadata != nil {
			t.Errorf("Lookup unicode = %+v, %v", e, err)
		}
		if e, err := s.Lookup(ctx, ""); err != nil || e.URI != "PYRO:empty@h:3" {
			t.Errorf("Lookup empty name = %+v, %v", e, err)
		}
		// Callers cannot change the stored tags through a result.
		e.Metadata[0] = "changed"
		if e, _ := s.Lookup(ctx, "printer"); e.Metadata[0] != "" {
			t.Errorf("stored tags changed through a Lookup result: %q", e.Metadata)
		}

		_, err = s.Lookup(ctx, "nope")
		if !errors.Is(err, store.ErrNotFound) || err.Error() != "unknown name: nope" {
			t.Errorf("Lookup unknown = %v", err)
		}
		if n, err := s.Count(ctx); err != nil || n != 4 {
			t.Errorf("Count = %d, %v", n, err)
		}
	})
}

func entryEqual(a, b store.Entry) bool {
	return a.Name == b.Name && a.URI == b.URI && slices.Equal(a.Metadata, b.Metadata) &&
		(a.Metadata == nil) == (b.Metadata == nil)
}

func TestRegisterReplaceAndSafe(t *testing.T) {
	forEachStore(t, func(t *testing.T, s store.Store) {
		mustRegister(t, s, "x", "PYRO:old@h:1", "old")
		if err := s.Register(ctx, "x", "PYRO:new@h:1", []string{"new"}, true); !errors.Is(err, store.ErrExists) ||
			err.Error() != "name already registered: x" {
			t.Errorf("safe Register of an existing name = %v", err)
		}
		if e, _ := s.Lookup(ctx, "x"); e.URI != "PYRO:old@h:1" || !slices.Equal(e.Metadata, []string{"old"}) {
			t.Errorf("a refused Register changed the entry: %+v", e)
		}
		if err := s.Register(ctx, "y", "PYRO:y@h:1", nil, true); err != nil {
			t.Errorf("safe Register of a new name: %v", err)
		}
		mustRegister(t, s, "x", "PYRO:new@h:1")
		if e, _ := s.Lookup(ctx, "x"); e.URI != "PYRO:new@h:1" || e.Metadata != nil {
			t.Errorf("replacing Register gave %+v, want new uri and no tags", e)
		}
		if n, _ := s.Count(ctx); n != 2 {
			t.Errorf("Count = %d after replacing, want 2", n)
		}
	})
}

func TestSetMetadata(t *testing.T) {
	forEachStore(t, func(t *testing.T, s store.Store) {
		mustRegister(t, s, "x", "PYRO:x@h:1", "a")
		if err := s.SetMetadata(ctx, "x", []string{"c", "b", "c"}); err != nil {
			t.Fatal(err)
		}
		if e, _ := s.Lookup(ctx, "x"); e.URI != "PYRO:x@h:1" || !slices.Equal(e.Metadata, []string{"b", "c"}) {
			t.Errorf("after SetMetadata: %+v", e)
		}
		if err := s.SetMetadata(ctx, "x", nil); err != nil {
			t.Fatal(err)
		}
		if e, _ := s.Lookup(ctx, "x"); e.Metadata != nil {
			t.Errorf("SetMetadata(nil) left %q", e.Metadata)
		}
		if err := s.SetMetadata(ctx, "nope", []string{"a"}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("SetMetadata of an unknown name = %v", err)
		}
	})
}

// fixture registers entries chosen to tell the filter semantics apart.
func fixture(t *testing.T, s store.Store) {
	t.Helper()
	mustRegister(t, s, "Pyro.NameServer", "PYRO:Pyro.NameServer@localhost:9090", "class:Pyro4.naming.NameServer")
	mustRegister(t, s, "app.printer", "PYRO:p@h:1", "printer", "floor:1")
	mustRegister(t, s, "app.scanner", "PYRO:s@h:2", "scanner", "floor:1")
	mustRegister(t, s, "app.copier", "PYRO:c@h:3", "printer", "scanner", "floor:2")
	mustRegister(t, s, "APP.upper", "PYRO:u@h:4")
	mustRegister(t, s, "apb_x", "PYRO:w@h:5")
	mustRegister(t, s, "app%lit", "PYRO:l@h:6")
	mustRegister(t, s, "app", "PYRO:a@h:7")
	mustRegister(t, s, "zz.app.end", "PYRO:z@h:8")
}

// TestListFilters checks what each filter selects and the order List gives: registration
// order, except that the SQL store lists a regex's matches by name, as Pyro4's SqlStorage does.
func TestListFilters(t *testing.T) {
	all := []string{"Pyro.NameServer", "app.printer", "app.scanner", "app.copier", "APP.upper", "apb_x", "app%lit", "app", "zz.app.end"}
	cases := []struct {
		f    store.Filter
		want []string
	}{
		{store.Filter{}, all},
		{store.Filter{MetadataAll: []string{}}, all}, // an empty tag list is no filter, as in Pyro4
		// Exact, case-sensitive prefixes: '_' and '%' are not wildcards.
		{store.Filter{Prefix: "app."}, []string{"app.printer", "app.scanner", "app.copier"}},
		{store.Filter{Prefix: "app"}, []string{"app.printer", "app.scanner", "app.copier", "app%lit", "app"}},
		{store.Filter{Prefix: "ap_"}, nil},
		{store.Filter{Prefix: "app%"}, []string{"app%lit"}},
		{store.Filter{Prefix: "APP"}, []string{"APP.upper"}},
		{store.Filter{Prefix: "zz.app.end.more"}, nil},
		{store.Filter{Prefix: "\xff"}, nil},
		// Regexes are anchored at the start only, like Python's re.match.
		{store.Filter{Regex: `app\.`}, []string{"app.printer", "app.scanner", "app.copier"}},
		{store.Filter{Regex: `.*app`}, []string{"app.printer", "app.scanner", "app.copier", "app%lit", "app", "zz.app.end"}},
		{store.Filter{Regex: `(?i)app\.`}, []string{"app.printer", "app.scanner", "app.copier", "APP.upper"}},
		{store.Filter{Regex: `app$`}, []string{"app"}},
		{store.Filter{Regex: `p|z`}, []string{"zz.app.end"}},
		{store.Filter{Regex: `.*(scan|copy)`}, []string{"app.scanner"}},
		// Metadata.
		{store.Filter{MetadataAll: []string{"printer"}}, []string{"app.printer", "app.copier"}},
		{store.Filter{MetadataAll: []string{"printer", "scanner"}}, []string{"app.copier"}},
		{store.Filter{MetadataAll: []string{"printer", "printer", "floor:1"}}, []string{"app.printer"}},
		{store.Filter{MetadataAll: []string{"printer", "nope"}}, nil},
		{store.Filter{MetadataAny: []string{"scanner", "floor:1"}}, []string{"app.printer", "app.scanner", "app.copier"}},
		{store.Filter{MetadataAny: []string{"nope", "floor:2", "floor:2"}}, []string{"app.copier"}},
		{store.Filter{MetadataAny: []string{"nope"}}, nil},
	}
	forEachStore(t, func(t *testing.T, s store.Store) {
		fixture(t, s)
		_, isSQL := s.(*store.SQL)
		for _, c := range cases {
			got, err := s.List(ctx, c.f)
			if err != nil {
				t.Errorf("List(%+v): %v", c.f, err)
				continue
			}
			if isSQL && c.f.Regex != "" {
				c.want = slices.Sorted(slices.Values(c.want))
			}
			if !slices.Equal(names(got), c.want) {
				t.Errorf("List(%+v) = %q, want %q", c.f, names(got), c.want)
			}
		}
		got, _ := s.List(ctx, store.Filter{MetadataAny: []string{"printer"}})
		want := []store.Entry{
			{Name: "app.printer", URI: "PYRO:p@h:1", Metadata: []string{"floor:1", "printer"}},
			{Name: "app.copier", URI: "PYRO:c@h:3", Metadata: []string{"floor:2", "printer", "scanner"}},
		}
		if len(got) != len(want) || !entryEqual(got[0], want[0]) || !entryEqual(got[1], want[1]) {
			t.Errorf("List entries = %+v, want %+v", got, want)
		}
	})
}

func TestListErrors(t *testing.T) {
	forEachStore(t, func(t *testing.T, s store.Store) {
		fixture(t, s)
		for _, re := range []string{"(", "a)|(b", `(a)\1`, `(?=a)`, `(?<!a)b`, `a++`, `\Z`} {
			_, err := s.List(ctx, store.Filter{Regex: re})
			if !errors.Is(err, store.ErrInvalidRegex) || !strings.HasPrefix(err.Error(), "invalid regex: ") {
				t.Errorf("List(Regex %q) = %v, want ErrInvalidRegex", re, err)
			}
			if _, err := s.RemoveMatching(ctx, store.Filter{Regex: re}); !errors.Is(err, store.ErrInvalidRegex) {
				t.Errorf("RemoveMatching(Regex %q) = %v, want ErrInvalidRegex", re, err)
			}
		}
		for _, f := range []store.Filter{
			{Prefix: "a", Regex: "a"},
			{Prefix: "a", MetadataAll: []string{"x"}},
			{MetadataAll: []string{"x"}, MetadataAny: []string{"x"}},
		} {
			if _, err := s.List(ctx, f); !errors.Is(err, store.ErrInvalidFilter) {
				t.Errorf("List(%+v) = %v, want ErrInvalidFilter", f, err)
			}
			if _, err := s.RemoveMatching(ctx, f); !errors.Is(err, store.ErrInvalidFilter) {
				t.Errorf("RemoveMatching(%+v) = %v, want ErrInvalidFilter", f, err)
			}
		}
		if n, _ := s.Count(ctx); n != 9 {
			t.Errorf("failed removals removed something: Count = %d", n)
		}
		for _, err := range []error{
			s.Register(ctx, "bad\xff", "PYRO:x@h:1", nil, false),
			s.Register(ctx, "bad", "PYRO:x@h:1\xff", nil, false),
			s.Register(ctx, "bad", "PYRO:x@h:1", []string{"ok", "\xc3"}, false),
			s.SetMetadata(ctx, "app", []string{"\xff"}),
		} {
			if !errors.Is(err, store.ErrInvalidText) {
				t.Errorf("invalid UTF-8 accepted: %v", err)
			}
		}
		// Tags that cannot be stored match nothing, rather than being ignored.
		for _, f := range []store.Filter{{MetadataAll: []string{"printer", "\xff"}}, {MetadataAny: []string{"\xff"}}} {
			if got, err := s.List(ctx, f); len(got) != 0 || err != nil {
				t.Errorf("List(%q) = %q, %v", f, names(got), err)
			}
			if n, err := s.RemoveMatching(ctx, f); n != 0 || err != nil {
				t.Errorf("RemoveMatching(%q) = %d, %v", f, n, err)
			}
		}
		if got, _ := s.List(ctx, store.Filter{MetadataAny: []string{"\xff", "scanner"}}); len(got) != 2 {
			t.Errorf("List(MetadataAny with one invalid tag) = %q", names(got))
		}
	})
}

func TestRemove(t *testing.T) {
	forEachStore(t, func(t *testing.T, s store.Store) {
		fixture(t, s)
		if ok, err := s.Remove(ctx, "app"); !ok || err != nil {
			t.Errorf("Remove(app) = %v, %v", ok, err)
		}
		if ok, err := s.Remove(ctx, "app"); ok || err != nil {
			t.Errorf("second Remove(app) = %v, %v", ok, err)
		}
		if _, err := s.Lookup(ctx, "app"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Lookup after Remove = %v", err)
		}
		// The zero filter removes nothing (Pyro4's remove() with no argument).
		if n, err := s.RemoveMatching(ctx, store.Filter{}); n != 0 || err != nil {
			t.Errorf("RemoveMatching(zero) = %d, %v", n, err)
		}
		if n, err := s.RemoveMatching(ctx, store.Filter{Prefix: "app."}, "app.scanner"); n != 2 || err != nil {
			t.Errorf("RemoveMatching(prefix app., keep app.scanner) = %d, %v", n, err)
		}
		if n, err := s.RemoveMatching(ctx, store.Filter{Regex: ".*"}, "Pyro.NameServer", "not-there"); n != 5 || err != nil {
			t.Errorf("RemoveMatching(.*, keep Pyro.NameServer) = %d, %v", n, err)
		}
		got, _ := s.List(ctx, store.Filter{})
		if !slices.Equal(names(got), []string{"Pyro.NameServer"}) {
			t.Errorf("left after removals: %q", names(got))
		}
		// The store itself does not protect the name server's entry: the name server does.
		if n, err := s.RemoveMatching(ctx, store.Filter{MetadataAny: []string{"class:Pyro4.naming.NameServer"}}); n != 1 || err != nil {
			t.Errorf("RemoveMatching(metadata) = %d, %v", n, err)
		}
		if n, _ := s.Count(ctx); n != 0 {
			t.Errorf("Count = %d, want 0", n)
		}
		// Names and tags can be registered again after removal.
		mustRegister(t, s, "app.printer", "PYRO:p2@h:1", "printer")
		if got, _ := s.List(ctx, store.Filter{MetadataAll: []string{"printer"}}); len(got) != 1 || got[0].URI != "PYRO:p2@h:1" {
			t.Errorf("re-registered entry: %+v", got)
		}
	})
}

func TestClosedAndCanceled(t *testing.T) {
	forEachStore(t, func(t *testing.T, s store.Store) {
		mustRegister(t, s, "x", "PYRO:x@h:1")
		canceled, cancel := context.WithCancel(ctx)
		cancel()
		if err := s.Register(canceled, "y", "PYRO:y@h:1", nil, false); !errors.Is(err, context.Canceled) {
			t.Errorf("Register with a canceled context = %v", err)
		}
		if _, err := s.Lookup(canceled, "x"); !errors.Is(err, context.Canceled) {
			t.Errorf("Lookup with a canceled context = %v", err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		checks := map[string]error{}
		checks["Register"] = s.Register(ctx, "y", "PYRO:y@h:1", nil, false)
		_, checks["Lookup"] = s.Lookup(ctx, "x")
		checks["SetMetadata"] = s.SetMetadata(ctx, "x", nil)
		_, checks["Remove"] = s.Remove(ctx, "x")
		_, checks["RemoveMatching"] = s.RemoveMatching(ctx, store.Filter{Prefix: "x"})
		_, checks["List"] = s.List(ctx, store.Filter{})
		_, checks["Count"] = s.Count(ctx)
		for op, err := range checks {
			if !errors.Is(err, store.ErrClosed) {
				t.Errorf("%s after Close = %v, want ErrClosed", op, err)
			}
		}
	})
}

// TestConcurrentRegistrations has 50 goroutines register 200 names each while others read:
// every registration must be there afterwards.
func TestConcurrentRegistrations(t *testing.T) {
	const writers, perWriter = 50, 200
	forEachStore(t, func(t *testing.T, s store.Store) {
		var wg sync.WaitGroup
		errs := make(chan error, writers+4)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range perWriter {
					name := fmt.Sprintf("w%02d.n%03d", w, i)
					if err := s.Register(ctx, name, "PYRO:"+name+"@h:1", []string{fmt.Sprint("w", w), "all"}, true); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		// Readers run alongside, a bounded number of times: enough to overlap the writes
		// without starving them on a small machine.
		var readers sync.WaitGroup
		for range 4 {
			readers.Add(1)
			go func() {
				defer readers.Done()
				for range 100 {
					if _, err := s.List(ctx, store.Filter{Prefix: "w01."}); err != nil {
						errs <- err
						return
					}
					if _, err := s.Lookup(ctx, "w00.n000"); err != nil && !errors.Is(err, store.ErrNotFound) {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		readers.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		n, err := s.Count(ctx)
		if err != nil || n != writers*perWriter {
			t.Fatalf("Count = %d, %v; want %d", n, err, writers*perWriter)
		}
		all, err := s.List(ctx, store.Filter{})
		if err != nil || len(all) != n {
			t.Fatalf("List has %d entries, %v; Count says %d", len(all), err, n)
		}
		tagged, _ := s.List(ctx, store.Filter{MetadataAll: []string{"w7", "all"}})
		if len(tagged) != perWriter {
			t.Errorf("writer 7's entries by metadata: %d, want %d", len(tagged), perWriter)
		}
		for _, e := range all {
			if e.URI != "PYRO:"+e.Name+"@h:1" || len(e.Metadata) != 2 {
				t.Fatalf("damaged entry %+v", e)
			}
		}
	})
}
