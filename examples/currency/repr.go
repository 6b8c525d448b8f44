package currency

import "github.com/gopyro/pyro/pyval"

// pyRepr quotes s as Python's repr() does, so that Go and Python workers raise the very same
// message for a bad pair.
func pyRepr(s string) string { return pyval.Repr(s) }
