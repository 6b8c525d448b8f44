// Command server2 is the Go twin of the second server of Pyro4's callback example
// (examples/callback/server2.py): CallbackServer, registered with the name server as
// example.callback2, calls back the client twice in a oneway call, and prints the exceptions
// the client's callbacks raise, with their remote tracebacks. Run a name server first:
//
//	pyro ns -n 127.0.0.1 &
//	PYRO_NS_HOST=127.0.0.1 go run ./examples/pyro4/callback/server2
//	PYRO_NS_HOST=127.0.0.1 python3 /usr/share/doc/pyro4/examples/callback/client2.py
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/naming"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, "callback server2:", err)
		os.Exit(1)
	}
}

// CallbackServer calls its clients back.
type CallbackServer struct{}

// DoCallback is exposed as doCallback (pyro.CamelCase) and is oneway: the client carries on
// at once. Both of the client's callbacks raise; the Go side sees a *pyro.RemoteError with
// the client's traceback.
func (CallbackServer) DoCallback(ctx context.Context, callback *pyro.Proxy) {
	defer callback.Close()
	// Pyro5's server2.py prints with Pyro5.errors.get_pyro_traceback, which spells
	// "occurred"; Pyro4's getPyroTraceback spells "occured". Serve each client its own.
	ci, _ := pyro.ConnInfoFrom(ctx)
	pyro5 := ci != nil && ci.Protocol == pyro.Pyro5
	fmt.Print("\n\nserver: doing callback 1 to client\n")
	if err := callback.Call(ctx, "call1", nil); err != nil {
		fmt.Println("got an exception from the callback:")
		fmt.Println(pyroTraceback(err, pyro5))
	}
	fmt.Print("\n\nserver: doing callback 2 to client\n")
	if err := callback.Call(ctx, "call2", nil); err != nil {
		fmt.Println("got an exception from the callback:")
		fmt.Println(pyroTraceback(err, pyro5))
	}
	fmt.Print("server: callbacks done.\n\n")
}

// pyroTraceback formats a remote exception as Pyro4.util.getPyroTraceback (or, for pyro5,
// Pyro5.errors.get_pyro_traceback) does: the exception, then the traceback it came with,
// framed. Python prints its local traceback before them; a Go program has no Python frames,
// so it prints the exception line alone.
func pyroTraceback(err error, pyro5 bool) string {
	var re *pyro.RemoteError
	if !errors.As(err, &re) {
		return err.Error()
	}
	class := re.Class
	if strings.HasPrefix(class, "builtins.") {
		class = re.ShortClass()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s\n", class, re.Message())
	if pyro5 {
		b.WriteString(" +--- This exception occurred remotely (Pyro) - Remote traceback:")
	} else {
		b.WriteString(" +--- This exception occured remotely (Pyro) - Remote traceback:")
	}
	for _, chunk := range re.Traceback {
		for _, line := range strings.Split(strings.TrimSuffix(chunk, "\n"), "\n") {
			b.WriteString("\n | " + line)
		}
	}
	b.WriteString("\n +--- End of remote traceback\n")
	return b.String()
}

// run is serveSimple({CallbackServer: "example.callback2"}).
func run(ctx context.Context) error {
	cfg, err := pyro.DaemonConfigFromEnv()
	if err != nil {
		return err
	}
	nsCfg, err := pyro.ProxyConfigFromEnv()
	if err != nil {
		return err
	}
	d, err := pyro.NewDaemon(cfg)
	if err != nil {
		return err
	}
	return naming.Serve(ctx, d, map[string]any{"example.callback2": CallbackServer{}}, naming.ServeOptions{
		NameServerConfig: &nsCfg,
		PublishOptions: naming.PublishOptions{Register: []pyro.RegisterOption{
			pyro.WithNaming(pyro.CamelCase), pyro.WithOneway("DoCallback")}},
		Ready: func(uris map[string]pyro.URI) {
			fmt.Printf("Object %T:\n    uri = %s\n    name = example.callback2\n", CallbackServer{}, uris["example.callback2"])
			fmt.Println("Pyro daemon running.")
		},
	})
}
