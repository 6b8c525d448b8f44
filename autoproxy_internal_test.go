package pyro

import "testing"

// tableProbe has a field: pointers to distinct zero-size values may be equal.
type tableProbe struct{ _ int }

func (*tableProbe) Ping() {}

// TestAutoproxyTable: Register puts a pointer in the process-wide table, Unregister and
// Close take it out, and a daemon that is shut down adds nothing more; the daemon's own
// object is never in it.
func TestAutoproxyTable(t *testing.T) {
	d, err := NewDaemon(DaemonConfig{})
	if err != nil {
		t.Fatal(err)
	}
	d2, _ := NewDaemon(DaemonConfig{})
	defer d2.Close()
	a, b := &tableProbe{}, &tableProbe{}
	has := func(p any, on *Daemon) (string, bool) {
		r, ok := registeredObjects.lookup(p, on)
		return r.id, ok && r.d == on
	}
	ua, _ := d.Register(a)
	d.Register(b, WithID("b"))
	d2.Register(a, WithID("a-on-d2"))
	if id, ok := has(a, d); !ok || id != ua.Object {
		t.Errorf("a on d: %q %v", id, ok)
	}
	if id, ok := has(a, d2); !ok || id != "a-on-d2" {
		t.Errorf("a on d2: %q %v", id, ok)
	}
	if _, ok := registeredObjects.lookup(d.lookup(DaemonObjectID).instance.Interface(), d); ok {
		t.Error("the daemon's own object is in the table")
	}
	d.Unregister("b")
	if _, ok := registeredObjects.lookup(b, nil); ok {
		t.Error("b is still in the table after Unregister")
	}
	d.Close()
	if r, ok := registeredObjects.lookup(a, d); !ok || r.d != d2 {
		t.Errorf("after d closed, a is %+v %v; want only its registration on d2", r, ok)
	}
	d.Register(b, WithID("late"))
	if _, ok := registeredObjects.lookup(b, nil); ok {
		t.Error("a daemon that is shut down added to the table")
	}
}
