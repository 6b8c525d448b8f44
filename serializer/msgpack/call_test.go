package msgpack

import (
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
