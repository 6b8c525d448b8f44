package json_test

import (
	"fmt"
	"math"

	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
	"github.com/gopyro/pyro/serializer/json"
)

func ExampleMarshal() {
	data, err := json.Marshal(pyval.DictOf("rate", 1.5, "limits", pyval.Tuple{nil, math.Inf(1)}, 7, "é"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(data))
	// Output: {"rate": 1.5, "limits": [null, Infinity], "7": "é"}
}

func ExampleUnmarshal() {
	v, err := json.Unmarshal([]byte(`{"big": 123456789012345678901234567890, "x": [NaN, -0.0, "\ud83d\ude00"]}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(pyval.Repr(v))
	// Output:
	// {'big': 123456789012345678901234567890, 'x': [nan, -0.0, '😀']}
}

// Calls travel as an object with "object", "method", "params" and "kwargs".
func Example_call() {
	codec, _ := serializer.ByName("json")
	data, _ := serializer.MarshalCall(codec, serializer.Call{Object: "obj", Method: "ping", Args: []any{}, Kwargs: pyval.NewDict(0)})
	fmt.Println(string(data))
	// Output: {"object": "obj", "method": "ping", "params": [], "kwargs": {}}
}
