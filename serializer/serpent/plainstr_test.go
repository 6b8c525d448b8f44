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
	for _, s := range []string{"", "abc", "a'b", `a\nb`, "QUJD", "tab\there", "é", "x' 'y", "x' b'y"} {
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
