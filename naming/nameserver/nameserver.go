// Package nameserver is Pyro's name server in Go: the Pyro.NameServer object with every
// method of Pyro4 4.82 and its semantics for Pyro4 clients, and Pyro5 5.17's API (list
// without metadata filters, yplookup, metadata as sets) for Pyro5 clients, over one registry
// ([NameServer]); and a [Server] that serves it on a daemon with the UDP broadcast responder
// that lets clients of both find it and optional autoclean. Registrations live in a storage
// of package naming/store: memory, SQLite in Pyro4's own table layout, or etcd
// (naming/store/etcdstore), which several name servers share and where names can be tied
// to leases (LeaseGrant, RegisterLeased, LeaseKeepalive, LeaseRevoke).
//
// Python programs use it unchanged (Pyro4.locateNS(), Pyro5.api.locate_ns(),
// Proxy("PYRONAME:...")). Programs that
// only use a name server want package naming, the client, which links none of this.
package nameserver

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/naming"
	"github.com/gopyro/pyro/naming/store"
	"github.com/gopyro/pyro/pyval"
)

// Limits that keep one client from filling the name server with a single call.
const (
	// MaxTags is the most metadata tags one registration may carry.
	MaxTags = 1000
	// MaxTagLen and MaxNameLen bound a tag's and a name's length in bytes.
	MaxTagLen  = 1024
	MaxNameLen = 1024
)

// NameServer is the object served under "Pyro.NameServer". Its methods follow Pyro4's
// NameServer exactly for Pyro4 callers, and Pyro5's for Pyro5 callers (List5 and Yplookup
// are Pyro5's only, List Pyro4's only), arguments, return shapes and error classes
// included; they take raw Python values where Pyro checks their types itself.
type NameServer struct {
	store store.Store
}

// New returns the name server object over a store; [Start] serves one on a daemon.
func New(s store.Store) *NameServer { return &NameServer{store: s} }

// registerOptions gives the methods Pyro4's parameter names, so that Python callers may pass
// keyword arguments and leave optional ones out.
func registerOptions() []pyro.RegisterOption {
	return append([]pyro.RegisterOption{
		pyro.WithID(pyro.NameServerObjectID),
		pyro.WithClassName("NameServer"),
		pyro.WithParams("Lookup", "name", "return_metadata"),
		pyro.WithParams("Register", "name", "uri", "safe", "metadata"),
		pyro.WithParams("SetMetadata", "name", "metadata"),
		pyro.WithParams("Remove", "name", "prefix", "regex"),
		pyro.WithParams("List", "prefix", "regex", "metadata_all", "metadata_any", "return_metadata"),
		// Pyro5's API: its list has no metadata filters (yplookup does that).
		pyro.WithName("List5", "list"),
		pyro.WithParams("List5", "prefix", "regex", "return_metadata"),
		pyro.WithParams("Yplookup", "meta_all", "meta_any", "return_metadata"),
		pyro.WithProtocolOnly(pyro.Pyro4, "List"),
		pyro.WithProtocolOnly(pyro.Pyro5, "List5", "Yplookup"),
	}, leaseOptions()...)
}

// Pyro5 tags its name server's own registration with this class instead of Pyro4's
// naming.SelfMetadata; a Pyro5 client sees (and may search for) this one.
const pyro5SelfMetadata = "class:Pyro5.nameserver.NameServer"

// isPyro5 reports whether the caller speaks Pyro5: the methods then follow Pyro5's name
// server, whose return shapes (metadata as sets) and a few rules differ.
func isPyro5(ctx context.Context) bool {
	ci, ok := pyro.ConnInfoFrom(ctx)
	return ok && ci.Protocol == pyro.Pyro5
}

// metaSet is metadata as Pyro5 returns it, a set, in Pyro5's spelling of the self tag.
func metaSet(tags []string) *pyval.Set {
	s := pyval.NewSet()
	for _, t := range tags {
		if t == naming.SelfMetadata {
			t = pyro5SelfMetadata
		}
		s.Add(t)
	}
	return s
}

