// Command handshake is the Go twin of Pyro4's handshake example server
// (examples/handshake/server.py): a daemon that accepts only connections whose handshake
// carries the secret code, and reports each client that disconnects. It serves only the
// daemon's own object; give its URI and the code to Pyro4's client:
//
//	go run ./examples/pyro4/handshake
//	python3 /usr/share/doc/pyro4/examples/handshake/client.py   # paste the URI, then pancakes
package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/pyval"
)

const secretCode = "pancakes"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, "handshake:", err)
		os.Exit(1)
	}
}

// run is server.py's CustomDaemon: Pyro4 subclasses the daemon to override
// validateHandshake and clientDisconnect; Go sets the DaemonConfig hooks Handshake and
// OnDisconnect. The connection (Python's conn, with its socket's peer address) is the
// *pyro.ConnInfo in the hook's context.
func run(ctx context.Context) error {
	cfg, err := pyro.DaemonConfigFromEnv()
	if err != nil {
		return err
	}
	cfg.Handshake = validateHandshake
	cfg.OnDisconnect = clientDisconnect
	d, err := pyro.NewDaemon(cfg)
	if err != nil {
		return err
	}
	ln, err := d.Listen()
	if err != nil {
		return err
	}
	fmt.Println("Server is ready. You can use the following URI to connect:")
	fmt.Println(d.URIFor(pyro.DaemonObjectID))
	fmt.Println("When asked, enter the following secret code: ", secretCode)
	return d.Serve(ctx, ln)
}

// validateHandshake accepts the secret code and answers with some data of its own, which
// the client prints; anything else refuses the connection with a ValueError.
func validateHandshake(ctx context.Context, data any) (any, error) {
	conn, _ := pyro.ConnInfoFrom(ctx)
	fmt.Println("Daemon received handshake request from:", peerName(conn.RemoteAddr))
	fmt.Println("Handshake data:", pyStr(data))
	if data == secretCode {
		fmt.Println("Secret code okay! Connection accepted.")
		return []string{"how", "are", "you", "doing"}, nil
	}
	fmt.Println("Secret code wrong! Connection refused.")
	return nil, pyro.NewError("builtins.ValueError", "wrong secret code, connection refused")
}

// clientDisconnect runs once for every connection that passed its handshake, when it ends.
func clientDisconnect(ctx context.Context) {
	conn, _ := pyro.ConnInfoFrom(ctx)
	fmt.Println("Daemon client disconnects:", peerName(conn.RemoteAddr))
}

// peerName prints an address as Python's socket.getpeername() prints: ('127.0.0.1', 50918).
func peerName(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return fmt.Sprintf("('%s', %d)", ta.IP, ta.Port)
	}
	return fmt.Sprintf("'%s'", a)
}

// pyStr is Python's str() of a received value: a string as it is, anything else as its repr.
func pyStr(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return pyval.Repr(v)
}
