package benchkit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Options configure a benchmark suite. The zero value runs serpent with 1 and 16 callers, 10
// rounds making 3 seconds per row, against an in-process Go daemon, without Python.
type Options struct {
	// Serializer is the Pyro codec ("serpent" by default).
	Serializer string
	// Callers lists the numbers of concurrent callers to measure (1 and 16 by default).
	Callers []int
	// Duration is each row's measuring time, split across the rounds (3s by default).
	// Calls, when positive, instead fixes each row's call count.
	Duration time.Duration
	Calls    int64
	// Rounds interleaves the rows: each round runs every row for a share of the time, so a
	// change of machine load affects neighbouring rows alike (10 by default).
	Rounds int
	// Target is the URI of a daemon serving echo(str) to measure the Go proxy against,
	// instead of an in-process Go daemon.
	Target string
	// Python adds Python rows: Pyro4's client against the Go daemon (or Target) and against
	// a Pyro4 daemon, and, without Target, Pyro5's client against the Go daemon and against a
	// Pyro5 daemon (our daemon serves both protocols).
	Python bool
	// Payloads lists the sizes of the bytes payload rows (bytes results and arguments,
	// PayloadSerializers, beside a raw TCP ping-pong of the same sizes); nil means
	// DefaultPayloads, and NoPayloads none.
	Payloads []int
	// NoPayloads leaves the payload rows out.
	NoPayloads bool
	// Batch is the number of echo calls in a batch row (100 by default; negative: no batch
	// rows).
	Batch int
	// Observe adds the echo rows with both ends observed, by Prometheus metrics and by
	// OpenTelemetry tracing sampled at 100%, and with metrics on the daemon only, each
	// compared with the unobserved Go row in the same round (not with a Target).
	Observe bool
	// Progress, when set, receives a line as each row's setup begins.
	Progress io.Writer
}

// DefaultPayloads are the payload sizes measured by default: 1 KB, 64 KB, 1 MB, 16 MB.
var DefaultPayloads = []int{1 << 10, 64 << 10, 1 << 20, 16 << 20}

// PayloadSerializers are the codecs of the payload rows (json cannot carry bytes).
var PayloadSerializers = []string{"msgpack", "marshal", "serpent"}

func (o *Options) defaults() error {
	if o.Serializer == "" {
		o.Serializer = "serpent"
	}
	if len(o.Callers) == 0 {
		o.Callers = []int{1, 16}
	}
	for _, n := range o.Callers {
		if n < 1 {
			return fmt.Errorf("benchkit: callers must be at least 1, got %d", n)
		}
	}
	if o.Duration <= 0 && o.Calls <= 0 {
		o.Duration = 3 * time.Second
	}
	if o.Rounds <= 0 {
		o.Rounds = 10
	}
	if o.Payloads == nil && !o.NoPayloads {
		o.Payloads = DefaultPayloads
	}
	if o.NoPayloads {
		o.Payloads = nil
	}
	if o.Batch == 0 {
		o.Batch = 100
	}
	return nil
}

// Row names of a Report.
const (
	RowRaw      = "raw TCP ping-pong"
	RowGoGo     = "Go proxy → Go daemon"
	RowGoTarget = "Go proxy → target"
	RowNetRPC   = "net/rpc (gob, 1 conn)"
	RowPyGo     = "Python Pyro4 → Go daemon"
	RowPyTarget = "Python Pyro4 → target"
	RowPyPy     = "Python Pyro4 → Python daemon"
	RowPy5Go    = "Python Pyro5 → Go daemon"
	RowPy5Py5   = "Python Pyro5 → Python daemon"
	// Beyond pyroThreads callers, with Python: Pyro4's multiplexed daemon, which takes them
	// all, from the Python client and from the Go proxy (whose pool opens at most 32).
	RowPyPyMux = "Python Pyro4 → Python daemon (multiplex)"
	RowGoPyMux = "Go proxy → Python daemon (multiplex)"
)