// fromPyro5Tags maps Pyro5's self tag in a query to the stored one.
func fromPyro5Tags(tags []string) []string {
	for i, t := range tags {
		if t == pyro5SelfMetadata {
			tags[i] = naming.SelfMetadata
		}
	}
	return tags
}

func namingError(format string, args ...any) error {
	return pyro.NewError("Pyro4.errors.NamingError", format, args...)
}

func typeError(msg string) error { return pyro.NewError("builtins.TypeError", "%s", msg) }

// storeError turns a store failure into the exception Pyro4 raises for it.
func storeError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrExists), errors.Is(err, store.ErrInvalidRegex), isLeaseError(err):
		return namingError("%s", err.Error())
	case errors.Is(err, store.ErrInvalidFilter):
		return pyro.NewError("builtins.ValueError", "%s", err.Error())
	}
	return pyro.NewError("Pyro4.errors.NamingError", "storage failure: %v", err)
}

func checkName(v any) (string, error) {
	name, ok := v.(string)
	if !ok {
		return "", typeError("name must be a str")
	}
	if name == "" || len(name) > MaxNameLen || strings.IndexFunc(name, unicode.IsSpace) >= 0 {
		return "", namingError("invalid name: %q (names are 1 to %d characters without whitespace)", name, MaxNameLen)
	}
	return name, nil
}

// tags reads a metadata argument: None, or a list, tuple or set of str (not a str itself).
func tags(v any, what string) ([]string, error) {
	switch v.(type) {
	case nil:
		return nil, nil
	case string:
		return nil, typeError(what + " should not be a str, but another iterable (set, list, etc)")
	}
	items, ok := pyval.Items(v)
	if !ok {
		return nil, typeError(fmt.Sprintf("%s must be an iterable of str, not %s", what, pyval.TypeName(v)))
	}
	if len(items) > MaxTags {
		return nil, namingError("too many metadata tags: %d (at most %d)", len(items), MaxTags)
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		s, ok := it.(string)
		if !ok {
			return nil, typeError(fmt.Sprintf("%s items must be str, not %s", what, pyval.TypeName(it)))
		}
		if len(s) > MaxTagLen {
			return nil, namingError("metadata tag too long: %d bytes (at most %d)", len(s), MaxTagLen)
		}
		out = append(out, s)
	}
	return out, nil
}

func metaList(tags []string) []any {
	l := make([]any, len(tags))
	for i, t := range tags {
		l[i] = t
	}
	return l
}

// Ping does nothing; a round trip shows the name server is there.
func (ns *NameServer) Ping() {}

// Count returns the number of registrations, the name server's own included.
func (ns *NameServer) Count(ctx context.Context) (int, error) {
	n, err := ns.store.Count(ctx)
	return n, storeError(err)
}

// Lookup returns the URI registered under name, or (URI, [metadata]) when returnMetadata is
// true in Python's sense ((URI, {metadata}) to a Pyro5 caller). Pyro5's resolve() passes
// its delay time, a float, there.
func (ns *NameServer) Lookup(ctx context.Context, name pyval.Raw, returnMetadata pyval.Raw) (any, error) {
	n, ok := name.(string)
	if !ok {
		return nil, typeError("name must be a str")
	}
	e, err := ns.store.Lookup(ctx, n)
	if err != nil {
		return nil, storeError(err)
	}
	uri, err := pyro.ParseURI(e.URI)
	if err != nil {
		return nil, namingError("stored uri of %s is invalid: %v", n, err)
	}
	if truth(returnMetadata) {
		if isPyro5(ctx) {
			return pyval.Tuple{uri, metaSet(e.Metadata)}, nil
		}
		return pyval.Tuple{uri, metaList(e.Metadata)}, nil
	}
	return uri, nil
}

