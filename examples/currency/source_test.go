package currency_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/examples/currency"
)

func asRemote(err error, re **pyro.RemoteError) bool { return errors.As(err, re) }

func TestParsePair(t *testing.T) {
	for _, tc := range []struct {
		pair, base, quote string
	}{
		{"EURUSD", "EUR", "USD"},
		{"usdjpy", "USD", "JPY"},
		{"GbPcHf", "GBP", "CHF"},
		{"XXXYYY", "XXX", "YYY"}, // well-formed: the source decides it is unknown
	} {
		b, q, err := currency.ParsePair(tc.pair)
		if err != nil || b != tc.base || q != tc.quote {
			t.Errorf("ParsePair(%q) = %q, %q, %v; want %q, %q", tc.pair, b, q, err, tc.base, tc.quote)
		}
	}
	for _, bad := range []string{"", "EUR", "EURUS", "EURUSDX", "EUR/USD", "EURUS1", "EUR US", "EURUS€", "\x00\x00\x00\x00\x00\x00"} {
		_, _, err := currency.ParsePair(bad)
		if !errors.Is(err, currency.ErrUnknownPair) {
			t.Errorf("ParsePair(%q) = %v, want ErrUnknownPair", bad, err)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "unknown currency pair: ") {
			t.Errorf("ParsePair(%q) error %q", bad, err)
		}
	}
}

func TestECBTable(t *testing.T) {
	tab := currency.ECB()
	if tab.Date != "2024-06-28" || !strings.Contains(tab.Provenance, "European Central Bank euro foreign exchange reference rates") {
		t.Errorf("table of %q from %q", tab.Date, tab.Provenance)
	}
	if got := len(tab.Currencies()); got != 31 {
		t.Errorf("%d currencies, want 31 (EUR and the 30 ECB quotes)", got)
	}
	ctx := context.Background()
	for _, tc := range []struct {
		base, quote string
		want        float64
	}{
		{"EUR", "USD", 1.0705},
		{"EUR", "JPY", 171.94},
		{"EUR", "GBP", 0.84638},
		{"EUR", "EUR", 1},
		{"USD", "JPY", 160.617}, // 171.94 / 1.0705 = 160.6165...
		{"GBP", "USD", 1.2648},  // 1.0705 / 0.84638 = 1.26480...
		{"USD", "EUR", 0.934143},
		{"USD", "USD", 1},
		{"CHF", "JPY", 178.472},
	} {
		got, err := tab.Rate(ctx, tc.base, tc.quote)
		if err != nil || got != tc.want {
			t.Errorf("%s%s = %v, %v; want %v", tc.base, tc.quote, got, err, tc.want)
		}
	}
	for _, bad := range [][2]string{{"XXX", "USD"}, {"EUR", "YYY"}, {"usd", "EUR"}} {
		_, err := tab.Rate(ctx, bad[0], bad[1])
		if !errors.Is(err, currency.ErrUnknownPair) {
			t.Errorf("%s%s: %v, want ErrUnknownPair", bad[0], bad[1], err)
		}
	}
	_, err := tab.Rate(ctx, "XXX", "YYY")
	if want := `unknown currency pair: 'XXXYYY' (no reference rate for XXX)`; err == nil || err.Error() != want {
		t.Errorf("XXXYYY: %v, want %q", err, want)
	}
}

func TestNewAndParseTable(t *testing.T) {
	tab, err := currency.NewTable("2024-01-02", "test", map[string]float64{"USD": 2, "JPY": 300})
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := tab.Rate(context.Background(), "USD", "JPY"); r != 150 {
		t.Errorf("USDJPY = %v, want 150", r)
	}
	for _, bad := range []map[string]float64{
		{"usd": 1}, {"US": 1}, {"USDX": 1}, {"U$D": 1}, {"USD": 0}, {"USD": -1}, {"EUR": 2},
	} {
		if _, err := currency.NewTable("", "", bad); err == nil {
			t.Errorf("NewTable(%v) accepted", bad)
		}
	}
	for _, bad := range []string{
		"", "# only a comment\n", "USD\n", "USD 1 2\n", "USD one\n", "USD NaN\n", "USD +Inf\n",
		"USD 1e999\n", "usd 1\n", strings.Repeat("x", 70000) + "\n",
	} {
		if _, err := currency.ParseTable(strings.NewReader(bad)); err == nil {
			t.Errorf("ParseTable(%.40q) accepted", bad)
		}
	}
}

