package pyval

// encState carries what one conversion needs besides the value: the pointer hook of
// FromGoReplacing. FromGo passes nil.
type encState struct {
	replace func(ptr any) (any, bool)
}

// FromGoReplacing is [FromGo] with a hook: every non-nil pointer met while converting v (v
// itself included, and at any depth: in slices, maps, struct fields and interfaces) is first
// offered to replace, and when replace reports true its result is converted instead of what
// the pointer points to. Package pyro uses it to send the objects registered with a daemon as
// proxies wherever they appear (Pyro4's autoproxy). pyval's own pointers (*Dict, *Set) and
// *big.Int, *big.Float and *big.Rat are not offered.
func FromGoReplacing(v any, replace func(ptr any) (any, bool)) (any, error) {
	if replace == nil {
		return FromGo(v)
	}
	out, _, err := fromAny(v, 0, &encState{replace: replace})
	return out, err
}
