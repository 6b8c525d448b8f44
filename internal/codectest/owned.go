package codectest

import (
	"bytes"
	"testing"
	"unsafe"

	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

// OwnedAliases checks a codec decoding owned data (serializer.UnmarshalCallOwned) keeps its
// large bytes values in place, and that small ones, and anything UnmarshalCall decodes, are
// copies.
func OwnedAliases(t *testing.T, c serializer.Codec) {
	t.Helper()
	big := bytes.Repeat([]byte("x"), serializer.AliasMin)
	data, err := c.Marshal(pyval.Tuple{"obj", "put", pyval.Tuple{big, big[:10]}, pyval.NewDict(0)})
	if err != nil {
		t.Fatal(err)
	}
	inData := func(b []byte) bool {
		p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
		start := uintptr(unsafe.Pointer(unsafe.SliceData(data)))
		return p >= start && p < start+uintptr(len(data))
	}
	call, err := serializer.UnmarshalCallOwned(c, data)
	if err != nil {
		t.Fatal(err)
	}
	large, small := call.Args[0].([]byte), call.Args[1].([]byte)
	if !bytes.Equal(large, big) || !bytes.Equal(small, big[:10]) {
		t.Fatal("wrong values")
	}
	if !inData(large) || cap(large) != len(large) {
		t.Error("a large bytes value of owned data was copied, or can grow into the data after it")
	}
	if inData(small) {
		t.Error("a small bytes value was left in the data")
	}
	call, err = serializer.UnmarshalCall(c, data)
	if err != nil {
		t.Fatal(err)
	}
	if inData(call.Args[0].([]byte)) {
		t.Error("Unmarshal left a bytes value in data it does not own")
	}
}