// rateServer is a stand-in for a web rate service: /rate?pair=EURUSD, /json/EUR/USD and
// /obj/EUR/USD answer from the ECB table; a few pairs misbehave on purpose.
func rateServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	calls := new(atomic.Int64)
	tab := currency.ECB()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		var base, quote, style string
		if pair := r.URL.Query().Get("pair"); pair != "" {
			style, base, quote = "plain", pair[:min(3, len(pair))], pair[min(3, len(pair)):]
		} else if parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/"); len(parts) == 3 {
			style, base, quote = parts[0], parts[1], parts[2]
		}
		switch base + quote {
		case "EURERR":
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		case "EURBIG":
			fmt.Fprint(w, strings.Repeat("1", 5000))
			return
		case "EURTXT":
			fmt.Fprint(w, "about one")
			return
		case "EURNEG":
			fmt.Fprint(w, "-1.5")
			return
		case "EURNUL":
			fmt.Fprint(w, `{"price": 1}`)
			return
		}
		rate, err := tab.Rate(r.Context(), base, quote)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		switch style {
		case "plain":
			fmt.Fprintf(w, "%v\n", rate)
		case "json":
			fmt.Fprintf(w, "%v", rate)
		case "obj":
			fmt.Fprintf(w, `{"pair": %q, "rate": %v}`, base+quote, rate)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, calls
}

func TestHTTPSource(t *testing.T) {
	srv, calls := rateServer(t)
	ctx := context.Background()
	for _, tmpl := range []string{"/rate?pair={pair}", "/json/{base}/{quote}", "/obj/{base}/{quote}"} {
		src := &currency.HTTPSource{URL: srv.URL + tmpl}
		got, err := src.Rate(ctx, "USD", "JPY")
		if err != nil || got != 160.617 {
			t.Errorf("%s: USDJPY = %v, %v; want 160.617", tmpl, got, err)
		}
		if _, err := src.Rate(ctx, "EUR", "XXX"); !errors.Is(err, currency.ErrUnknownPair) {
			t.Errorf("%s: EURXXX: %v, want ErrUnknownPair (404)", tmpl, err)
		}
	}
	src := &currency.HTTPSource{URL: srv.URL + "/rate?pair={pair}"}
	for quote, want := range map[string]string{
		"ERR": "500 Internal Server Error",
		"BIG": "longer than",
		"TXT": "not a number",
		"NEG": "not a positive rate",
	} {
		_, err := src.Rate(ctx, "EUR", quote)
		if err == nil || errors.Is(err, currency.ErrUnknownPair) || !strings.Contains(err.Error(), want) {
			t.Errorf("EUR%s: %v, want an error about %q", quote, err, want)
		}
	}
	src = &currency.HTTPSource{URL: srv.URL + "/obj/{base}/{quote}"}
	if _, err := src.Rate(ctx, "EUR", "NUL"); err == nil || !strings.Contains(err.Error(), `no "rate"`) {
		t.Errorf("EURNUL: %v", err)
	}
	if calls.Load() == 0 {
		t.Error("the rate service was never asked")
	}
	dead := &currency.HTTPSource{URL: "http://127.0.0.1:1/rate?pair={pair}"}
	if _, err := dead.Rate(ctx, "EUR", "USD"); err == nil || errors.Is(err, currency.ErrUnknownPair) {
		t.Errorf("unreachable service: %v", err)
	}
	bad := &currency.HTTPSource{URL: "::not a url {pair}"}
	if _, err := bad.Rate(ctx, "EUR", "USD"); err == nil {
		t.Error("a malformed URL template was accepted")
	}
}

func TestWithLatency(t *testing.T) {
	src := currency.WithLatency(currency.ECB(), 30*time.Millisecond)
	start := time.Now()
	if r, err := src.Rate(context.Background(), "EUR", "USD"); err != nil || r != 1.0705 {
		t.Fatalf("EURUSD = %v, %v", r, err)
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Errorf("answered in %v, want at least 30ms", d)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	slow := currency.WithLatency(currency.ECB(), time.Hour)
	if _, err := slow.Rate(ctx, "EUR", "USD"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("cancelled: %v, want DeadlineExceeded", err)
	}
}
