// Command usersession is the Go twin of Pyro4's usersession example server
// (examples/usersession/server.py): two database objects that learn their user from the
// USER annotation the client sends with every call. The singleton, shared by everybody,
// reads it on each call and breaks when clients use it concurrently; the session-bound one
// is made per client connection, for the user of the call that made it. Run a name server
// first:
//
//	pyro ns -n 127.0.0.1 &
//	PYRO_NS_HOST=127.0.0.1 go run ./examples/pyro4/usersession
//	PYRO_NS_HOST=127.0.0.1 python3 /usr/share/doc/pyro4/examples/usersession/client.py
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
		fmt.Fprintln(os.Stderr, "usersession:", err)
		os.Exit(1)
	}
}

var database = NewDummyDatabase()

// userOfCall reads the USER annotation of the call ctx belongs to: Python's
// Pyro4.current_context.annotations["USER"].
func userOfCall(ctx context.Context) string {
	ci, _ := pyro.CallInfoFrom(ctx)
	return string(ci.Annotations["USER"])
}

// SingletonDatabase is served once for everybody (pyro.Single), with one database
// connection; the user comes with each call. Concurrent clients collide on its connection.
type SingletonDatabase struct{ conn *Connection }

func NewSingletonDatabase() *SingletonDatabase {
	fmt.Println("[SingletonDatabase] new instance and connection")
	return &SingletonDatabase{conn: database.Connect("")} // user is per-call, not global
}

func (s *SingletonDatabase) Store(ctx context.Context, key string, value any) error {
	return s.conn.Store(key, value, userOfCall(ctx))
}

func (s *SingletonDatabase) Retrieve(ctx context.Context, key string) (any, error) {
	return s.conn.Retrieve(key, userOfCall(ctx))
}

func (s *SingletonDatabase) Ping() string { return "hi" }

// SessionboundDatabase is made once per client connection (pyro.Session). Python's
// __init__ reads Pyro4.current_context; a Go factory taking a context.Context gets the
// context of the call that needed the instance, with that call's annotations.
type SessionboundDatabase struct{ conn *Connection }

func NewSessionboundDatabase(ctx context.Context) *SessionboundDatabase {
	user := userOfCall(ctx)
	s := &SessionboundDatabase{conn: database.Connect(user)}
	fmt.Printf("[SessionboundDatabase] new instance and connection for user: %s\n", user)
	return s
}

func (s *SessionboundDatabase) Store(key string, value any) error {
	return s.conn.Store(key, value, "")
}

func (s *SessionboundDatabase) Retrieve(key string) (any, error) { return s.conn.Retrieve(key, "") }

func (s *SessionboundDatabase) Ping() string { return "hi" }

// run is serveSimple over both classes; their modes are their factories' registrations.
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
	params := []pyro.RegisterOption{pyro.WithParams("Store", "key", "value"), pyro.WithParams("Retrieve", "key")}
	single, err := d.RegisterFactory(pyro.Single, NewSingletonDatabase, params...)
	if err != nil {
		d.Close()
		return err
	}
	session, err := d.RegisterFactory(pyro.Session, NewSessionboundDatabase, params...)
	if err != nil {
		d.Close()
		return err
	}
	names := map[string]any{"example.usersession.singletondb": single, "example.usersession.sessiondb": session}
	return naming.Serve(ctx, d, names, naming.ServeOptions{
		NameServerConfig: &nsCfg,
		Ready: func(uris map[string]pyro.URI) {
			for _, name := range []string{"example.usersession.singletondb", "example.usersession.sessiondb"} {
				fmt.Printf("Object %s:\n    uri = %s\n    name = %s\n", name, uris[name], name)
			}
			fmt.Println("Pyro daemon running.")
		},
	})
}
