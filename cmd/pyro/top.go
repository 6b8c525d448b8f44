package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

func runTop(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flagSet("top", "[flags] ADDR|URL\n\nShows the metrics of a daemon or name server started with --metrics ADDR, refreshed every interval.", stderr)
	interval := fs.Duration("interval", time.Second, "refresh period")
	once := fs.Bool("once", false, "print one view and exit (no screen clearing)")
	if code := parse(fs, args); code >= 0 {
		return code
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	url := fs.Arg(0)
	if !strings.Contains(url, "://") {
		url = "http://" + url
	}
	if !strings.HasSuffix(url, "/metrics") {
		url = strings.TrimSuffix(url, "/") + "/metrics"
	}
	var prev *topSnapshot
	for {
		snap, err := scrape(ctx, url)
		if err != nil {
			if ctx.Err() != nil {
				return 0
			}
			fmt.Fprintln(stderr, "error:", err)
			if *once {
				return 1
			}
		} else {
			if !*once {
				fmt.Fprint(stdout, "\033[H\033[2J") // home and clear: redraw in place
			}
			snap.render(stdout, url, prev)
			prev = snap
		}
		if *once {
			return 0
		}
		select {
		case <-ctx.Done():
			return 0
		case <-time.After(*interval):
		}
	}
}

// topSnapshot is one scrape.
type topSnapshot struct {
	at       time.Time
	families map[string]*dto.MetricFamily
}

func scrape(ctx context.Context, url string) (*topSnapshot, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/plain")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape %s: %s", url, resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", url, err)
	}
	return &topSnapshot{at: time.Now(), families: fams}, nil
}

// sum adds the values of name's series whose labels match (pairs of name, value).
func (s *topSnapshot) sum(name string, match ...string) float64 {
	if s == nil {
		return 0
	}
	f := s.families[name]
	if f == nil {
		return 0
	}
	var total float64
	for _, m := range f.GetMetric() {
		if labelsMatch(m, match) {
			total += metricValue(m)
		}
	}
	return total
}

func labelsMatch(m *dto.Metric, match []string) bool {
	for i := 0; i+1 < len(match); i += 2 {
		if label(m, match[i]) != match[i+1] {
			return false
		}
	}
	return true
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

func metricValue(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	}
	return 0
}

// keys returns the distinct values of the labels named by group among name's series.
func (s *topSnapshot) keys(name string, group ...string) [][]string {
	seen := map[string][]string{}
	for _, m := range s.families[name].GetMetric() {
		var k []string
		for _, g := range group {
			k = append(k, label(m, g))
		}
		seen[strings.Join(k, "\x00")] = k
	}
	out := make([][]string, 0, len(seen))
	for _, k := range seen {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return strings.Join(out[i], "\x00") < strings.Join(out[j], "\x00") })
	return out
}

func (s *topSnapshot) render(w io.Writer, url string, prev *topSnapshot) {
	fmt.Fprintf(w, "pyro top  %s  %s\n\n", url, s.at.Format("15:04:05"))
	fmt.Fprintf(w, "connections: %g open, %g accepted, %g refused, %g failed handshakes;  item streams open: %g\n",
		s.sum("pyro_server_connections_open"), s.sum("pyro_server_connections_accepted_total"),
		s.sum("pyro_server_connections_refused_total"), s.sum("pyro_server_handshake_failures_total"),
		s.sum("pyro_server_streams_open"))
	if _, ok := s.families["pyro_nameserver_entries"]; ok {
		fmt.Fprintf(w, "name server: %g entries\n", s.sum("pyro_nameserver_entries"))
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "OBJECT\tMETHOD\tCALLS\tCALLS/S\tERRORS\tMEAN MS\tBYTES IN\tBYTES OUT\t")
	for _, k := range s.keys("pyro_server_calls_total", "object", "method") {
		m := []string{"object", k[0], "method", k[1]}
		calls := s.sum("pyro_server_calls_total", m...)
		rate := "-"
		if prev != nil {
			if dt := s.at.Sub(prev.at).Seconds(); dt > 0 {
				rate = fmt.Sprintf("%.1f", (calls-prev.sum("pyro_server_calls_total", m...))/dt)
			}
		}
		mean := "-"
		if n, sum := s.histogram("pyro_server_call_duration_seconds", m...); n > 0 {
			mean = fmt.Sprintf("%.3f", sum/n*1000)
		}
		fmt.Fprintf(tw, "%s\t%s\t%g\t%s\t%g\t%s\t%g\t%g\t\n", k[0], k[1], calls, rate,
			s.sum("pyro_server_calls_total", append(m, "outcome", "error")...), mean,
			s.sum("pyro_server_received_bytes_total", m...), s.sum("pyro_server_sent_bytes_total", m...))
	}
	tw.Flush()
	if errs := s.keys("pyro_server_call_errors_total", "object", "method", "class"); len(errs) > 0 {
		fmt.Fprintln(w, "\nerrors by exception class:")
		for _, k := range errs {
			fmt.Fprintf(w, "  %s.%s  %s  %g\n", k[0], k[1], k[2],
				s.sum("pyro_server_call_errors_total", "object", k[0], "method", k[1], "class", k[2]))
		}
	}
	if ops := s.keys("pyro_nameserver_operations_total", "op"); len(ops) > 0 {
		fmt.Fprintln(w, "\nname server storage:")
		for _, k := range ops {
			n, sum := s.histogram("pyro_nameserver_storage_duration_seconds", "op", k[0])
			mean := 0.0
			if n > 0 {
				mean = sum / n * 1000
			}
			fmt.Fprintf(w, "  %-16s %g ops, %.3f ms mean\n", k[0], s.sum("pyro_nameserver_operations_total", "op", k[0]), mean)
		}
	}
}

// histogram returns the sample count and sum of name's matching series.
func (s *topSnapshot) histogram(name string, match ...string) (n, sum float64) {
	for _, m := range s.families[name].GetMetric() {
		if h := m.GetHistogram(); h != nil && labelsMatch(m, match) {
			n += float64(h.GetSampleCount())
			sum += h.GetSampleSum()
		}
	}
	return n, sum
}
