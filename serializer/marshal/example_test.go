package marshal_test

import (
	"fmt"

	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
	"github.com/gopyro/pyro/serializer/marshal"
)

// A Pyro4 daemon refusing a connection answers in marshal: here the body of such a
// CONNECTFAIL message, as Python wrote it.
func ExampleUnmarshal() {
	body := []byte("\xfa\x0eunknown object")
	v, err := marshal.Unmarshal(body)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%T %q\n", v, v)
	// Output: string "unknown object"
}

func ExampleMarshal() {
	data, err := marshal.Marshal(pyval.Tuple{"hi", int64(1) << 40, []any{1.5, nil}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("% x\n", data)
	v, _ := marshal.Unmarshal(data)
	fmt.Println(pyval.Repr(v))
	// Output:
	// 29 03 7a 02 68 69 6c 03 00 00 00 00 00 00 00 00 04 5b 02 00 00 00 67 00 00 00 00 00 00 f8 3f 4e
	// ('hi', 1099511627776, [1.5, None])
}

// Calls travel as a 4-tuple (object id, method, list of arguments, dict of keyword arguments).
func Example_call() {
	codec, _ := serializer.ByName("marshal")
	data, _ := serializer.MarshalCall(codec, serializer.Call{Object: "obj", Method: "ping", Args: []any{}, Kwargs: pyval.NewDict(0)})
	call, _ := serializer.UnmarshalCall(codec, data)
	fmt.Printf("% x\n%s.%s\n", data, call.Object, call.Method)
	// Output:
	// 29 04 7a 03 6f 62 6a 7a 04 70 69 6e 67 5b 00 00 00 00 7b 30
	// obj.ping
}
