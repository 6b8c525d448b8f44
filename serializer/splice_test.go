package serializer_test

import (
	"bytes"
	"testing"

	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
	_ "github.com/gopyro/pyro/serializer/marshal"
	_ "github.com/gopyro/pyro/serializer/msgpack"
	_ "github.com/gopyro/pyro/serializer/serpent"
)

// A spliced encoding, joined, is byte for byte the plain one, for values and calls with large
// bytes anywhere in them; only the first large value is left out.
func TestSpliceJoinsToPlain(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 8192) // 128 KiB
	big2 := bytes.Repeat([]byte{7}, 100<<10)
	values := []any{
		big,
		pyval.Tuple{"x", big, int64(3)},
		[]any{big, big2, "tail"},
		pyval.DictOf("a", int64(1), "data", big, "more", []any{big2}),
		[]byte("small"),
		"no bytes at all",
	}
	for _, name := range []string{"msgpack", "marshal", "serpent"} {
		c, err := serializer.ByName(name)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range values {
			plain, err := c.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			out, s, err := serializer.AppendMarshalSplice(c, []byte{}, v, 64<<10)
			if err != nil {
				t.Fatal(err)
			}
			checkJoin(t, name, i, plain, out, s)

			call := serializer.Call{Object: "obj", Method: "put", Args: []any{v}, Kwargs: pyval.DictOf("k", int64(1))}
			plain, err = serializer.MarshalCall(c, call)
			if err != nil {
				t.Fatal(err)
			}
			out, s, err = serializer.AppendMarshalCallSplice(c, []byte{}, call, 64<<10)
			if err != nil {
				t.Fatal(err)
			}
			checkJoin(t, name+" call", i, plain, out, s)
		}
	}
}

func checkJoin(t *testing.T, name string, i int, plain, out []byte, s serializer.Splice) {
	t.Helper()
	joined := out
	if s.Bytes != nil {
		joined = append(append(append([]byte{}, out[:s.At]...), s.Bytes...), out[s.At:]...)
	}
	if !bytes.Equal(joined, plain) {
		t.Errorf("%s, value %d: the joined splice differs from the plain encoding", name, i)
	}
	if name[:7] != "serpent" && len(plain) > 64<<10 && s.Bytes == nil {
		t.Errorf("%s, value %d: nothing left out", name, i)
	}
}
