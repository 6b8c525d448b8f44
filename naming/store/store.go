// Package store keeps a name server's registrations: name → (URI, metadata tags). It has the
// two storages Pyro4's name server offers: a volatile one in memory ([NewMemory], Pyro4's
// default) and a durable SQLite file ([OpenSQL], Pyro4's "-s sql:FILE") whose tables are
// Pyro4's own, so a Go name server and a Python one can take turns on the same file.
//
// A Store only stores. The name server's rules stay in the name server, as in Pyro4: checking
// that a URI parses, and never removing its own "Pyro.NameServer" entry (Pyro4's
// NameServer.remove skips it; the storages do not know it). [Store.RemoveMatching] takes the
// names to keep so that the name server can do that in one step.
//
// List orders its entries as Pyro4's storages do, so that Python programs printing what they
// list print the same against either name server: in registration order. The memory store
// keeps a re-registered name in its place (a Python dict's order); the SQL store, like
// Pyro4's SqlStorage, deletes and inserts it, so a name registered again or given new
// metadata lists last, and it lists a regex's matches in name order (Pyro4 reads them from
// the name index). Both orders survive reopening a SQL file, Pyro4's or ours.
//
// Filters follow Pyro4's NameServer.list, with one chosen difference: a prefix is always an
// exact, case-sensitive prefix (Python's str.startswith, what Pyro4's memory storage does).
// Pyro4's SQL storage uses SQL LIKE instead, which ignores ASCII case and treats '_' and '%' as
// wildcards; that makes a name server's answers depend on its storage, so it is not copied.
//
// Regular expressions match like Python's re.match: anchored at the start of the name, not at
// its end. They run on Go's RE2 engine, which differs from Python's re:
//   - no backreferences (\1, (?P=name)), lookaround ((?=, (?!, (?<=, (?<!), atomic groups,
//     possessive quantifiers or conditionals: such patterns give ErrInvalidRegex;
//   - \d, \w, \s and \b are ASCII-only (Unicode-aware in Python);
//   - $ matches only at the very end (Python's also matches before a final "\n"), and Python's
//     \Z is written \z;
//   - matching takes linear time, so no pattern can stall the name server.
//
// Error texts are Pyro4's NamingError messages ("unknown name: x", "name already registered:
// x", "invalid regex: ..."), so a name server can pass them on unchanged.
package store

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/gopyro/pyro/naming"
)

// Sentinel errors, matchable with errors.Is.
var (
	// ErrNotFound means the name is not registered.
	ErrNotFound = errors.New("unknown name")
	// ErrExists means a safe Register found the name already registered.
	ErrExists = errors.New("name already registered")
	// ErrInvalidRegex means Filter.Regex does not compile; the error carries the reason.
	ErrInvalidRegex = errors.New("invalid regex")
	// ErrInvalidFilter means a Filter sets more than one criterion.
	ErrInvalidFilter = errors.New("you can only filter on one thing at a time")
	// ErrNotDatabase means OpenSQL was given a file that is not a SQLite database, or one whose
	// Pyro tables have another layout.
	ErrNotDatabase = errors.New("store: not a name server database")
	// ErrInvalidPath means OpenSQL was given no file (an empty path or ":memory:").
	ErrInvalidPath = errors.New("store: invalid database path")
	// ErrInvalidText means a name, URI or tag is not valid UTF-8, which Python (and so Pyro4)
	// could neither send nor read back.
	ErrInvalidText = errors.New("store: text is not valid UTF-8")
	// ErrClosed is returned by every method after Close.
	ErrClosed = errors.New("store: closed")
)

// Entry is one registration. The store keeps its URI as text and does not parse it.
type Entry = naming.Entry

// Filter selects entries for List and RemoveMatching. At most one field may be set; the zero
// Filter selects every entry in List and none in RemoveMatching.
type Filter = naming.Filter

// Store is a name server's registration table. Implementations are safe for concurrent use.
type Store interface {
	// Register maps name to uri with the given tags, replacing an existing registration unless
	// safe is set, in which case an existing name gives ErrExists.
	Register(ctx context.Context, name, uri string, metadata []string, safe bool) error
	// Lookup returns the registration of name, or ErrNotFound.
	Lookup(ctx context.Context, name string) (Entry, error)
	// SetMetadata replaces the tags of name (nil clears them), or returns ErrNotFound.
	SetMetadata(ctx context.Context, name string, metadata []string) error
	// Remove deletes name and reports whether it was registered.
	Remove(ctx context.Context, name string) (bool, error)
	// RemoveMatching deletes, in one step, the entries f selects except the names in keep,
	// and returns how many it deleted. The zero Filter deletes nothing.
	RemoveMatching(ctx context.Context, f Filter, keep ...string) (int, error)
	// List returns the entries f selects in Pyro4's order: registration order (see Memory
	// and SQL for what re-registering does), except that SQL lists a regex's matches by name.
	List(ctx context.Context, f Filter) ([]Entry, error)
	// Count returns the number of registrations.
	Count(ctx context.Context) (int, error)
	// Close releases the store; later calls return ErrClosed.
	Close() error
}

