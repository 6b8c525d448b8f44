package json

import (
	"strings"
	"testing"

	"github.com/gopyro/pyro/internal/codectest"
)

// UnmarshalMetered charges for arrays, objects and strs at every level.
func TestUnmarshalMeteredCharges(t *testing.T) { codectest.CheckMeterCharges(t, Codec{}) }

// A meter refusing beyond 1 MiB stops a list of 5 million ints while it grows.
func TestUnmarshalMeteredStops(t *testing.T) { codectest.CheckMeterStops(t, Codec{}) }

// Escaped strs are charged their decoded length, big ints their digits, small inputs (whose
// strs share one copy of the data) as large ones.
func TestUnmarshalMeteredScalars(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		want       int
	}{
		{"str", `"abc"`, 3},
		{"escaped str", `"a\n\u00e9"`, 4},
		{"empty str", `""`, 0},
		{"int", `-123`, 0},
		{"big int", `-123456789012345678901234567890`, 30},
		{"array", `[1, "ab", [], [2.5, null]]`, 6*16 + 2},
		{"object", `{"a": 1, "b": {"c": []}, "a": 2}`, 4*64 + 4},
		{"large input", "[" + strings.Repeat(`"abcd", `, 1000) + `"abcd"]`, 1001 * (16 + 4)},
	} {
		codectest.CheckCharge(t, Codec{}, tc.name, []byte(tc.data), tc.want)
	}
}

// UnmarshalMetered decodes the test values as Unmarshal does, and nothing panics with a
// meter that refuses everything.
func TestUnmarshalMeteredEqual(t *testing.T) {
	var datas [][]byte
	for _, c := range pyCases {
		b, err := Marshal(c.want)
		if err != nil {
			t.Fatal(err)
		}
		datas = append(datas, b)
	}
	for _, v := range codectest.RandomValues(12, jsonCaps, 200) {
		b, err := Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		datas = append(datas, b)
	}
	for _, s := range []string{
		`{"object": "MyWorker", "method": "get_rate", "params": ["EURUSD", 3, 1.5], "kwargs": {"timeout": 2.5}}`,
		`"\ud83d\ude00\ud800\u0041\/"`, ` [1e400, -0, -0.0, 1E-5, NaN, -Infinity] `, `{"a": 1, "a": 2}`,
		`123456789012345678901234567890`, `[1,]`, `"\t"`, `[1, 2`, `{"a": [1, "b\x01"]}`,
		"[" + strings.Repeat(`"abcd", `, 1000) + `{"k": 1e5}]`,
	} {
		datas = append(datas, []byte(s))
	}
	for _, data := range datas {
		codectest.CheckMetered(t, Codec{}, data)
	}
}
