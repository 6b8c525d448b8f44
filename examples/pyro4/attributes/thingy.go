package main

// Thingy is the Go twin of server.py's Thingy. Each client connection gets its own (Pyro4's
// default instance mode, session), so one client's prop_value does not change another's.
//
// Python exposes properties as remote attributes; in Go a Foo()/SetFoo(v) method pair is the
// attribute foo (prop_value here), and pyro.WithAttributes makes a getter alone a read-only
// one (prop_sub). Dunder methods and Java-style names get explicit names with pyro.WithName
// (see main.go). Python's plain attributes (sub, value, _value) are not exposed, so Thingy's
// fields are unexported.
type Thingy struct {
	sub   map[string]string
	value int
}

// NewThingy returns a Thingy as Python's __init__ makes it.
func NewThingy() *Thingy { return &Thingy{sub: map[string]string{"name": "value"}, value: 42} }

// Dunder is exposed as __dunder__.
func (t *Thingy) Dunder() string { return "yep" }

// Len is exposed as __len__, so Python's len(proxy) works.
func (t *Thingy) Len() int { return 200 }

// GetValue is exposed as getValue.
func (t *Thingy) GetValue() int { return t.value }

// PropValue and SetPropValue are the read-write attribute prop_value.
func (t *Thingy) PropValue() int     { return t.value }
func (t *Thingy) SetPropValue(v int) { t.value = v }

// PropSub is the read-only attribute prop_sub.
func (t *Thingy) PropSub() map[string]string { return t.sub }
