package gateway

import (
	"cmp"
	"context"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/gopyro/pyro/naming"
	"github.com/gopyro/pyro/pyval"
)

// serveNames serves GET /api/names, the console's listing: the name server's entries that
// the expose pattern lets through, sorted by name, filtered by the optional prefix, regex
// (Python's re.match: anchored at the start), meta_all and meta_any (comma-separated tags)
// parameters. It answers {"nameserver": uri, "entries": [{"name", "uri", "metadata"}...]}.
func (g *Gateway) serveNames(w http.ResponseWriter, r *http.Request) {
	var p params
	parseQuery(r.URL.RawQuery, &p)
	if !g.keyOK(r, &p) {
		forbiddenKey(w)
		return
	}
	str := func(name string) string {
		v, _ := p.get(name)
		s, _ := v.(string)
		return s
	}
	var re *regexp.Regexp
	if s := str("regex"); s != "" {
		var err error
		if re, err = regexp.Compile(`^(?:` + s + `)`); err != nil {
			plain(w, http.StatusBadRequest, "400 Bad Request - regex: "+err.Error())
			return
		}
	}
	all, anyOf := tags(str("meta_all")), tags(str("meta_any"))
	ctx := r.Context()
	if g.cfg.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, g.cfg.Timeout)
		defer cancel()
	}
	ns, err := g.targets.nameServer(ctx)
	if err != nil {
		g.failure(w, r, "Pyro.NameServer", "list", err)
		return
	}
	entries, err := ns.ListWithMetadata(ctx, naming.Filter{Prefix: str("prefix")})
	if err != nil {
		g.targets.nsFailed(ns, err)
		g.failure(w, r, "Pyro.NameServer", "list", err)
		return
	}
	slices.SortFunc(entries, func(a, b naming.Entry) int { return cmp.Compare(a.Name, b.Name) })
	list := []any{}
	for _, e := range entries {
		if !g.Exposed(e.Name) || re != nil && !re.MatchString(e.Name) ||
			!hasAll(e.Metadata, all) || len(anyOf) > 0 && !hasAny(e.Metadata, anyOf) {
			continue
		}
		meta := make([]any, len(e.Metadata))
		for i, m := range e.Metadata {
			meta[i] = m
		}
		list = append(list, pyval.DictOf("name", e.Name, "uri", e.URI, "metadata", meta))
	}
	body := dumpsJSON(pyval.DictOf("nameserver", ns.Proxy().URI().String(), "entries", list))
	writeJSON(w, http.StatusOK, body)
}

func tags(s string) []string {
	var out []string
	for t := range strings.SplitSeq(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

func hasAll(have, want []string) bool {
	for _, t := range want {
		if !slices.Contains(have, t) {
			return false
		}
	}
	return true
}

func hasAny(have, want []string) bool {
	return slices.ContainsFunc(want, func(t string) bool { return slices.Contains(have, t) })
}
