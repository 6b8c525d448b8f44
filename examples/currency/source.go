package currency

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ErrUnknownPair is wrapped by every error about a pair no source can price: malformed
// ("EURO", ""), or naming a currency the source does not know ("XXXYYY"). The worker turns it
// into a Python builtins.ValueError.
var ErrUnknownPair = errors.New("unknown currency pair")

// ParsePair splits a six-letter pair such as "EURUSD" (any letter case) into its base and quote
// currencies, upper-cased: "EUR", "USD". The rate of a pair is the price of one base unit in
// the quote currency.
func ParsePair(pair string) (base, quote string, err error) {
	if len(pair) != 6 {
		return "", "", fmt.Errorf("%w: %s (want six letters such as EURUSD)", ErrUnknownPair, pyRepr(pair))
	}
	for i := range len(pair) {
		if c := pair[i] | 0x20; c < 'a' || c > 'z' {
			return "", "", fmt.Errorf("%w: %s (want six letters such as EURUSD)", ErrUnknownPair, pyRepr(pair))
		}
	}
	p := strings.ToUpper(pair)
	return p[:3], p[3:], nil
}

// Source prices currency pairs. Implementations must be safe for concurrent use: a worker
// calls its source from every connection at once. Rate returns an error wrapping
// ErrUnknownPair for a currency it does not know.
type Source interface {
	Rate(ctx context.Context, base, quote string) (float64, error)
}

// Table is a Source holding one day's reference rates, each currency against the euro, and
// computing every other pair through EUR. It is immutable and safe for concurrent use.
type Table struct {
	// Date is the day the rates are of ("2024-06-28").
	Date string
	// Provenance names where the rates come from.
	Provenance string
	perEUR     map[string]float64
}

//go:embed eurofxref-2024-06-28.txt
var ecbText []byte

// ECB returns the table shipped with this example: the European Central Bank's euro foreign
// exchange reference rates of 28 June 2024 (USD 1.0705, JPY 171.94, GBP 0.84638, CHF 0.9634,
// and 26 more), read from eurofxref-2024-06-28.txt, which worker.py reads too.
func ECB() *Table {
	t, err := ParseTable(bytes.NewReader(ecbText))
	if err != nil {
		panic("currency: shipped rate table is broken: " + err.Error()) // caught by the tests
	}
	return t
}

// NewTable returns a table of the given rates, in units of each currency per euro. The map is
// copied; EUR itself is implied.
func NewTable(date, provenance string, perEUR map[string]float64) (*Table, error) {
	t := &Table{Date: date, Provenance: provenance, perEUR: map[string]float64{"EUR": 1}}
	for code, r := range perEUR {
		if err := t.add(code, r); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func (t *Table) add(code string, rate float64) error {
	if len(code) != 3 || strings.ToUpper(code) != code || strings.ContainsFunc(code, func(r rune) bool { return r < 'A' || r > 'Z' }) {
		return fmt.Errorf("currency: bad currency code %q", code)
	}
	if !(rate > 0) || math.IsInf(rate, 0) {
		return fmt.Errorf("currency: bad rate %v for %s", rate, code)
	}
	if code == "EUR" && rate != 1 {
		return fmt.Errorf("currency: EUR must be 1 per EUR, not %v", rate)
	}
	t.perEUR[code] = rate
	return nil
}

// ParseTable reads a rate table in the format of eurofxref-2024-06-28.txt: lines "USD 1.0705"
// (units per euro), blank lines, and comments starting with "#", of which "# Date: <day> ..."
// and "# Source: <text>" fill Date and Provenance.
func ParseTable(r io.Reader) (*Table, error) {
	t := &Table{perEUR: map[string]float64{"EUR": 1}}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if c, ok := strings.CutPrefix(line, "#"); ok {
			c = strings.TrimSpace(c)
			if d, ok := strings.CutPrefix(c, "Date:"); ok {
				if f := strings.Fields(d); len(f) > 0 {
					t.Date = f[0]
				}
			} else if s, ok := strings.CutPrefix(c, "Source:"); ok {
				t.Provenance = strings.TrimSpace(s)
			}
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			return nil, fmt.Errorf("currency: rate table line %d: want \"CODE RATE\", got %q", n, line)
		}
		rate, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			return nil, fmt.Errorf("currency: rate table line %d: %w", n, err)
		}
		if err := t.add(f[0], rate); err != nil {
			return nil, fmt.Errorf("currency: rate table line %d: %w", n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("currency: rate table: %w", err)
	}
	if len(t.perEUR) < 2 {
		return nil, errors.New("currency: rate table has no rates")
	}
	return t, nil
}

// Currencies lists the currency codes the table knows, EUR included, sorted.
func (t *Table) Currencies() []string {
	codes := make([]string, 0, len(t.perEUR))
	for c := range t.perEUR {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	return codes
}

// Rate returns the price of one base unit in quote. A rate against EUR is the table's own;
// any other is a cross rate through EUR, rounded to 6 significant digits (the reference rates
// themselves have 5 or 6), exactly as worker.py rounds it.
func (t *Table) Rate(_ context.Context, base, quote string) (float64, error) {
	b, ok := t.perEUR[base]
	if !ok {
		return 0, fmt.Errorf("%w: %s (no reference rate for %s)", ErrUnknownPair, pyRepr(base+quote), base)
	}
	q, ok := t.perEUR[quote]
	if !ok {
		return 0, fmt.Errorf("%w: %s (no reference rate for %s)", ErrUnknownPair, pyRepr(base+quote), quote)
	}
	if base == "EUR" {
		return q, nil
	}
	return round6(q / b), nil
}

func round6(x float64) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'g', 6, 64), 64)
	return r
}

