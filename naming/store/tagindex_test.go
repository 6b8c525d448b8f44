package store_test

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"testing"

	"github.com/gopyro/pyro/naming/store"
)

// Memory answers metadata and regex queries from its indexes; after random registrations,
// re-registrations, metadata changes and removals, they must select what a scan of every
// entry selects.
func TestMemoryIndexesMatchScan(t *testing.T) {
	s := store.NewMemory()
	defer s.Close()
	r := rand.New(rand.NewPCG(1, 2))
	tags := []string{"a", "b", "c", "d"}
	randTags := func() []string {
		var out []string
		for _, t := range tags {
			if r.IntN(3) == 0 {
				out = append(out, t)
			}
		}
		return out
	}
	for range 2000 {
		name := fmt.Sprintf("n%d.x%d", r.IntN(5), r.IntN(60))
		switch r.IntN(4) {
		case 0, 1:
			if err := s.Register(ctx, name, "PYRO:x@h:1", randTags(), false); err != nil {
				t.Fatal(err)
			}
		case 2:
			_ = s.SetMetadata(ctx, name, randTags())
		case 3:
			if _, err := s.Remove(ctx, name); err != nil {
				t.Fatal(err)
			}
		}
	}
	all, err := s.List(ctx, store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	has := func(e store.Entry, t string) bool { return slices.Contains(e.Metadata, t) }
	for _, f := range []store.Filter{
		{MetadataAll: []string{"a"}}, {MetadataAll: []string{"a", "c"}}, {MetadataAll: []string{"z"}},
		{MetadataAny: []string{"b", "d"}}, {MetadataAny: []string{"z", "a"}},
		{Regex: `n3\..*`}, {Regex: `n3\.x1\d`}, {Regex: `.*x2`},
	} {
		var want []string
		for _, e := range all {
			ok := true
			switch {
			case f.MetadataAll != nil:
				for _, t := range f.MetadataAll {
					ok = ok && has(e, t)
				}
			case f.MetadataAny != nil:
				ok = slices.ContainsFunc(f.MetadataAny, func(t string) bool { return has(e, t) })
			default:
				ok = regexpMatch(f.Regex, e.Name)
			}
			if ok {
				want = append(want, e.Name)
			}
		}
		got, err := s.List(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range got {
			names = append(names, e.Name)
		}
		if !slices.Equal(names, want) {
			t.Errorf("%+v: got %v, want %v", f, names, want)
		}
	}
}

func regexpMatch(expr, name string) bool {
	return regexp.MustCompile(`^(?:` + expr + `)`).MatchString(name)
}