// pyroThreads is the size of a Pyro4 threaded daemon's pool (THREADPOOL_SIZE): it refuses
// connections beyond.
const pyroThreads = 40

// Row is one measured line of the table.
type Row struct {
	Name    string
	Callers int
	Total   Sample
	Rounds  []Sample
	// GoAllocs says whether Total.Mallocs counts this row's work: false when neither end of
	// the call runs in this process.
	GoAllocs bool
	// CPUComplete says whether Total.CPU covers both ends of the call: false when one end is
	// a Target outside this machine's view.
	CPUComplete bool
	// Base names the row this one's "× raw" compares with (same Callers); empty: RowRaw.
	Base string
	// Bytes is the payload each call moves (payload rows), for the MB/s column.
	Bytes int
	// Refused, when set, says why the row could not run: a Python daemon refused the
	// connections of that many callers (its thread pool is smaller).
	Refused string
}

// Rate is the median of the rounds' call rates.
func (r Row) Rate() float64 {
	rates := make([]float64, len(r.Rounds))
	for i, s := range r.Rounds {
		rates[i] = s.Rate()
	}
	return median(rates)
}

// RatioTo is the median over rounds of this row's rate over base's in the same round: rounds
// run rows back to back, so a pair shares the machine's load of the moment.
func (r Row) RatioTo(base Row) float64 {
	var ratios []float64
	for i, s := range r.Rounds {
		if i < len(base.Rounds) && base.Rounds[i].Rate() > 0 {
			ratios = append(ratios, s.Rate()/base.Rounds[i].Rate())
		}
	}
	return median(ratios)
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	xs = slices.Clone(xs)
	slices.Sort(xs)
	if n := len(xs); n%2 == 0 {
		return (xs[n/2-1] + xs[n/2]) / 2
	}
	return xs[len(xs)/2]
}

// Report is the outcome of a suite.
type Report struct {
	Options Options
	Sizes   Sizes
	// Load is /proc/loadavg when the run started (empty where unavailable), and CPUs the
	// processor count: figures from a loaded machine are lower and noisier.
	Load string
	CPUs int
	Rows []Row
}

// Find returns the row of that name and caller count.
func (r *Report) Find(name string, callers int) (Row, bool) {
	for _, row := range r.Rows {
		if row.Name == name && row.Callers == callers {
			return row, true
		}
	}
	return Row{}, false
}

// target is a prepared row.
type target struct {
	name     string
	base     string
	bytes    int
	perCall  int64 // calls one invocation makes (a batch's size); 0 means 1
	warm     int64 // warm-up invocations; 0 means 20 per caller
	refused  string
	callers  int
	goAllocs bool
	cpuAll   bool
	pids     []int // other processes whose CPU time the row uses
	run      func(ctx context.Context, calls int64, d time.Duration) (Sample, error)
	closers  []func() error
}