// normalizeTags returns tags sorted and without duplicates, or nil when there are none. It
// does not modify its argument.
func normalizeTags(tags []string) []string {
	if len(tags) == 0 {
		return nil
	}
	out := slices.Clone(tags)
	slices.Sort(out)
	return slices.Compact(out)
}

// checkText refuses what Pyro4 could not store or send back.
func checkText(name, uri string, tags []string) error {
	if !utf8.ValidString(name) {
		return fmt.Errorf("%w: name %q", ErrInvalidText, name)
	}
	if !utf8.ValidString(uri) {
		return fmt.Errorf("%w: uri %q", ErrInvalidText, uri)
	}
	for _, t := range tags {
		if !utf8.ValidString(t) {
			return fmt.Errorf("%w: metadata %q", ErrInvalidText, t)
		}
	}
	return nil
}

// matcher is a compiled Filter.
type matcher struct {
	prefix   string
	hasRegex bool
	re       *regexp.Regexp
	rePrefix string   // the literal text every match of re starts with
	all, any []string // normalized, valid UTF-8
	none     bool     // the metadata asked for cannot be stored, so nothing matches
}

func (m *matcher) empty() bool {
	return m.prefix == "" && !m.hasRegex && m.all == nil && m.any == nil && !m.none
}

// validTags drops tags that are not valid UTF-8: no entry can hold them.
func validTags(tags []string) []string {
	return slices.DeleteFunc(tags, func(t string) bool { return !utf8.ValidString(t) })
}

// compileFilter checks f and prepares it for matching.
func compileFilter(f Filter) (*matcher, error) {
	set := 0
	for _, b := range []bool{f.Prefix != "", f.Regex != "", len(f.MetadataAll) > 0, len(f.MetadataAny) > 0} {
		if b {
			set++
		}
	}
	if set > 1 {
		return nil, ErrInvalidFilter
	}
	m := &matcher{prefix: f.Prefix, all: normalizeTags(f.MetadataAll), any: normalizeTags(f.MetadataAny)}
	if all := validTags(m.all); len(all) < len(m.all) {
		m.all, m.none = nil, true
	}
	if any := validTags(m.any); len(any) < len(m.any) {
		m.any = any
		if len(any) == 0 {
			m.any, m.none = nil, true
		}
	}
	if f.Regex != "" {
		// Compiling the pattern on its own first keeps "a)|(b" from escaping the group below.
		if _, err := regexp.Compile(f.Regex); err != nil {
			return nil, fmt.Errorf("%w: %s", ErrInvalidRegex, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
		}
		re, err := regexp.Compile(`^(?:` + f.Regex + `)`)
		if err != nil {
			return nil, fmt.Errorf("%w: %s", ErrInvalidRegex, err)
		}
		m.re, m.hasRegex = re, true
		m.rePrefix = literalPrefix(f.Regex)
	}
	return m, nil
}

// literalPrefix is the literal text every match of the pattern expr starts with ("" when
// there is none or it is not certain): regexp's LiteralPrefix misses it behind the anchor a
// name match needs, so it is read from the parsed pattern.
func literalPrefix(expr string) string {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return ""
	}
	re = re.Simplify()
	for re.Op == syntax.OpCapture && len(re.Sub) == 1 {
		re = re.Sub[0]
	}
	subs := []*syntax.Regexp{re}
	if re.Op == syntax.OpConcat {
		subs = re.Sub
	}
	for _, sub := range subs {
		switch {
		case sub.Op == syntax.OpBeginText:
			continue
		case sub.Op == syntax.OpLiteral && sub.Flags&syntax.FoldCase == 0:
			return string(sub.Rune)
		}
		break
	}
	return ""
}

// rangePrefix is the prefix every name m selects starts with: the Prefix, or the literal
// start of the Regex; "" when there is none. Stores read only that range of their names.
func (m *matcher) rangePrefix() string {
	if m.prefix != "" {
		return m.prefix
	}
	return m.rePrefix
}

// matchName applies the name criteria (prefix, regex).
func (m *matcher) matchName(name string) bool {
	switch {
	case m.prefix != "":
		return strings.HasPrefix(name, m.prefix)
	case m.hasRegex:
		return m.re.MatchString(name)
	}
	return true
}

// matchTags applies the metadata criteria to an entry's normalized tags.
func (m *matcher) matchTags(tags []string) bool {
	if m.all != nil {
		for _, t := range m.all {
			if _, ok := slices.BinarySearch(tags, t); !ok {
				return false
			}
		}
	}
	if m.any != nil {
		for _, t := range m.any {
			if _, ok := slices.BinarySearch(tags, t); ok {
				return true
			}
		}
		return false
	}
	return true
}

func notFound(name string) error { return fmt.Errorf("%w: %s", ErrNotFound, name) }
func exists(name string) error   { return fmt.Errorf("%w: %s", ErrExists, name) }
