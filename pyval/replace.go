package pyval

// encState carries what one conversion needs besides the value: the pointer hook of a
// Replacer. FromGo passes nil.
type encState = Replacer

// Replacer converts Go values as [FromGo] does, with a hook: every non-nil pointer met while
// converting a value (the value itself included, and at any depth: in slices, maps, struct
// fields and interfaces) is first offered to the hook, and when the hook reports true its
// result is converted instead of what the pointer points to. Package pyro uses one to send
// the objects registered with a daemon as proxies wherever they appear (Pyro4's autoproxy).
// pyval's own pointers (*Dict, *Set) and *big.Int, *big.Float and *big.Rat are not offered.
//
// Build a Replacer once and use it for many conversions, from any goroutine: it holds
// nothing but the hook, and converting with it allocates no more than FromGo.
type Replacer struct {
	replace func(ptr any) (any, bool)
}

// NewReplacer returns a Replacer with the given hook; a nil hook makes it FromGo.
func NewReplacer(replace func(ptr any) (any, bool)) *Replacer {
	return &Replacer{replace: replace}
}

// FromGo converts v like [FromGo], offering its pointers to the hook first.
func (r *Replacer) FromGo(v any) (any, error) {
	if r == nil || r.replace == nil {
		return FromGo(v)
	}
	out, _, err := fromAny(v, 0, r)
	return out, err
}
