package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/gopyro/pyro/internal/benchkit"
)

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flagSet("bench", "[flags]\n\n"+
		"Measures small calls per second on loopback: a Go proxy calling echo(\"hello\") on a Go daemon\n"+
		"(or on --target), beside a raw TCP ping-pong of the same frame sizes and net/rpc, and with\n"+
		"--python, Python Pyro4 clients against that daemon and against a Python daemon. Rows are run\n"+
		"in interleaved rounds so that changes in machine load hit them alike.", stderr)
	var (
		ser, callersList, target string
		duration                 time.Duration
		calls, rounds            int
		python, verbose          bool
	)
	stringFlag(fs, &ser, "s", "serializer", "serpent", "serializer: serpent, json, marshal or msgpack")
	stringFlag(fs, &callersList, "c", "callers", "1,16", "comma-separated numbers of concurrent callers (sharing one proxy)")
	fs.DurationVar(&duration, "duration", 3*time.Second, "measuring time per row, split across the rounds")
	intFlag(fs, &calls, "n", "calls", 0, "calls per row instead of --duration")
	intFlag(fs, &rounds, "r", "rounds", 10, "interleaved rounds (the table shows medians)")
	stringFlag(fs, &target, "t", "target", "", "URI of a daemon serving echo(str) to call instead of an in-process Go daemon")
	boolFlag(fs, &python, "", "python", "also measure Python Pyro4 clients (needs /usr/bin/python3 with Pyro4)")
	boolFlag(fs, &verbose, "v", "verbose", "report progress on stderr")
	if code := parse(fs, args); code >= 0 {
		return code
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
		if err := benchkit.CheckPython(); err != nil {
			fmt.Fprintln(stderr, "error:", err)
			return 1
		}
	}
	opts := benchkit.Options{Serializer: ser, Callers: callers, Duration: duration, Calls: int64(calls),
		Rounds: rounds, Target: target, Python: python}
	if verbose {
		opts.Progress = stderr
	}
	rep, err := benchkit.Run(ctx, opts)
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
