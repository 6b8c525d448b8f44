package currency

import (
	"bytes"
	"context"
	"errors"
	"math"
	"strings"
	"testing"
)

// FuzzParsePair: any string is either refused with ErrUnknownPair or split into two
// upper-case three-letter codes that spell it.
func FuzzParsePair(f *testing.F) {
	for _, s := range []string{"EURUSD", "eurusd", "", "EUR", "XXXYYY", "EUR/US", "EURUS€", "\x00"} {
		f.Add(s)
	}
	tab := ECB()
	f.Fuzz(func(t *testing.T, s string) {
		base, quote, err := ParsePair(s)
		if err != nil {
			if !errors.Is(err, ErrUnknownPair) || !strings.HasPrefix(err.Error(), "unknown currency pair: ") {
				t.Fatalf("ParsePair(%q): %v", s, err)
			}
			return
		}
		if len(base) != 3 || len(quote) != 3 || !strings.EqualFold(base+quote, s) || strings.ToUpper(s) != base+quote {
			t.Fatalf("ParsePair(%q) = %q, %q", s, base, quote)
		}
		rate, err := tab.Rate(context.Background(), base, quote)
		if err != nil {
			if !errors.Is(err, ErrUnknownPair) {
				t.Fatalf("Rate(%s%s): %v", base, quote, err)
			}
			return
		}
		if !(rate > 0) || math.IsInf(rate, 0) {
			t.Fatalf("Rate(%s%s) = %v", base, quote, rate)
		}
	})
}

// FuzzParseTable: a table either parses into positive finite rates or is refused.
func FuzzParseTable(f *testing.F) {
	f.Add(ecbText)
	f.Add([]byte("# Date: 2024-01-02\nUSD 1.5\n"))
	f.Add([]byte("USD 1 2\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tab, err := ParseTable(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, c := range tab.Currencies() {
			r, err := tab.Rate(context.Background(), "EUR", c)
			if err != nil || !(r > 0) || math.IsInf(r, 0) {
				t.Fatalf("EUR%s = %v, %v", c, r, err)
			}
		}
	})
}

// FuzzParseRate: whatever a rate service answers, the result is a positive finite rate or an
// error.
func FuzzParseRate(f *testing.F) {
	for _, s := range []string{"1.0705", " 1.0705\n", "{\"rate\": 1.5}", "{}", "-1", "NaN", "1e999", "{\"rate\": null}", "[1]"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := parseRate(body)
		if err == nil && (!(r > 0) || math.IsInf(r, 0)) {
			t.Fatalf("parseRate(%q) = %v", body, r)
		}
	})
}
