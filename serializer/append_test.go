package serializer_test

import (
	"bytes"
	"testing"

	"github.com/gopyro/pyro/internal/pyvaltest"
	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

// AppendMarshal writes after dst exactly what Marshal writes, into dst's memory when it has
// room, for every codec (json by its Marshal).
func TestAppendMarshal(t *testing.T) {
	for _, c := range codecs {
		g := pyvaltest.New(7, pyvaltest.All)
		for i := range 200 {
			v := g.Value()
			if i == 0 {
				v = bytes.Repeat([]byte{7}, 100<<10) // a large bytes value
			}
			want, err := c.Marshal(v)
			if err != nil {
				continue // a value this codec cannot carry
			}
			dst := make([]byte, 3, 256<<10)
			copy(dst, "abc")
			got, err := serializer.AppendMarshal(c, dst, v)
			if err != nil {
				t.Fatalf("%s: AppendMarshal fails where Marshal does not: %v", c.Name(), err)
			}
			if string(got[:3]) != "abc" || !bytes.Equal(got[3:], want) {
				t.Fatalf("%s: AppendMarshal of %#v differs from Marshal", c.Name(), v)
			}
			if &got[0] != &dst[0] {
				t.Errorf("%s: AppendMarshal did not use the room in dst", c.Name())
			}
		}
	}
}

// AppendMarshalCall writes after dst exactly what MarshalCall writes, for every codec.
func TestAppendMarshalCall(t *testing.T) {
	big := bytes.Repeat([]byte{9}, 100<<10)
	kw := pyval.NewDict(1)
	kw.Set("timeout", 2.5)
	for _, c := range codecs {
		for _, call := range []serializer.Call{
			{Object: "obj", Method: "put", Args: []any{big}},
			{Object: "obj", Method: "echo", Args: []any{"hello", int64(3)}, Kwargs: kw},
			{Object: "obj", Method: "none"},
		} {
			if c.Name() == "json" && call.Method == "put" {
				continue // json carries no bytes
			}
			want, err := serializer.MarshalCall(c, call)
			if err != nil {
				t.Fatalf("%s: %v", c.Name(), err)
			}
			dst := make([]byte, 3, 256<<10)
			copy(dst, "abc")
			got, err := serializer.AppendMarshalCall(c, dst, call)
			if err != nil {
				t.Fatalf("%s: %v", c.Name(), err)
			}
			if string(got[:3]) != "abc" || !bytes.Equal(got[3:], want) || &got[0] != &dst[0] {
				t.Errorf("%s: AppendMarshalCall of %s differs from MarshalCall or left dst", c.Name(), call.Method)
			}
		}
	}
}
