package serpent_test

import (
	"bytes"
	"testing"

	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
	"github.com/gopyro/pyro/serializer/serpent"
)

func TestMarshalCallSameText(t *testing.T) {
	kw := pyval.NewDict(0)
	kw.Set("k", []any{int64(1), "x\n'\"", 2.5})
	for _, c := range []serializer.Call{
		{Object: "o", Method: "m", Args: []any{"hello"}, Kwargs: pyval.NewDict(0)},
		{Object: "ob'j\u00e9", Method: "m2", Args: []any{}, Kwargs: nil},
		{Object: "o", Method: "m", Args: []any{int64(1), nil, pyval.Tuple{"a"}, []byte("b")}, Kwargs: kw},
	} {
		fast, err := serpent.Codec{}.EncodeCall(c)
		if err != nil {
			t.Fatal(err)
		}
		var kwargs any
		if c.Kwargs != nil {
			kwargs = c.Kwargs
		}
		slow, err := serpent.Marshal(pyval.Tuple{c.Object, c.Method, pyval.Tuple(c.Args), kwargs})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(fast, slow) {
			t.Errorf("fast %q\nslow %q", fast, slow)
		}
	}
}
