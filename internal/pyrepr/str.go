// Package pyrepr writes Python's repr() of str, bytes and float, byte for byte as Debian's
// Python writes them. The serpent codec writes its literals with it and pyval.Repr uses it.
//
// Invalid UTF-8 in a Go string is written as Python's surrogateescape (\udcXX), and WTF-8
// encoded lone surrogates as their \uXXXX escape, so the text reads back exactly.
package pyrepr

//go:generate sh -c "/usr/bin/python3 gen_printable.py > printable_table.go"

import "unicode/utf8"

const hexDigits = "0123456789abcdef"

// AppendStr appends s as Python's repr() would: single quotes unless s holds a ' and no ",
// escapes for backslash, the quote, controls and non-printable code points, everything else raw.
func AppendStr(b []byte, s string) []byte {
	quote := byte('\'')
	if containsByte(s, '\'') && !containsByte(s, '"') {
		quote = '"'
	}
	b = append(b, quote)
	start := 0 // s[start:i] is pending raw output
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f && c != quote && c != '\\' {
			i++
			continue
		}
		b = append(b, s[start:i]...)
		if c < utf8.RuneSelf {
			switch c {
			case quote, '\\':
				b = append(b, '\\', c)
			case '\t':
				b = append(b, '\\', 't')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			default:
				b = append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&15])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b, size = appendInvalid(b, s, i)
		case IsPrintable(r):
			b = append(b, s[i:i+size]...)
		default:
			b = appendEscape(b, r)
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, quote)
}

func containsByte(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}

// appendEscape writes Python's escape for a non-printable code point.
func appendEscape(b []byte, r rune) []byte {
	switch {
	case r <= 0xff:
		return append(b, '\\', 'x', hexDigits[r>>4], hexDigits[r&15])
	case r <= 0xffff:
		return append(b, '\\', 'u', hexDigits[r>>12], hexDigits[r>>8&15], hexDigits[r>>4&15], hexDigits[r&15])
	}
	b = append(b, '\\', 'U')
	for shift := 28; shift >= 0; shift -= 4 {
		b = append(b, hexDigits[r>>uint(shift)&15])
	}
	return b
}

// wtf8Surrogate reports the surrogate code point that s[i:] starts with in generalized UTF-8
// (ED A0..BF 80..BF), as the decoder produces for lone surrogates.
func wtf8Surrogate(s string, i int) (rune, bool) {
	if i+2 < len(s) && s[i] == 0xed && s[i+1] >= 0xa0 && s[i+1] <= 0xbf && s[i+2] >= 0x80 && s[i+2] <= 0xbf {
		return 0xd000 | rune(s[i+1]&0x3f)<<6 | rune(s[i+2]&0x3f), true
	}
	return 0, false
}

// appendInvalid writes the invalid UTF-8 at s[i] and returns how many bytes it consumed.
// A WTF-8 surrogate becomes its \u escape; any other byte b becomes \udcXX (surrogateescape).
// The decoder maps \udc80-\udcff back to single bytes and merges an escaped high surrogate
// followed by a low one, so a high surrogate is written as \u only when a valid character or
// the end follows its run of high surrogates; otherwise its bytes are escaped one by one.
// With these rules decoding gives back exactly the bytes of s.
func appendInvalid(b []byte, s string, i int) ([]byte, int) {
	if r, ok := wtf8Surrogate(s, i); ok {
		switch {
		case r >= 0xdc80 && r <= 0xdcff:
			// would read back as one byte; escape its three bytes instead
		case r >= 0xdc00:
			return appendEscape(b, r), 3
		default:
			j := i + 3
			for {
				if r2, ok := wtf8Surrogate(s, j); !ok || r2 >= 0xdc00 {
					break
				}
				j += 3
			}
			if r2, n := utf8.DecodeRuneInString(s[j:]); j == len(s) || r2 != utf8.RuneError || n > 1 {
				return appendEscape(b, r), 3
			}
		}
	}
	return appendEscape(b, 0xdc00|rune(s[i])), 1
}

// AppendBytes appends a b'...' literal the way Python's bytes repr writes p.
func AppendBytes(b []byte, p []byte) []byte {
	quote := byte('\'')
	if containsByte(string(p), '\'') && !containsByte(string(p), '"') {
		quote = '"'
	}
	b = append(b, 'b', quote)
	for _, c := range p {
		switch {
		case c == quote || c == '\\':
			b = append(b, '\\', c)
		case c == '\t':
			b = append(b, '\\', 't')
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c < 0x20 || c >= 0x7f:
			b = append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&15])
		default:
			b = append(b, c)
		}
	}
	return append(b, quote)
}

// IsPrintable reports whether Python's str.isprintable() holds for r, from the table
// generated out of Debian's Python.
func IsPrintable(r rune) bool {
	if r < 0x7f {
		return r >= 0x20
	}
	if r <= 0xff {
		return r > 0xa0 && r != 0xad
	}
	u := uint32(r)
	lo, hi := 0, len(nonPrintable)/2
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if nonPrintable[2*m+1] < u {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo == len(nonPrintable)/2 || u < nonPrintable[2*lo]
}
