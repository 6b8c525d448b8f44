package codectest_test

import (
	"fmt"

	"github.com/gopyro/pyro/internal/codectest"
	_ "github.com/gopyro/pyro/serializer/json"

	"github.com/gopyro/pyro/serializer"
)

// The typical call survives a trip through a codec.
func ExampleSameCall() {
	c, _ := serializer.ByName("json")
	data, _ := serializer.MarshalCall(c, codectest.TypicalCall())
	back, _ := serializer.UnmarshalCall(c, data)
	fmt.Println(string(data))
	fmt.Println(codectest.SameCall(back, codectest.TypicalCall()))
	// Output:
	// {"object": "MyWorker", "method": "get_rate", "params": ["EURUSD", 3, 1.5, {"amount": 100, "tags": ["a", "b"]}], "kwargs": {"timeout": 2.5}}
	// true
}
