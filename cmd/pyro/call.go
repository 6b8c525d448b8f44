package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

func runCall(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flagSet("call", "[flags] URI METHOD [ARG...]\n\n"+
		"Calls METHOD on the object at URI (PYRO:, PYRONAME: or PYROMETA:) and prints the result.\n"+
		"Each ARG is a Python literal (42, 'text', [1, 2], {'a': (1, 2)}), else JSON, else a plain string;\n"+
		"NAME=VALUE (NAME a Python identifier) is a keyword argument. Quote a string holding '=': \"'a=b'\".\n"+
		"Exit status: 0 on success, 1 on a remote exception or communication error, 2 on bad usage.", stderr)
	var (
		ser, protocol  string
		timeout        time.Duration
		oneway, asJSON bool
		verbose        bool
	)
	stringFlag(fs, &ser, "s", "serializer", "serpent", "serializer: serpent, json, marshal or msgpack")
	stringFlag(fs, &protocol, "P", "protocol", "auto", "wire protocol: pyro4, pyro5, or auto (find out, Pyro4 first)")
	fs.DurationVar(&timeout, "timeout", 30*time.Second, "give up on the call after this long")
	boolFlag(fs, &oneway, "", "oneway", "send the call oneway and do not wait for a result")
	boolFlag(fs, &asJSON, "", "json", "print the result as JSON instead of a Python literal")
	boolFlag(fs, &verbose, "v", "verbose", "print the remote traceback of an exception")
	if code := parse(fs, args); code >= 0 {
		return code
	}
	if fs.NArg() < 2 {
		fs.Usage()
		return 2
	}
	callArgs := make([]any, 0, fs.NArg()-1)
	kwargs := pyro.Kwargs{}
	for _, a := range fs.Args()[2:] {
		if name, value, ok := strings.Cut(a, "="); ok && keywordRE.MatchString(name) {
			kwargs[name] = parseLiteral(value)
			continue
		}
		callArgs = append(callArgs, parseLiteral(a))
	}
	if len(kwargs) > 0 {
		callArgs = append(callArgs, kwargs)
	}
	proto, err := pyro.ParseWireProtocol(protocol)
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		fs.Usage()
		return 2
	}
	env, code := toolConfig("", stderr)
	if code >= 0 {
		return code
	}
	p, err := pyro.NewProxy(fs.Arg(0), pyro.WithConfig(env.proxy), pyro.WithSerializer(ser), pyro.WithProtocol(proto))
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 2
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	method := fs.Arg(1)
	if oneway {
		err = p.Oneway(ctx, method, callArgs...)
	} else {
		var result pyval.Raw
		if err = p.Call(ctx, method, &result, callArgs...); err == nil {
			if err := printResult(stdout, result, asJSON); err != nil {
				fmt.Fprintln(stderr, "error:", err)
				return 1
			}
		}
	}
	if err != nil {
		var re *pyro.RemoteError
		if errors.As(err, &re) {
			if verbose {
				fmt.Fprint(stderr, strings.Join(re.Traceback, ""))
				fmt.Fprintf(stderr, "(%s)\n", p.WireProtocol())
			}
			fmt.Fprintf(stderr, "remote exception: %s\n", re)
			return 1
		}
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	return 0
}

// keywordRE matches a Python identifier, the NAME of a NAME=VALUE keyword argument.
var keywordRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// parseLiteral reads a command-line argument as a Python literal, else JSON, else a string.
func parseLiteral(s string) any {
	for _, name := range []string{"serpent", "json"} {
		if c, err := serializer.ByName(name); err == nil {
			if v, err := c.Unmarshal([]byte(s)); err == nil {
				return v
			}
		}
	}
	return s
}

func printResult(w io.Writer, v any, asJSON bool) error {
	if asJSON {
		var natural any
		if err := pyval.ToGo(v, &natural); err != nil {
			return err
		}
		b, err := json.Marshal(jsonable(natural))
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	_, err := fmt.Fprintln(w, pyval.Repr(v))
	return err
}

// jsonable makes maps with non-string keys printable by encoding/json.
func jsonable(v any) any {
	switch x := v.(type) {
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = jsonable(e)
		}
		return m
	case map[string]any:
		for k, e := range x {
			x[k] = jsonable(e)
		}
	case []any:
		for i, e := range x {
			x[i] = jsonable(e)
		}
	}
	return v
}