// Register maps name to uri (a str or a URI), refusing an existing name when safe is set.
func (ns *NameServer) Register(ctx context.Context, name, uri pyval.Raw, safe bool, metadata pyval.Raw) error {
	n, u, t, err := registration(name, uri, metadata)
	if err != nil {
		return err
	}
	return storeError(ns.store.Register(ctx, n, u, t, safe))
}

// registration checks register's arguments as Pyro4 does, in its order.
func registration(name, uri, metadata pyval.Raw) (string, string, []string, error) {
	var u pyro.URI
	switch x := uri.(type) {
	case string:
		parsed, err := pyro.ParseURI(x)
		if err != nil {
			return "", "", nil, &pyro.Error{Class: "Pyro4.errors.PyroError", Msg: "invalid uri", Err: err}
		}
		u = parsed
	case *pyval.Dict:
		if err := u.UnmarshalPython(x); err != nil {
			return "", "", nil, typeError("only URIs or strings can be registered")
		}
	default:
		return "", "", nil, typeError("only URIs or strings can be registered")
	}
	n, err := checkName(name)
	if err != nil {
		return "", "", nil, err
	}
	t, err := tags(metadata, "metadata")
	if err != nil {
		return "", "", nil, err
	}
	return n, u.String(), t, nil
}

// SetMetadata replaces the metadata of a registration (None or empty clears it).
func (ns *NameServer) SetMetadata(ctx context.Context, name, metadata pyval.Raw) error {
	n, ok := name.(string)
	if !ok {
		return typeError("name must be a str")
	}
	t, err := tags(metadata, "metadata")
	if err != nil {
		return err
	}
	return storeError(ns.store.SetMetadata(ctx, n, t))
}

// Remove deletes by name, else every name with the prefix, else every name the regex
// matches, and returns how many went. The name server's own entry always stays. For a Pyro5
// caller, as in Pyro5, an unknown name removes nothing instead of trying prefix and regex.
func (ns *NameServer) Remove(ctx context.Context, name, prefix, regex pyval.Raw) (int, error) {
	if n, ok := name.(string); ok && n != "" && n != pyro.NameServerObjectID {
		removed, err := ns.store.Remove(ctx, n)
		if err != nil {
			return 0, storeError(err)
		}
		if removed {
			return 1, nil
		}
		if isPyro5(ctx) {
			return 0, nil
		}
	}
	if p, ok := prefix.(string); ok && p != "" {
		n, err := ns.store.RemoveMatching(ctx, store.Filter{Prefix: p}, pyro.NameServerObjectID)
		return n, storeError(err)
	}
	if r, ok := regex.(string); ok && r != "" {
		n, err := ns.store.RemoveMatching(ctx, store.Filter{Regex: r}, pyro.NameServerObjectID)
		return n, storeError(err)
	}
	return 0, nil
}

// List returns {name: uri} (or {name: (uri, [metadata])} with returnMetadata) for the names
// one filter selects: prefix, regex (matched at the start, like Python's re.match), all of
// some metadata tags, or any of them. No filter lists everything. The dict keeps the
// store's order, Pyro4's: registration order (see store.Store.List).
func (ns *NameServer) List(ctx context.Context, prefix, regex, metadataAll, metadataAny pyval.Raw, returnMetadata bool) (*pyval.Dict, error) {
	given := 0
	for _, v := range []any{prefix, regex, metadataAll, metadataAny} {
		if v != nil {
			given++
		}
	}
	if given > 1 {
		return nil, pyro.NewError("builtins.ValueError", "you can only filter on one thing at a time")
	}
	var f store.Filter
	var err error
	switch {
	case prefix != nil:
		if f.Prefix, err = strArg(prefix, "prefix"); err != nil {
			return nil, err
		}
	case regex != nil:
		if f.Regex, err = strArg(regex, "regex"); err != nil {
			return nil, err
		}
	case metadataAll != nil:
		if f.MetadataAll, err = tags(metadataAll, "metadata_all"); err != nil {
			return nil, err
		}
	case metadataAny != nil:
		if f.MetadataAny, err = tags(metadataAny, "metadata_any"); err != nil {
			return nil, err
		}
		if len(f.MetadataAny) == 0 {
			// Pyro4 treats an empty metadata_any as no filter at all.
			f.MetadataAny = nil
		}
	}
	entries, err := ns.store.List(ctx, f)
	if err != nil {
		return nil, storeError(err)
	}
	out := pyval.NewDict(len(entries))
	for _, e := range entries {
		if returnMetadata {
			out.Set(e.Name, pyval.Tuple{e.URI, metaList(e.Metadata)})
		} else {
			out.Set(e.Name, e.URI)
		}
	}
	return out, nil
}

