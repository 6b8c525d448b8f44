package store

import "testing"

func TestLiteralPrefix(t *testing.T) {
	for expr, want := range map[string]string{
		`bench\.obj.*`:  "bench.obj",
		`bench\.obj\d+`: "bench.obj",
		`^abc`:          "abc",
		`(abc)d`:        "", // missed: safe, only slower
		`a|b`:           "",
		`(?i)abc`:       "",
		`.*x`:           "",
		`ab*`:           "a",
		`example\..*`:   "example.",
		`(?:x.y)`:       "x",
		`[ab]c`:         "",
		`Pyro\.NameSer`: "Pyro.NameSer",
		`a+`:            "", // missed
		`(?s)p.q`:       "p",
		``:              "",
		`日本.*`:          "日本",
		`abc$`:          "abc",
		`x(?i:y)`:       "x",
		`(a|ab)(c|bcd)`: "", // missed
	} {
		if got := literalPrefix(expr); got != want {
			t.Errorf("literalPrefix(%q) = %q, want %q", expr, got, want)
		}
	}
}
