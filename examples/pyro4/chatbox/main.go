// Command chatbox is the Go twin of Pyro4's chatbox example server
// (examples/chatbox/server.py): the chat server, registered with the name server as
// example.chatbox.server. Run a name server first, then as many chat clients as you like:
//
//	pyro ns -n 127.0.0.1 &
//	PYRO_NS_HOST=127.0.0.1 go run ./examples/pyro4/chatbox
//	PYRO_NS_HOST=127.0.0.1 python3 /usr/share/doc/pyro4/examples/chatbox/client.py
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/naming"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, "chatbox:", err)
		os.Exit(1)
	}
}

// run is serveSimple({ChatBox: "example.chatbox.server"}). The client calls getChannels and
// getNicks: pyro.CamelCase publishes the Go methods under those names.
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
	chatbox := NewChatBox()
	return naming.Serve(ctx, d, map[string]any{"example.chatbox.server": chatbox}, naming.ServeOptions{
		NameServerConfig: &nsCfg,
		PublishOptions:   naming.PublishOptions{Register: []pyro.RegisterOption{pyro.WithNaming(pyro.CamelCase)}},
		Ready: func(uris map[string]pyro.URI) {
			fmt.Printf("Object %T:\n    uri = %s\n    name = example.chatbox.server\n", chatbox, uris["example.chatbox.server"])
			fmt.Println("Pyro daemon running.")
		},
	})
}
