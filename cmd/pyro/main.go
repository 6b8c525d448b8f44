// Command pyro is the command-line companion of pyro for Go: a name server, its control tool,
// an echo server and a shell caller, each a drop-in for the pyro4-* tool it names.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one subcommand.
type command struct {
	name     string
	summary  string
	replaces string // the Pyro4 tool it stands in for
	run      func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

var commands = []command{
	{"echoserver", "serve the test echo object (test.echoserver) to Pyro4 and Pyro5 clients", "pyro4-test-echoserver, Pyro5.utils.echoserver", runEchoServer},
	{"ns", "start a name server for Pyro4 and Pyro5 clients", "pyro4-ns, Pyro5.nameserver", runNS},
	{"nsc", "name server control: list, lookup, register, remove, metadata (Pyro4 or Pyro5)", "pyro4-nsc", runNSC},
	{"gateway", "serve Pyro objects over HTTP/JSON, with a web console (Pyro4 or Pyro5 objects)", "pyro4-httpgateway, Pyro5.utils.httpgateway", runGateway},
	{"call", "call a method of a remote object (Pyro4 or Pyro5) and print the result", "", runCall},
	{"top", "live view of a daemon's or name server's metrics (one started with --metrics)", "", runTop},
}

// benchHint answers `pyro bench` in builds without it (bench.go, build tag pyrobench).
const benchHint = `pyro bench is a developer tool left out of this build; run it from the source tree with
  go run -tags pyrobench ./cmd/pyro bench [flags]`

func main() {
	ctx, stop := signalContext()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// signalContext is cancelled by SIGINT or SIGTERM: the servers then stop serving, and flush
// their spans (--otlp, --trace-stdout) on the way out.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	if args[0] == "bench" {
		fmt.Fprintln(stderr, benchHint)
		return 2
	}
	fmt.Fprintf(stderr, "pyro: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: pyro <command> [flags] [arguments]")
	fmt.Fprintln(w, "\nPyro4- and Pyro5-compatible remote objects for Go. Commands:")
	cs := append([]command(nil), commands...)
	sort.Slice(cs, func(i, j int) bool { return cs[i].name < cs[j].name })
	for _, c := range cs {
		line := fmt.Sprintf("  %-11s %s", c.name, c.summary)
		if c.replaces != "" {
			line += " (replaces " + c.replaces + ")"
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintln(w, "\nRun 'pyro <command> --help' for a command's flags.")
}

// flagSet makes a FlagSet whose errors print usage and give exit status 2, and whose --help
// gives exit status 0.
func flagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("pyro "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: pyro %s %s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags; it returns an exit status to stop with, or -1 to go on.
func parse(fs *flag.FlagSet, args []string) int {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	return -1
}

// stringFlag binds a short and a long flag name to one variable, as Pyro4's tools have (-H/--host).
func stringFlag(fs *flag.FlagSet, p *string, short, long, value, usage string) {
	fs.StringVar(p, long, value, usage)
	if short != "" {
		fs.StringVar(p, short, value, "short for --"+long)
	}
}

func intFlag(fs *flag.FlagSet, p *int, short, long string, value int, usage string) {
	fs.IntVar(p, long, value, usage)
	if short != "" {
		fs.IntVar(p, short, value, "short for --"+long)
	}
}

func boolFlag(fs *flag.FlagSet, p *bool, short, long string, usage string) {
	fs.BoolVar(p, long, false, usage)
	if short != "" {
		fs.BoolVar(p, short, false, "short for --"+long)
	}
}