// Run measures the rows the options ask for and returns them in table order.
func Run(ctx context.Context, opts Options) (*Report, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	rep := &Report{Options: opts, CPUs: runtime.NumCPU()}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		rep.Load = strings.TrimSpace(string(b))
	}
	progress := func(format string, args ...any) {
		if opts.Progress != nil {
			fmt.Fprintf(opts.Progress, format+"\n", args...)
		}
	}
	var cleanup []func() error
	defer func() {
		for _, f := range slices.Backward(cleanup) {
			f()
		}
	}()

	targetURI, goName, pyName := opts.Target, RowGoTarget, RowPyTarget
	payloadURI := "" // the in-process daemon's Payload object; no payload rows against a Target
	if targetURI == "" {
		g, err := StartGoDaemon()
		if err != nil {
			return nil, err
		}
		cleanup = append(cleanup, g.Close)
		targetURI, goName, pyName = g.URI.String(), RowGoGo, RowPyGo
		payloadURI = g.PayloadURI.String()
	}
	var err error
	if rep.Sizes, err = MeasureSizes(ctx, targetURI, opts.Serializer); err != nil {
		return nil, fmt.Errorf("benchkit: measuring frame sizes: %w", err)
	}
	progress("frame sizes of echo(%q) with %s: request %d bytes, response %d bytes", Message, opts.Serializer, rep.Sizes.Request, rep.Sizes.Response)
	raw, err := StartRawServer(rep.Sizes)
	if err != nil {
		return nil, err
	}
	cleanup = append(cleanup, raw.Close)
	rpcSrv, err := StartNetRPC()
	if err != nil {
		return nil, err
	}
	cleanup = append(cleanup, rpcSrv.Close)
	var pyDaemon, py5Daemon, muxDaemon *PythonDaemon
	withPyro5 := opts.Python && opts.Target == ""
	if opts.Python {
		progress("starting a Python Pyro4 daemon")
		if pyDaemon, err = StartPythonDaemon(ctx); err != nil {
			return nil, err
		}
		cleanup = append(cleanup, pyDaemon.Close)
		if slices.Max(opts.Callers) > pyroThreads {
			progress("starting a Python Pyro4 daemon with the multiplexed server")
			if muxDaemon, err = StartPythonMultiplexDaemon(ctx); err != nil {
				return nil, err
			}
			cleanup = append(cleanup, muxDaemon.Close)
		}
	}
	if withPyro5 {
		progress("starting a Python Pyro5 daemon")
		if py5Daemon, err = StartPyro5Daemon(ctx); err != nil {
			return nil, err
		}
		cleanup = append(cleanup, py5Daemon.Close)
	}

	var targets []*target
	defer func() {
		for _, t := range targets {
			for _, c := range slices.Backward(t.closers) {
				c()
			}
		}
	}()
	goTarget := func(name string, n int, setup func() (Caller, func() error, error), shared bool) error {
		t := &target{name: name, callers: n, goAllocs: true, cpuAll: name != RowGoTarget}
		targets = append(targets, t)
		callers := make([]Caller, n)
		for i := range callers {
			if shared && i > 0 {
				callers[i] = callers[0]
				continue
			}
			c, closer, err := setup()
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			callers[i] = c
			t.closers = append(t.closers, closer)
		}
		t.run = func(ctx context.Context, calls int64, d time.Duration) (Sample, error) {
			return RunCallers(ctx, callers, calls, d)
		}
		return nil
	}
	pyTarget := func(name, uri string, n int, goAllocs bool, pids ...int) error {
		start, which := StartPythonClient, "Pyro4"
		if name == RowPy5Go || name == RowPy5Py5 {
			start, which = StartPyro5Client, "Pyro5"
		}
		progress("starting a Python %s client with %d caller(s) for %s", which, n, name)
		c, err := start(ctx, uri, opts.Serializer, n)
		if refused, ok := errors.AsType[*RefusedError](err); ok {
			progress("%s, %d callers: refused (%s)", name, n, refused.Reason)
			targets = append(targets, &target{name: name, callers: n, refused: refused.Reason})
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		targets = append(targets, &target{name: name, callers: n, goAllocs: goAllocs, cpuAll: goAllocs || len(pids) > 0,
			pids: append(pids, c.PID()), run: c.Run, closers: []func() error{c.Close}})
		return nil
	}
	for _, n := range opts.Callers {
		err := goTarget(RowRaw, n, func() (Caller, func() error, error) {
			return DialRaw(ctx, raw.Addr(), rep.Sizes)
		}, false)
		if err == nil {
			err = goTarget(goName, n, func() (Caller, func() error, error) {
				p, err := NewProxy(ctx, targetURI, opts.Serializer)
				if err != nil {
					return nil, nil, err
				}
				return ProxyCaller(p), p.Close, nil
			}, true)
		}
		if err == nil {
			err = goTarget(RowNetRPC, n, func() (Caller, func() error, error) {
				c, err := DialNetRPC(ctx, rpcSrv.Addr())
				if err != nil {
					return nil, nil, err
				}
				return NetRPCCaller(c), c.Close, nil
			}, true)
		}
		if err == nil && opts.Python {
			err = pyTarget(pyName, targetURI, n, opts.Target == "")
			if err == nil {
				err = pyTarget(RowPyPy, pyDaemon.URI, n, false, pyDaemon.PID())
			}
			if err == nil && n > pyroThreads {
				err = pyTarget(RowPyPyMux, muxDaemon.URI, n, false, muxDaemon.PID())
			}
			if err == nil && n > pyroThreads {
				err = goTarget(RowGoPyMux, n, func() (Caller, func() error, error) {
					p, err := NewProxy(ctx, muxDaemon.URI, opts.Serializer)
					if err != nil {
						return nil, nil, err
					}
					return ProxyCaller(p), p.Close, nil
				}, true)
				t := targets[len(targets)-1]
				t.pids, t.goAllocs = []int{muxDaemon.PID()}, false // the daemon's CPU counts; its allocations are Python's
			}
		}
		if err == nil && withPyro5 {
			err = pyTarget(RowPy5Go, targetURI, n, true)
			if err == nil {
				err = pyTarget(RowPy5Py5, py5Daemon.URI, n, false, py5Daemon.PID())
			}
		}
		if err != nil {
			return nil, err
		}
	}
	if opts.Observe && opts.Target == "" {
		closers, err := addObservedTargets(ctx, &targets, opts, progress)
		cleanup = append(cleanup, closers...)
		if err != nil {
			return nil, err
		}
	}
	if err := addBatchTargets(ctx, &targets, opts, targetURI, rpcSrv, progress); err != nil {
		return nil, err
	}
	if err := addPayloadTargets(ctx, &targets, opts, payloadURI, pyDaemon, progress); err != nil {
		return nil, err
	}

	// Warm up (connections, pools, the Python interpreter) before timing anything.
	for _, t := range targets {
		if t.refused != "" {
			continue
		}
		warm := t.warm
		if warm == 0 {
			warm = int64(t.callers) * 20
		}
		if _, err := t.run(ctx, warm, 0); err != nil {
			return nil, fmt.Errorf("%s, %d callers: %w", t.name, t.callers, err)
		}
	}
	rows := make([]Row, len(targets))
	for i, t := range targets {
		rows[i] = Row{Name: t.name, Callers: t.callers, GoAllocs: t.goAllocs, CPUComplete: t.cpuAll,
			Base: t.base, Bytes: t.bytes, Refused: t.refused}
	}
	sliceCalls := opts.Calls / int64(opts.Rounds)
	if opts.Calls > 0 && sliceCalls == 0 {
		sliceCalls = 1
	}
	sliceTime := opts.Duration / time.Duration(opts.Rounds)
	for round := range opts.Rounds {
		progress("round %d of %d", round+1, opts.Rounds)
		for i, t := range targets {
			if t.refused != "" {
				continue
			}
			s, err := Measure(t.pids, func() (Sample, error) { return t.run(ctx, sliceCalls, sliceTime) })
			if err != nil {
				return nil, fmt.Errorf("%s, %d callers: %w", t.name, t.callers, err)
			}
			if t.perCall > 0 {
				s.Calls *= t.perCall // a batch row counts the calls in its batches
			}
			rows[i].Rounds = append(rows[i].Rounds, s)
			rows[i].Total = rows[i].Total.Add(s)
		}
	}
	rep.Rows = rows
	return rep, nil
}

