package serpent

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gopyro/pyro/pyval"
)

// FuzzPlainStr checks str's fast path against the general one: a literal decodes to the
// same value whichever path takes it.
func FuzzPlainStr(f *testing.F) {
	for _, s := range []string{"", "abc", "a'b", `a\nb`, "QUJD", "tab\there", "é", "x' 'y", "x' b'y",
		// long enough for the eight-byte scan, with a byte it must stop at in a later word
		"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=", "QUJDREVGR0hJ\\SktMTU5PUFFS", "QUJDREVGR0hJSktM'TU5PUFFS",
		"QUJDREVGR0hJSk\ttMTU5PUFFS", "QUJDREVGR0hJSktMTU5\x7fPUFFS", "QUJDREVGR0hJSktMTU5éPUFFS"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, body string, isBytes bool) {
		if !utf8.ValidString(body) || strings.ContainsRune(body, 0) {
			return // refused before parsing, by Unmarshal alone
		}
		prefix := ""
		if isBytes {
			prefix = "b"
		}
		text := []byte(Header + prefix + "'" + body + "'")
		fast, errFast := Unmarshal(text)
		slow, errSlow := (&decoder{data: text, noFast: true}).top()
		if (errFast == nil) != (errSlow == nil) {
			t.Fatalf("%q: fast path error %v, general path error %v", text, errFast, errSlow)
		}
		if errFast == nil && !pyval.Equal(fast, slow) {
			t.Fatalf("%q: fast path %#v, general path %#v", text, fast, slow)
		}
	})
}
