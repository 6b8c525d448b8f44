package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/naming"
)

const nscVerbs = "register remove removematching lookup list listmatching\n          listmeta_all listmeta_any setmeta ping"

func runNSC(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flagSet("nsc", "[flags] command [arguments]\n\nName server control (like pyro4-nsc), of a Pyro4 or Pyro5 name server. Commands: "+nscVerbs, stderr)
	var (
		host, unixSocket, key string
		port                  int
		verbose, yes          bool
	)
	stringFlag(fs, &host, "n", "host", "", "hostname of the NS")
	intFlag(fs, &port, "p", "port", 0, "port of the NS (or bc-port if host isn't specified)")
	stringFlag(fs, &unixSocket, "u", "unixsocket", "", "Unix domain socket name of the NS")
	stringFlag(fs, &key, "k", "key", "", "the HMAC key to use (deprecated: use PYRO_HMAC_KEY)")
	boolFlag(fs, &verbose, "v", "verbose", "verbose output")
	boolFlag(fs, &yes, "y", "yes", "removematching: don't ask for confirmation")
	if code := parse(fs, args); code >= 0 {
		return code
	}
	verbs := map[string]bool{}
	for _, v := range strings.Fields(nscVerbs) {
		verbs[v] = true
	}
	if fs.NArg() == 0 || !verbs[fs.Arg(0)] {
		fmt.Fprintln(stderr, "pyro nsc: error: invalid or missing command")
		fs.Usage()
		return 2
	}
	env, code := toolConfig(key, stderr)
	if code >= 0 {
		return code
	}
	if unixSocket != "" {
		host = "./u:" + unixSocket
	}
	if verbose {
		fmt.Fprintln(stdout, "Locating name server...")
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ns, err := naming.Locate(ctx, host, port, pyro.WithConfig(env.proxy))
	if err != nil {
		fmt.Fprintf(stdout, "Error: %v\n", err)
		return 1
	}
	defer ns.Close()
	if verbose {
		fmt.Fprintf(stdout, "Name server found: %s\n", ns.Proxy().URI())
	}
	if err := nscCommand(ctx, ns, fs.Args(), yes, stdout); err != nil {
		var usage usageError
		if errors.As(err, &usage) {
			fmt.Fprintln(stderr, usage)
			return 2
		}
		fmt.Fprintf(stdout, "Error: %s - %s\n", errorType(err), errorText(err))
		return 1
	}
	if verbose {
		fmt.Fprintln(stdout, "Done.")
	}
	return 0
}

type usageError string

func (u usageError) Error() string { return string(u) }

func errorType(err error) string {
	var re *pyro.RemoteError
	if errors.As(err, &re) {
		return re.ShortClass()
	}
	return "CommunicationError"
}

func errorText(err error) string {
	var re *pyro.RemoteError
	if errors.As(err, &re) {
		return re.Message()
	}
	return err.Error()
}

func nscCommand(ctx context.Context, ns *naming.Client, args []string, yes bool, out io.Writer) error {
	need := func(n int, what string) error {
		if len(args)-1 != n {
			return usageError("requires " + what)
		}
		return nil
	}
	printList := func(entries []naming.Entry, title string) {
		fmt.Fprintf(out, "--------START LIST %s\n", title)
		for _, e := range entries {
			fmt.Fprintf(out, "%s --> %s\n", e.Name, e.URI)
			if len(e.Metadata) > 0 {
				fmt.Fprintf(out, "    metadata: %s\n", stringsRepr(e.Metadata))
			}
		}
		fmt.Fprintf(out, "--------END LIST %s\n", title)
	}
	list := func(f naming.Filter, title string) error {
		entries, err := ns.ListWithMetadata(ctx, f)
		if err != nil {
			return err
		}
		// pyro4-nsc prints sorted(result.items()); Go's string order is Python's code point order.
		slices.SortFunc(entries, func(a, b naming.Entry) int { return strings.Compare(a.Name, b.Name) })
		printList(entries, title)
		return nil
	}
	switch args[0] {
	case "ping":
		if err := ns.Ping(ctx); err != nil {
			return err
		}
		fmt.Fprintln(out, "Name server ping ok.")
	case "list":
		if len(args) == 1 {
			return list(naming.Filter{}, "")
		}
		return list(naming.Filter{Prefix: args[1]}, fmt.Sprintf("- prefix '%s'", args[1]))
	case "listmatching":
		if err := need(1, "one argument: pattern"); err != nil {
			return err
		}
		return list(naming.Filter{Regex: args[1]}, fmt.Sprintf("- regex '%s'", args[1]))
	case "listmeta_all", "listmeta_any":
		if len(args) < 2 {
			return usageError("requires at least one metadata tag argument")
		}
		f := naming.Filter{MetadataAll: args[1:]}
		if args[0] == "listmeta_any" {
			f = naming.Filter{MetadataAny: args[1:]}
		}
		return list(f, " - searched by metadata")
	case "lookup":
		if err := need(1, "one argument: name"); err != nil {
			return err
		}
		uri, meta, err := ns.LookupWithMetadata(ctx, args[1])
		if err != nil {
			return err
		}
		fmt.Fprintln(out, uri)
		if len(meta) > 0 {
			fmt.Fprintf(out, "metadata: %s\n", stringsRepr(meta))
		}
	case "register":
		if err := need(2, "two arguments: name uri"); err != nil {
			return err
		}
		uri, err := pyro.ParseURI(args[2])
		if err != nil {
			return &pyro.RemoteError{Class: "Pyro4.errors.PyroError", Args: []any{"invalid uri"}}
		}
		if err := ns.Register(ctx, args[1], uri, naming.RegisterOptions{Safe: true}); err != nil {
			return err
		}
		fmt.Fprintf(out, "Registered %s\n", args[1])
	case "remove":
		if err := need(1, "one argument: name"); err != nil {
			return err
		}
		n, err := ns.Remove(ctx, args[1])
		if err != nil {
			return err
		}
		if n > 0 {
			fmt.Fprintf(out, "Removed %s\n", args[1])
		} else {
			fmt.Fprintln(out, "Nothing removed")
		}
	case "removematching":
		if err := need(1, "one argument: pattern"); err != nil {
			return err
		}
		if !yes {
			fmt.Fprint(out, "Potentially removing lots of items from the Name server. Are you sure (y/n)?")
			answer, _ := bufio.NewReader(os.Stdin).ReadString('\n')
			if a := strings.TrimSpace(answer); a != "y" && a != "Y" {
				return nil
			}
		}
		n, err := ns.RemoveRegex(ctx, args[1])
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%d items removed.\n", n)
	case "setmeta":
		if len(args) < 2 {
			return usageError("requires at least 2 arguments: uri and zero or more meta tags")
		}
		if err := ns.SetMetadata(ctx, args[1], args[2:]); err != nil {
			return err
		}
		if len(args) > 2 {
			fmt.Fprintln(out, "Metadata updated")
		} else {
			fmt.Fprintln(out, "Metadata cleared")
		}
	}
	return nil
}
