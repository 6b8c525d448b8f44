// Command callcontext is the Go twin of Pyro4's callcontext example server
// (examples/callcontext/server.py): an echo object, example.context, that prints what the call
// context says of each call (the client's custom XYZZ annotation among it), on a daemon with
// an HMAC key that adds its own annotation to every reply. Give its URI to Pyro4's client:
//
//	go run ./examples/pyro4/callcontext
//	python3 /usr/share/doc/pyro4/examples/callcontext/client.py   # paste the URI
package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, "callcontext:", err)
		os.Exit(1)
	}
}

// run is server.py's CustomDaemon, whose annotations() adds DDAA to every reply: Go sets
// DaemonConfig.ResponseAnnotations. Python sets the daemon's _pyroHmacKey; Go its
// Transport.HMACKey.
func run(ctx context.Context) error {
	cfg, err := pyro.DaemonConfigFromEnv()
	if err != nil {
		return err
	}
	cfg.HMACKey = []byte("secr3t_k3y")
	cfg.ResponseAnnotations = func(context.Context) pyro.Annotations {
		return pyro.Annotations{"DDAA": []byte("custom response annotation set by the daemon")}
	}
	d, err := pyro.NewDaemon(cfg)
	if err != nil {
		return err
	}
	ln, err := d.Listen()
	if err != nil {
		return err
	}
	uri, err := d.Register(&EchoServer{}, pyro.WithID("example.context"), pyro.WithOneway("Oneway"),
		pyro.WithParams("Echo", "message"), pyro.WithParams("Oneway", "message"))
	if err != nil {
		d.Close()
		return err
	}
	fmt.Println("Server is ready. You can use the following URI to connect:")
	fmt.Println(uri)
	return d.Serve(ctx, ln)
}

// EchoServer echoes messages and prints the context of each call. Python reads
// Pyro4.current_context; a Go method that takes a context.Context as its first parameter
// reads pyro.CallInfoFrom(ctx): the client's address, the correlation id, the custom
// annotations. (Python prints a few more things Go does not have: the thread, the daemon
// object, the message's sequence number and flags.)
type EchoServer struct{}

func (EchoServer) Echo(ctx context.Context, message string) string {
	ci, _ := pyro.CallInfoFrom(ctx)
	var b strings.Builder
	fmt.Fprintln(&b, "\nGot Message:", message)
	fmt.Fprintln(&b, "  obj.pyroid: ", ci.ObjectID)
	fmt.Fprintln(&b, "  context.client_sock_addr: ", peerName(ci.RemoteAddr))
	if c, err := serializer.ByName(ci.Serializer); err == nil {
		fmt.Fprintln(&b, "  context.serializer_id: ", c.ID())
	}
	fmt.Fprintln(&b, "  context.correlation_id:", uuid(ci.CorrelationID))
	if v, ok := ci.Annotations["XYZZ"]; ok {
		fmt.Fprintln(&b, "  custom annotation 'XYZZ':", pyval.Repr(v))
	}
	fmt.Print(b.String()) // one write, so concurrent calls do not mix their lines
	return message
}

// Oneway is registered with pyro.WithOneway: the client does not wait for it.
func (e EchoServer) Oneway(ctx context.Context, message string) { e.Echo(ctx, message) }

// peerName prints an address as Python's socket.getpeername() prints: ('127.0.0.1', 50918).
func peerName(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return fmt.Sprintf("('%s', %d)", ta.IP, ta.Port)
	}
	return fmt.Sprintf("'%s'", a)
}

// uuid prints a 16-byte correlation id as Python's str(uuid.UUID) does.
func uuid(c []byte) string {
	if len(c) != 16 {
		return "None"
	}
	return fmt.Sprintf("%x-%x-%x-%x-%x", c[0:4], c[4:6], c[6:8], c[8:10], c[10:16])
}
