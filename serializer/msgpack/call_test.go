package msgpack

import (
	"errors"
	"testing"

	"github.com/gopyro/pyro/internal/codectest"
	"github.com/gopyro/pyro/internal/pyvaltest"
	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

// general hides Codec's DecodeCall, so UnmarshalCall takes the general path.
type general struct{ serializer.Codec }

// FuzzDecodeCall checks that DecodeCall, when it accepts an input, returns what the general
// path does, and that the general path accepts everything DecodeCall does.
func FuzzDecodeCall(f *testing.F) {
	for _, v := range codectest.RandomValues(3, pyvaltest.Caps{}, 50) {
		kw := pyval.DictOf("k", v)
		for _, call := range []serializer.Call{
			{Object: "o", Method: "m", Args: []any{v, v}, Kwargs: kw},
			{Object: "o", Method: "m"},
		} {
			b, err := serializer.MarshalCall(Codec{}, call)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add(codectest.MustHex(f, "94 d90161 da000162 dc0000 de0000"))
	f.Add(codectest.MustHex(f, "94 a161 a162 90 c0 c0")) // trailing data
	f.Fuzz(func(t *testing.T, data []byte) {
		fast, ok := Codec{}.DecodeCall(data)
		slow, err := serializer.UnmarshalCall(general{Codec{}}, data)
		if !ok {
			return
		}
		if err != nil {
			t.Fatalf("DecodeCall accepts %x, UnmarshalCall says %v", data, err)
		}
		if !codectest.SameCall(fast, slow) || (fast.Kwargs == nil) != (slow.Kwargs == nil) || (fast.Args == nil) != (slow.Args == nil) {
			t.Fatalf("DecodeCall(%x) = %+v, general path %+v", data, fast, slow)
		}
	})
}

// The typical call takes DecodeCall's path.
func TestDecodeCallTypical(t *testing.T) {
	data, err := serializer.MarshalCall(Codec{}, codectest.TypicalCall())
	if err != nil {
		t.Fatal(err)
	}
	call, ok := Codec{}.DecodeCall(data)
	if !ok || !codectest.SameCall(call, codectest.TypicalCall()) {
		t.Fatalf("DecodeCall = %+v, %v", call, ok)
	}
	if _, ok := (Codec{}).DecodeCall(append(data, 0)); ok {
		t.Error("DecodeCall accepts trailing data")
	}
}

// EncodeCall writes what the general path writes, and fails where it fails.
func TestEncodeCall(t *testing.T) {
	values := codectest.RandomValues(11, pyvaltest.All, 300)
	for i, v := range values {
		call := serializer.Call{Object: "obj", Method: "méthode", Args: []any{v, values[(i+1)%len(values)]}}
		switch i % 3 {
		case 0:
			call.Kwargs = pyval.DictOf("k", v)
		case 1:
			call.Args = nil
		}
		got, err := Codec{}.EncodeCall(call)
		want, werr := serializer.MarshalCall(general{Codec{}}, call)
		if (err == nil) != (werr == nil) || string(got) != string(want) {
			t.Fatalf("call %d: EncodeCall = %q, %v; general path %q, %v", i, got, err, want, werr)
		}
		for _, s := range []error{serializer.ErrUnsupported, serializer.ErrLimit} {
			if errors.Is(err, s) != errors.Is(werr, s) {
				t.Fatalf("call %d: EncodeCall error %v, general path %v", i, err, werr)
			}
		}
	}
	if _, err := (Codec{}).EncodeCall(serializer.Call{Object: "\xff"}); !errors.Is(err, serializer.ErrUnsupported) {
		t.Errorf("EncodeCall of an invalid UTF-8 object id: %v", err)
	}
}

// Decoding the typical call allocates a few slabs, not every value on its own.
func TestUnmarshalCallAllocs(t *testing.T) {
	data, err := serializer.MarshalCall(Codec{}, codectest.TypicalCall())
	if err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := serializer.UnmarshalCall(Codec{}, data); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 14 {
		t.Errorf("UnmarshalCall of the typical call: %v allocations, want at most 14", allocs)
	}
}
