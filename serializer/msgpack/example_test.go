package msgpack_test

import (
	"fmt"

	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
	_ "github.com/gopyro/pyro/serializer/msgpack"
)

func Example() {
	codec, err := serializer.ByName("msgpack")
	if err != nil {
		panic(err)
	}
	data, err := codec.Marshal(pyval.DictOf("rate", 1.5, "pair", pyval.Tuple{"EUR", "USD"}, "raw", []byte{1, 2}))
	if err != nil {
		panic(err)
	}
	fmt.Printf("%x\n", data)
	v, err := codec.Unmarshal(data)
	if err != nil {
		panic(err)
	}
	fmt.Println(pyval.Repr(v)) // the tuple comes back a list, as in Python
	// Output:
	// 83a472617465cb3ff8000000000000a47061697292a3455552a3555344a3726177c4020102
	// {'rate': 1.5, 'pair': ['EUR', 'USD'], 'raw': b'\x01\x02'}
}
