package pyrepr

import (
	"bytes"
	"os"
	"testing"
	"unicode/utf8"

	"github.com/gopyro/pyro/internal/pytest"
)

// TestPrintableTableCurrent regenerates the str.isprintable table with Debian's Python and
// compares it with the committed one, so the encoder escapes exactly what Python's repr does.
func TestPrintableTableCurrent(t *testing.T) {
	script, err := os.ReadFile("gen_printable.py")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("printable_table.go")
	if err != nil {
		t.Fatal(err)
	}
	if got := pytest.Run(t, string(script), nil); !bytes.Equal(got, want) {
		t.Fatalf("printable_table.go is stale for this Python; run go generate (table has %d ranges, Python %d bytes of table)", len(nonPrintable)/2, len(got))
	}
	// the table and the ASCII/Latin-1 fast paths in isPrintable agree
	k := 0
	for r := rune(0); r <= utf8.MaxRune; r++ {
		for k < len(nonPrintable) && nonPrintable[k+1] < uint32(r) {
			k += 2
		}
		in := k < len(nonPrintable) && nonPrintable[k] <= uint32(r)
		if IsPrintable(r) == in {
			t.Fatalf("IsPrintable(%U) = %v, table says non-printable = %v", r, IsPrintable(r), in)
		}
	}
}
