package benchkit

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Command is the pyro bench subcommand: it parses args, runs the suite and prints the table.
// It returns the exit status: 0, 1 for a failed run, 2 for a usage error. It lives here rather
// than in cmd/pyro so that the shipped command need not link the harness (cmd/pyro adds it only
// with -tags pyrobench) while its tests still run in the default go test ./....
func Command(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("pyro bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: pyro bench [flags]\n\n"+
			"Measures calls per second on loopback: a Go proxy calling echo(\"hello\") on a Go daemon\n"+
			"(or on --target), beside a raw TCP ping-pong of the same frame sizes and net/rpc, and with\n"+
			"--python, Python Pyro4 clients against that daemon and against a Python daemon; batches of\n"+
			"echo calls beside net/rpc with as many calls in flight; and bytes payloads (--payloads) as\n"+
			"results and arguments with msgpack, marshal and serpent, beside a raw TCP ping-pong carrying\n"+
			"the same bytes (with --python, also Go and Python Pyro4 clients of a Python daemon); with\n"+
			"--observe, the Go rows with metrics and with tracing on, compared with the Go row. Rows\n"+
			"are run in interleaved rounds so that changes in machine load hit them alike.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	var (
		ser, callersList, target string
		duration                 time.Duration
		calls, rounds            int
		python, verbose, observe bool
		payloads                 string
		batch                    int
	)
	// Short and long names for one variable, as cmd/pyro's other commands have them.
	str := func(p *string, short, long, value, usage string) {
		fs.StringVar(p, long, value, usage)
		if short != "" {
			fs.StringVar(p, short, value, "short for --"+long)
		}
	}
	str(&ser, "s", "serializer", "serpent", "serializer: serpent, json, marshal or msgpack")
	str(&callersList, "c", "callers", "1,16", "comma-separated numbers of concurrent callers (sharing one proxy)")
	fs.DurationVar(&duration, "duration", 3*time.Second, "measuring time per row, split across the rounds")
	fs.IntVar(&calls, "calls", 0, "calls per row instead of --duration")
	fs.IntVar(&calls, "n", 0, "short for --calls")
	fs.IntVar(&rounds, "rounds", 10, "interleaved rounds (the table shows medians)")
	fs.IntVar(&rounds, "r", 10, "short for --rounds")
	str(&target, "t", "target", "", "URI of a daemon serving echo(str) to call instead of an in-process Go daemon")
	str(&payloads, "", "payloads", "1KB,64KB,1MB,16MB", "sizes of the bytes payload rows (results and arguments; \"none\" for none)")
	fs.IntVar(&batch, "batch", 100, "echo calls per batch in the batch rows (0: no batch rows)")
	fs.BoolVar(&python, "python", false, "also measure Python Pyro4 clients (needs /usr/bin/python3 with Pyro4)")
	fs.BoolVar(&observe, "observe", false, "also measure the Go rows with Prometheus metrics and with tracing (100% sampled) on both ends")
	fs.BoolVar(&verbose, "verbose", false, "report progress on stderr")
	fs.BoolVar(&verbose, "v", false, "short for --verbose")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	callers, err := parseCallers(callersList)
	if err != nil || duration <= 0 || calls < 0 || rounds < 1 {
		if err == nil {
			err = fmt.Errorf("--duration, --calls and --rounds must be positive")
		}
		fmt.Fprintln(stderr, "error:", err)
		return 2
	}
	sizes, perr := parseSizes(payloads)
	if perr != nil {
		fmt.Fprintln(stderr, "error:", perr)
		return 2
	}
	if batch == 0 {
		batch = -1
	}
	if python {
		if err := CheckPython(); err != nil {
			fmt.Fprintln(stderr, "error:", err)
			return 1
		}
	}
	opts := Options{Serializer: ser, Callers: callers, Duration: duration, Calls: int64(calls),
		Rounds: rounds, Target: target, Python: python, Payloads: sizes, NoPayloads: len(sizes) == 0, Batch: batch,
		Observe: observe}
	if verbose {
		opts.Progress = stderr
	}
	rep, err := Run(ctx, opts)
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	if err := rep.WriteTable(stdout); err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	return 0
}

// parseSizes reads "1KB,64KB,1MB,16MB" (or "none").
func parseSizes(s string) ([]int, error) {
	if s == "none" || s == "" {
		return nil, nil
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.ToUpper(strings.TrimSpace(f))
		mult := 1
		if num, ok := strings.CutSuffix(f, "MB"); ok {
			f, mult = num, 1<<20
		} else if num, ok := strings.CutSuffix(f, "KB"); ok {
			f, mult = num, 1<<10
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("--payloads: %q is not a size like 64KB", f)
		}
		out = append(out, n*mult)
	}
	return out, nil
}

// parseCallers reads "1,16".
func parseCallers(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("--callers: %q is not a positive number", f)
		}
		out = append(out, n)
	}
	return out, nil
}
