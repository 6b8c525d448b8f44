package pyval_test

import (
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/gopyro/pyro/pyval"
)

func ExampleFromGo() {
	v, err := pyval.FromGo(map[string]any{
		"name":  "sensor-1",
		"temps": []float32{20.5, 21},
		"seen":  time.Date(2024, 1, 2, 3, 4, 5, 600000, time.UTC),
		"every": 90 * time.Second,
		"raw":   []byte("\x00\x01"),
		"pos":   [2]int{3, 4},
		"tags":  map[string]struct{}{"b": {}, "a": {}},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(pyval.Repr(v))
	// Output:
	// {'every': 90.0, 'name': 'sensor-1', 'pos': [3, 4], 'raw': b'\x00\x01', 'seen': datetime.datetime(2024, 1, 2, 3, 4, 5, 600), 'tags': {'a', 'b'}, 'temps': [20.5, 21.0]}
}

func ExampleToGo() {
	// What a Python caller might send: (3, [1.5, 2], {"a": None}).
	in := pyval.Tuple{int64(3), []any{1.5, int64(2)}, pyval.DictOf("a", nil)}

	var anything any
	if err := pyval.ToGo(in, &anything); err != nil {
		panic(err)
	}
	fmt.Printf("%#v\n", anything)

	var opts map[string]*string
	if err := pyval.ToGo(in[2], &opts); err != nil {
		panic(err)
	}
	fmt.Println(len(opts), opts["a"] == nil)

	// Errors say where the bad value sits inside the converted one.
	var values []int
	err := pyval.ToGo(in[1], &values)
	fmt.Println(err)
	var ce *pyval.ConvertError
	if errors.As(err, &ce) {
		fmt.Println(ce.Path, ce.Value, ce.Type)
	}
	// Output:
	// []interface {}{3, []interface {}{1.5, 2}, map[string]interface {}{"a":interface {}(nil)}}
	// 1 true
	// [0]: cannot use float 1.5 as int: not an integer
	// [0] float int
}

// A Go struct travels as a dict with str keys; tags rename fields, and on the way in keys also
// match field names regardless of case and underscores.
func Example_struct() {
	type Rate struct {
		Currency     string  `pyro:"currency"`
		ExchangeRate float64 // Python may call it exchange_rate
		Note         string  `pyro:"note,omitempty"`
		internal     int     // unexported fields are neither sent nor filled
	}
	out, _ := pyval.FromGo(Rate{Currency: "EUR", ExchangeRate: 1.08, internal: 7})
	fmt.Println(pyval.Repr(out))

	var r Rate
	err := pyval.ToGo(pyval.DictOf("currency", "GBP", "exchange_rate", int64(1), "unknown", true), &r)
	fmt.Printf("%+v %v\n", r, err)

	err = pyval.ToGo(pyval.DictOf("exchange_rate", "high"), &r)
	fmt.Println(err)
	// Output:
	// {'currency': 'EUR', 'ExchangeRate': 1.08}
	// {Currency:GBP ExchangeRate:1 Note: internal:0} <nil>
	// ["exchange_rate"]: cannot use str as float64
}

// The RPC layer converts each argument straight into a method's parameter type, and names the
// argument in the error's path.
func ExampleConvert() {
	method := func(name string, counts map[string]int) {}
	mt := reflect.TypeOf(method)
	args := []any{"stock", pyval.DictOf("apples", int64(3), "pears", "many")}
	for i, a := range args {
		_, err := pyval.Convert(a, mt.In(i))
		if ce, ok := err.(*pyval.ConvertError); ok {
			ce.Path = fmt.Sprintf("args[%d]", i) + ce.Path
		}
		fmt.Println(i, err)
	}
	// Output:
	// 0 <nil>
	// 1 args[1]["pears"]: cannot use str as int
}