// HTTPSource asks a web service for each rate. URL is a template in which {pair}, {base} and
// {quote} are replaced by the (upper-case, URL-escaped) pair and its currencies, for example
// "http://rates.example/rate?pair={pair}" or "http://rates.example/{base}/{quote}".
//
// The service answers 200 with the rate as a bare number ("1.0705") or as JSON (1.0705 or
// {"rate": 1.0705}); 404 means it does not know the pair. Anything else is an error.
type HTTPSource struct {
	URL string
	// Client makes the requests; nil means a client with a 10-second timeout.
	Client *http.Client
}

// maxRateBody bounds how much of a rate service's answer is read.
const maxRateBody = 4096

// Rate implements Source.
func (h *HTTPSource) Rate(ctx context.Context, base, quote string) (float64, error) {
	u := strings.NewReplacer(
		"{pair}", url.PathEscape(base+quote),
		"{base}", url.PathEscape(base),
		"{quote}", url.PathEscape(quote),
	).Replace(h.URL)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, fmt.Errorf("currency: rate service URL: %w", err)
	}
	req.Header.Set("Accept", "application/json, text/plain")
	client := h.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("currency: rate service: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxRateBody+1))
	if err != nil {
		return 0, fmt.Errorf("currency: rate service %s: %w", u, err)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return 0, fmt.Errorf("%w: %s (the rate service does not know it)", ErrUnknownPair, pyRepr(base+quote))
	case resp.StatusCode != http.StatusOK:
		return 0, fmt.Errorf("currency: rate service %s answered %s", u, resp.Status)
	case len(body) > maxRateBody:
		return 0, fmt.Errorf("currency: rate service %s: answer longer than %d bytes", u, maxRateBody)
	}
	rate, err := parseRate(body)
	if err != nil {
		return 0, fmt.Errorf("currency: rate service %s: %w", u, err)
	}
	return rate, nil
}

// parseRate reads a bare number, a JSON number or a JSON object with a "rate" member.
func parseRate(body []byte) (float64, error) {
	body = bytes.TrimSpace(body)
	var rate float64
	if len(body) > 0 && body[0] == '{' {
		var obj struct {
			Rate *float64 `json:"rate"`
		}
		if err := json.Unmarshal(body, &obj); err != nil {
			return 0, fmt.Errorf("bad JSON answer: %w", err)
		}
		if obj.Rate == nil {
			return 0, errors.New(`JSON answer has no "rate"`)
		}
		rate = *obj.Rate
	} else {
		r, err := strconv.ParseFloat(string(body), 64)
		if err != nil {
			return 0, fmt.Errorf("answer is not a number: %q", truncate(string(body), 40))
		}
		rate = r
	}
	if !(rate > 0) || math.IsInf(rate, 0) {
		return 0, fmt.Errorf("answer is not a positive rate: %v", rate)
	}
	return rate, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// WithLatency wraps a source so that every rate takes at least d, as a rate looked up
// elsewhere would. The demo uses it to make the gain of fan-out visible on one machine.
func WithLatency(src Source, d time.Duration) Source {
	return latency{src, d}
}

type latency struct {
	src Source
	d   time.Duration
}

func (l latency) Rate(ctx context.Context, base, quote string) (float64, error) {
	t := time.NewTimer(l.d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	return l.src.Rate(ctx, base, quote)
}
