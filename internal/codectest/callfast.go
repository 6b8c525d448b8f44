package codectest

import (
	"errors"
	"testing"

	"github.com/gopyro/pyro/internal/pyvaltest"
	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

// Codecs may implement serializer.CallEncoder and serializer.CallDecoder to write and read a
// call without the generic tuple or dict; these checks hold them to what the generic path does.

// fastCodec is a codec with both shortcuts.
type fastCodec interface {
	serializer.Codec
	serializer.CallEncoder
	serializer.CallDecoder
}

// General hides a codec's call shortcuts, so MarshalCall and UnmarshalCall take the generic path.
type General struct{ serializer.Codec }

// FuzzDecodeCall checks that c's DecodeCall, when it accepts an input, returns what the generic
// path does, and that the generic path accepts everything DecodeCall does. seeds are extra
// hand-written inputs.
func FuzzDecodeCall(f *testing.F, c fastCodec, caps pyvaltest.Caps, seeds ...[]byte) {
	f.Helper()
	for _, v := range RandomValues(3, caps, 50) {
		kw := pyval.DictOf("k", v)
		for _, call := range []serializer.Call{
			{Object: "o", Method: "m", Args: []any{v, v}, Kwargs: kw},
			{Object: "o", Method: "m"},
		} {
			b, err := serializer.MarshalCall(c, call)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fast, ok := c.DecodeCall(data)
		slow, err := serializer.UnmarshalCall(General{c}, data)
		if !ok {
			return
		}
		if err != nil {
			t.Fatalf("DecodeCall accepts %q, UnmarshalCall says %v", data, err)
		}
		if !SameCall(fast, slow) || (fast.Kwargs == nil) != (slow.Kwargs == nil) || (fast.Args == nil) != (slow.Args == nil) {
			t.Fatalf("DecodeCall(%q) = %+v, general path %+v", data, fast, slow)
		}
	})
}

// CheckDecodeCall checks that the typical call takes c's DecodeCall path, and that the
// shortcut refuses trailing data (the byte trailer).
func CheckDecodeCall(t *testing.T, c fastCodec, trailer byte) {
	t.Helper()
	data, err := serializer.MarshalCall(c, TypicalCall())
	if err != nil {
		t.Fatal(err)
	}
	call, ok := c.DecodeCall(data)
	if !ok || !SameCall(call, TypicalCall()) {
		t.Fatalf("DecodeCall = %+v, %v", call, ok)
	}
	if _, ok := c.DecodeCall(append(data, trailer)); ok {
		t.Error("DecodeCall accepts trailing data")
	}
}

// CheckEncodeCall checks on 300 random calls that c's EncodeCall writes what the generic path
// writes and fails where it fails, with the same sentinel errors.
func CheckEncodeCall(t *testing.T, c fastCodec) {
	t.Helper()
	values := RandomValues(11, pyvaltest.All, 300)
	for i, v := range values {
		call := serializer.Call{Object: "obj", Method: "méthode", Args: []any{v, values[(i+1)%len(values)]}}
		switch i % 3 {
		case 0:
			call.Kwargs = pyval.DictOf("k", v)
		case 1:
			call.Args = nil
		}
		got, err := c.EncodeCall(call)
		want, werr := serializer.MarshalCall(General{c}, call)
		if (err == nil) != (werr == nil) || string(got) != string(want) {
			t.Fatalf("call %d: EncodeCall = %q, %v; general path %q, %v", i, got, err, want, werr)
		}
		for _, s := range []error{serializer.ErrUnsupported, serializer.ErrLimit} {
			if errors.Is(err, s) != errors.Is(werr, s) {
				t.Fatalf("call %d: EncodeCall error %v, general path %v", i, err, werr)
			}
		}
	}
	if _, err := c.EncodeCall(serializer.Call{Object: "\xff"}); !errors.Is(err, serializer.ErrUnsupported) {
		t.Errorf("EncodeCall of an invalid UTF-8 object id: %v", err)
	}
}

// CheckCallAllocs fails when decoding the typical call with c allocates more than max times.
func CheckCallAllocs(t *testing.T, c serializer.Codec, max float64) {
	t.Helper()
	if RaceEnabled {
		t.Skip("allocation counts differ under -race; the test command runs this without it")
	}
	data, err := serializer.MarshalCall(c, TypicalCall())
	if err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := serializer.UnmarshalCall(c, data); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > max {
		t.Errorf("UnmarshalCall of the typical call: %v allocations, want at most %v", allocs, max)
	}
}
