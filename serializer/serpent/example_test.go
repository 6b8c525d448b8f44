package serpent_test

import (
	"fmt"

	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer/serpent"
)

func Example() {
	data, err := serpent.Marshal(pyval.Tuple{"EURUSD", 3, 1.5, []byte("hi"), pyval.DictOf("tags", []string{"a", "b"})})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s\n", data)

	v, err := serpent.Unmarshal([]byte("# serpent utf-8 python3.2\n{'rate': 1.0842, 'nan': {'__class__':'float','value':'nan'}, 'set': {1, 2}}"))
	if err != nil {
		panic(err)
	}
	fmt.Println(pyval.Repr(v))
	// Output:
	// # serpent utf-8 python3.2
	// ('EURUSD',3,1.5,{'data': 'aGk=', 'encoding': 'base64'},{'tags':['a','b']})
	// {'rate': 1.0842, 'nan': nan, 'set': {1, 2}}
}
