// Command messagebus is the Go twin of Pyro4's message bus server
// (examples/messagebus/messagebus/server.py and messagebus.py): a publish/subscribe bus,
// registered with the name server as Pyro.MessageBus. Pyro4's publishers and subscribers
// use it unchanged. Run a name server first:
//
//	pyro ns -n 127.0.0.1 &
//	PYRO_NS_HOST=127.0.0.1 go run ./examples/pyro4/messagebus
//	cd examples/messagebus   # Pyro4's, with messagebus.py.gz unpacked
//	PYRO_NS_HOST=127.0.0.1 python3 subscriber.py &
//	PYRO_NS_HOST=127.0.0.1 python3 publisher.py
//
// Only the in-memory storage is implemented (-s memory, the default here); Python's
// default is SQLite (-s sqlite).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/naming"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, "messagebus:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("messagebus", flag.ExitOnError)
	host := fs.String("n", "localhost", "hostname to bind server on")
	port := fs.Int("p", 0, "port to bind server on (0=random)")
	unixSocket := fs.String("u", "", "Unix domain socket name to bind server on")
	storage := fs.String("s", "memory", "storage type (only memory in Go)")
	fs.Parse(args)
	if *storage != "memory" {
		return fmt.Errorf("storage %q is not available in the Go twin; use -s memory", *storage)
	}
	// server.py's Pyro4.config settings.
	cfg, err := pyro.DaemonConfigFromEnv()
	if err != nil {
		return err
	}
	cfg.Host, cfg.Port, cfg.UnixSocket = *host, *port, *unixSocket
	cfg.CommTimeout = 20 * time.Second
	cfg.MaxMessageSize = 256 * 1024
	nsCfg, err := pyro.ProxyConfigFromEnv()
	if err != nil {
		return err
	}
	d, err := pyro.NewDaemon(cfg)
	if err != nil {
		return err
	}
	ln, err := d.Listen()
	if err != nil {
		return err
	}
	// @Pyro4.behavior(instance_mode="single", instance_creator=make_messagebus): one bus, made
	// on the first call. send_no_ack is oneway.
	uri, err := d.RegisterFactory(pyro.Single, func(ctx context.Context) *MessageBus { return NewMessageBus(ctx, os.Stderr) },
		pyro.WithOneway("SendNoAck"))
	if err != nil {
		d.Close()
		return err
	}
	fmt.Println("Pyro Message Bus.")
	fmt.Println("    uri  =", uri)
	ns, err := naming.Locate(ctx, "", 0, pyro.WithConfig(nsCfg))
	if err == nil {
		err = ns.Register(ctx, Name, uri, naming.RegisterOptions{})
		ns.Close()
	}
	if err != nil {
		d.Close()
		return err
	}
	fmt.Println("    name =", Name)
	fmt.Printf("Server running, storage is %s.\n", *storage)
	return d.Serve(ctx, ln)
}
