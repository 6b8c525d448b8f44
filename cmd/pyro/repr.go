package main

import "github.com/gopyro/pyro/pyval"

// stringsRepr renders a list of str as Python's repr of a list (['a', 'b']), as nsc prints
// metadata.
func stringsRepr(items []string) string {
	l := make([]any, len(items))
	for i, s := range items {
		l[i] = s
	}
	return pyval.Repr(l)
}
