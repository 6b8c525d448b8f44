package pyval

import "testing"

func TestReprLikePython(t *testing.T) {
	cases := []struct {
		v    any
		want string
	}{
		{"it's", `"it's"`},
		{"a\n\x00\u2028é", `'a\n\x00\u2028é'`},
		{[]byte("b'\x01"), `b"b'\x01"`},
		{[]any{"a", int64(1), Tuple{"x"}}, `['a', 1, ('x',)]`},
		{DictOf("k", 1.5), `{'k': 1.5}`},
		{complex(1, 2), `(1+2j)`},
		{complex(0, -2.5), `-2.5j`},
		{complex(1.5, -2), `(1.5-2j)`},
		{NewSet(), `set()`},
	}
	for _, c := range cases {
		if got := Repr(c.v); got != c.want {
			t.Errorf("Repr(%#v) = %s, want %s", c.v, got, c.want)
		}
	}
}
