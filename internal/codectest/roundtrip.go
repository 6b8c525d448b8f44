package codectest

import (
	"bytes"
	"testing"

	"github.com/gopyro/pyro/internal/pyvaltest"
	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

// maxReported bounds the failures RoundTrip.Run describes one by one; the rest are counted.
const maxReported = 10

// RandomValues returns n values from a pyvaltest generator with seed and caps.
func RandomValues(seed uint64, caps pyvaltest.Caps, n int) []any {
	gen := pyvaltest.New(seed, caps)
	values := make([]any, n)
	for i := range values {
		values[i] = gen.Value()
	}
	return values
}

// RoundTrip sends values Go → Python → Go: Go encodes each, one Python process with Pyro4
// decodes and re-encodes it, and Go decodes the answer, which must equal what was sent.
type RoundTrip struct {
	// Class is Pyro4's serializer class in Pyro4.util, e.g. "JsonSerializer".
	Class string
	// Script, when set, replaces Prelude(Class)+DefaultAnswer: Python source that defines ser
	// and answer(data, call), returning the re-encoding or a pair (re-encoding, note bytes).
	Script string
	// Want, when set, gives the value a sent value must come back as (the default is itself).
	Want func(any) any
	// Identical requires Python's re-encoding to be byte for byte what Go wrote.
	Identical bool
}

// Result counts what RoundTrip.Run checked and keeps the bytes each way.
type Result struct {
	Values, Calls int // items sent, by kind
	Identical     int // answers byte-identical to Go's encoding
	Bytes         int // total size of Python's answers
	Failed        int // items that did not come back equal (each also failed the test)
	Sent, Back    [][]byte
	Notes         [][]byte // the notes answer returned, empty by default
}

// Run sends items (canonical values, or serializer.Call for a call payload, which goes
// through MarshalCall, dumpsCall(*loadsCall) and UnmarshalCall) in one Python process and
// fails t for each that does not come back equal.
func (rt RoundTrip) Run(t testing.TB, c serializer.Codec, items []any) Result {
	t.Helper()
	res := Result{Sent: make([][]byte, len(items))}
	calls := make([]bool, len(items))
	for i, it := range items {
		var err error
		if call, ok := it.(serializer.Call); ok {
			calls[i] = true
			res.Sent[i], err = serializer.MarshalCall(c, call)
		} else {
			res.Sent[i], err = c.Marshal(it)
		}
		if err != nil {
			t.Fatalf("item %d: Marshal(%s): %v", i, pyval.Repr(it), err)
		}
	}
	script := rt.Script
	if script == "" {
		script = Prelude(rt.Class) + DefaultAnswer
	}
	res.Back, res.Notes = pythonFrames(t, script, calls, res.Sent)
	fail := func(format string, args ...any) {
		t.Helper()
		res.Failed++
		if res.Failed <= maxReported {
			t.Errorf(format, args...)
		}
	}
	for i, it := range items {
		back := res.Back[i]
		res.Bytes += len(back)
		if bytes.Equal(back, res.Sent[i]) {
			res.Identical++
		} else if rt.Identical {
			fail("item %d: Go wrote\n%q\nPython wrote\n%q", i, res.Sent[i], back)
		}
		if calls[i] {
			res.Calls++
			sent := it.(serializer.Call)
			got, err := serializer.UnmarshalCall(c, back)
			if err != nil {
				fail("item %d: UnmarshalCall of Python's %q: %v", i, back, err)
			} else if !SameCall(got, sent) {
				fail("item %d: call came back as %+v, sent %+v", i, got, sent)
			}
			continue
		}
		res.Values++
		want := it
		if rt.Want != nil {
			want = rt.Want(it)
		}
		got, err := c.Unmarshal(back)
		if err != nil {
			fail("item %d: Unmarshal of Python's %q: %v", i, back, err)
		} else if !pyval.Equal(got, want) {
			fail("item %d: sent %s, got back %s (Python wrote %q)", i, pyval.Repr(want), pyval.Repr(got), back)
		}
	}
	if res.Failed > maxReported {
		t.Errorf("%d more items failed", res.Failed-maxReported)
	}
	return res
}