func strArg(v any, what string) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", typeError(what + " must be a str")
	}
	return s, nil
}

// List5 is Pyro5's list, for Pyro5 callers: {name: uri} (or {name: (uri, {metadata})} with
// returnMetadata) for the names with the prefix or matching the regex (at most one of them;
// an empty one is no filter), or every name. Pyro5 filters on metadata with Yplookup.
func (ns *NameServer) List5(ctx context.Context, prefix, regex, returnMetadata pyval.Raw) (*pyval.Dict, error) {
	var f store.Filter
	var err error
	if prefix != nil {
		if f.Prefix, err = strArg(prefix, "prefix"); err != nil {
			return nil, err
		}
	}
	if regex != nil {
		if f.Regex, err = strArg(regex, "regex"); err != nil {
			return nil, err
		}
	}
	if f.Prefix != "" && f.Regex != "" {
		return nil, pyro.NewError("builtins.ValueError", "you can only filter on one thing at a time")
	}
	if f.Prefix != "" {
		f.Regex = ""
	}
	return ns.list5(ctx, f, truth(returnMetadata))
}

// Yplookup is Pyro5's yellow-pages lookup, for Pyro5 callers: the registrations that have
// all of metaAll's tags, or any of metaAny's (not both at once; neither given selects
// nothing), as {name: (uri, {metadata})}, or {name: uri} when returnMetadata is False. Left
// out (or None), returnMetadata is True, as in Pyro5.
func (ns *NameServer) Yplookup(ctx context.Context, metaAll, metaAny, returnMetadata pyval.Raw) (*pyval.Dict, error) {
	all, err := tags(metaAll, "metadata_all")
	if err != nil {
		return nil, err
	}
	anyOf, err := tags(metaAny, "metadata_any")
	if err != nil {
		return nil, err
	}
	if len(all) > 0 && len(anyOf) > 0 {
		return nil, pyro.NewError("builtins.ValueError", "you can't use meta_all or meta_any at the same time")
	}
	withMeta := returnMetadata == nil || truth(returnMetadata)
	var f store.Filter
	switch {
	case len(all) > 0:
		f.MetadataAll = fromPyro5Tags(all)
	case len(anyOf) > 0:
		f.MetadataAny = fromPyro5Tags(anyOf)
	default:
		return pyval.NewDict(0), nil
	}
	return ns.list5(ctx, f, withMeta)
}

// list5 lists in Pyro5's shape: metadata as a set.
func (ns *NameServer) list5(ctx context.Context, f store.Filter, returnMetadata bool) (*pyval.Dict, error) {
	entries, err := ns.store.List(ctx, f)
	if err != nil {
		return nil, storeError(err)
	}
	out := pyval.NewDict(len(entries))
	for _, e := range entries {
		if returnMetadata {
			out.Set(e.Name, pyval.Tuple{e.URI, metaSet(e.Metadata)})
		} else {
			out.Set(e.Name, e.URI)
		}
	}
	return out, nil
}

// truth is Python's truth value of a decoded argument: None, False, zero and empty are false.
func truth(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case int:
		return x != 0
	case int64:
		return x != 0
	case float64:
		return x != 0
	case string:
		return x != ""
	}
	if items, ok := pyval.Items(v); ok {
		return len(items) > 0
	}
	return true
}
