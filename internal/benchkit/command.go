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
			"Measures small calls per second on loopback: a Go proxy calling echo(\"hello\") on a Go daemon\n"+
			"(or on --target), beside a raw TCP ping-pong of the same frame sizes and net/rpc, and with\n"+
			"--python, Python Pyro4 clients against that daemon and against a Python daemon. Rows are run\n"+
			"in interleaved rounds so that changes in machine load hit them alike.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	var (
		ser, callersList, target string
		duration                 time.Duration
		calls, rounds            int
		python, verbose          bool
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
	fs.BoolVar(&python, "python", false, "also measure Python Pyro4 clients (needs /usr/bin/python3 with Pyro4)")
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
	if python {
		if err := CheckPython(); err != nil {
			fmt.Fprintln(stderr, "error:", err)
			return 1
		}
	}
	opts := Options{Serializer: ser, Callers: callers, Duration: duration, Calls: int64(calls),
		Rounds: rounds, Target: target, Python: python}
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
