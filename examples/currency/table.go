package currency

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/pyval"
)

// FormatRate writes a rate the way Python prints a float, so that Go and Python masters print
// the same text.
func FormatRate(r float64) string { return pyval.Repr(r) }

// FormatError shortens a result's error for a table: "ValueError: unknown currency pair: ..."
// for a remote exception, the error text otherwise.
func FormatError(err error) string {
	var re *pyro.RemoteError
	if errors.As(err, &re) {
		return re.ShortClass() + ": " + re.Message()
	}
	return err.Error()
}

// WriteTable prints the report as a table, one row per pair with its rate and the worker that
// answered in each pass, then the workers and the time of both passes:
//
//	PAIR    RATE     SEQUENTIAL  FAN-OUT
//	EURUSD  1.0705   MyWorker    MyWorker.2
//	XXXYYY  error    MyWorker    MyWorker    ValueError: unknown currency pair: "XXXYYY" (...)
//
//	workers:    MyWorker, MyWorker.2
//	sequential: 2 pairs in 104ms (1 call at a time)
//	fan-out:    2 pairs in 52ms (16 goroutines), 2.0x faster
func (r *Report) WriteTable(w io.Writer) error {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PAIR\tRATE\tSEQUENTIAL\tFAN-OUT\t")
	for i, s := range r.Sequential.Results {
		var f Result
		if i < len(r.FanOut.Results) {
			f = r.FanOut.Results[i]
		}
		rate, note := FormatRate(s.Rate), ""
		switch {
		case s.Err != nil:
			rate, note = "error", FormatError(s.Err)
		case f.Err != nil:
			note = "fan-out: " + FormatError(f.Err)
		case f.Rate != s.Rate:
			note = "fan-out rate: " + FormatRate(f.Rate)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", printable(s.Pair), rate, who(s), who(f), note)
	}
	fmt.Fprintln(tw)
	tw.Flush()
	for line := range strings.Lines(buf.String()) {
		if _, err := io.WriteString(w, strings.TrimRight(line, " \n")+"\n"); err != nil {
			return err
		}
	}
	names := make([]string, len(r.Workers))
	for i, ep := range r.Workers {
		names[i] = ep.Name
	}
	_, err := fmt.Fprintf(w, "workers:    %s\n%s\n%s\n",
		strings.Join(names, ", "), r.Sequential.summary(), r.FanOut.summary(r.Sequential.Elapsed))
	return err
}

// who names the worker that answered, marking a pair asked again after its worker went away.
func who(r Result) string {
	if r.Tries > 1 {
		return r.Worker + " (retried)"
	}
	return r.Worker
}

// printable keeps a hostile pair from breaking the table.
func printable(s string) string {
	q := pyRepr(s)
	if q[1:len(q)-1] == s && s != "" && !strings.ContainsAny(s, " \t") {
		return s
	}
	return q
}

// summary is the run's timing line; against, if given, is a slower run to compare with.
func (r Run) summary(against ...time.Duration) string {
	s := fmt.Sprintf("%-11s %d pairs in %s", r.Mode+":", len(r.Results), r.Elapsed.Round(100*time.Microsecond))
	if r.Goroutines == 1 {
		s += " (1 call at a time)"
	} else {
		s += fmt.Sprintf(" (%d goroutines)", r.Goroutines)
	}
	if n := r.Failed(); n > 0 {
		s += fmt.Sprintf(", %d failed", n)
	}
	if r.Retries > 0 {
		s += fmt.Sprintf(", %d retried on another worker", r.Retries)
	}
	if len(against) > 0 && r.Elapsed > 0 && against[0] > 0 {
		if x := float64(against[0]) / float64(r.Elapsed); x >= 1 {
			s += fmt.Sprintf(", %.1fx faster", x)
		} else {
			s += fmt.Sprintf(", %.1fx slower", 1/x)
		}
	}
	return s
}