// WriteTable prints the report: the median of the rounds' call rates and their spread, the
// median ratio to the raw TCP ping-pong with as many callers in the same round, CPU time per
// call (both ends, all processes), the raw ping-pong's CPU time per call over this row's, and
// heap allocations per call.
func (r *Report) WriteTable(w io.Writer) error {
	o := r.Options
	fmt.Fprintf(w, "echo(%q) with %s: request frame %d bytes, response frame %d bytes; %d CPUs, load %s\n",
		Message, o.Serializer, r.Sizes.Request, r.Sizes.Response, r.CPUs, orDash(r.Load))
	fmt.Fprintf(w, "medians of %d interleaved rounds\n\n", o.Rounds)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\tcallers\tcalls/s\tMB/s\tspread\t× raw\tp50 µs\tp99 µs\tCPU µs/call\t× raw CPU\tallocs/call")
	for _, row := range r.Rows {
		if row.Refused != "" {
			fmt.Fprintf(tw, "%s\t%d\trefused\t-\t-\t-\t-\t-\t-\t-\t-\n", row.Name, row.Callers)
			continue
		}
		base := row.Base
		if base == "" {
			base = RowRaw
		}
		raw, hasRaw := r.Find(base, row.Callers)
		ratio, cpu, cpuRatio, allocs, mbs := "-", "-", "-", "-", "-"
		if row.Bytes > 0 {
			mbs = fmt.Sprintf("%.0f", row.Rate()*float64(row.Bytes)/1e6)
		}
		if hasRaw {
			ratio = fmt.Sprintf("%.2f", row.RatioTo(raw))
		}
		if row.CPUComplete && row.Total.CPUKnown && row.Total.CPU > 0 {
			per := row.Total.CPUPerCall()
			cpu = fmt.Sprintf("%.1f", float64(per)/1e3)
			if hasRaw && raw.Total.CPUKnown && per > 0 {
				cpuRatio = fmt.Sprintf("%.2f", float64(raw.Total.CPUPerCall())/float64(per))
			}
		}
		if row.GoAllocs {
			allocs = fmt.Sprintf("%.1f", row.Total.AllocsPerCall())
		}
		p50, p99 := latencyMicros(row.Total.Latency, 0.50), latencyMicros(row.Total.Latency, 0.99)
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", row.Name, row.Callers, row.Rate(), mbs, spread(row.Rounds), ratio, p50, p99, cpu, cpuRatio, allocs)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	note := "\nspread: interquartile range of the rounds' rates over their median. × raw: the rate over\n" +
		"the raw TCP ping-pong's of the same frame sizes and callers (payload rows: the raw row of\n" +
		"their size and direction; batch rows: calls/s over the raw ping-pong's round trips/s;\n" +
		"observed rows (--observe): over the unobserved Go row's, so 0.95 costs 5%).\n" +
		"MB/s: payload bytes moved per second. refused: a Python daemon (40 threads) refused that\n" +
		"many connections. p50, p99: latency of a call (of a whole batch in batch rows) over all\n" +
		"rounds, within 6%; \"-\" where the row cannot see them (Python payload rows). × raw CPU: the raw\n" +
		"ping-pong's CPU time per call over the row's (1.00 = as cheap). allocs/call counts both ends\n" +
		"when both run in this process"
	if o.Python {
		note += "; Python rows count only the Go daemon's"
	}
	_, err := fmt.Fprintln(w, note+".")
	return err
}

// spread is the interquartile range of the rounds' rates as a percentage of their median.
func spread(rounds []Sample) string {
	if len(rounds) < 4 {
		return "-"
	}
	rates := make([]float64, len(rounds))
	for i, s := range rounds {
		rates[i] = s.Rate()
	}
	slices.Sort(rates)
	n := len(rates)
	med := median(rates)
	if med == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f%%", 100*(rates[(3*n)/4]-rates[n/4])/med)
}

// latencyMicros formats a quantile of l in microseconds, or "-" when l is empty.
func latencyMicros(l *Latency, q float64) string {
	if l.Count() == 0 {
		return "-"
	}
	us := float64(l.Quantile(q)) / 1e3
	if us < 10 {
		return fmt.Sprintf("%.1f", us)
	}
	return fmt.Sprintf("%.0f", us)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
