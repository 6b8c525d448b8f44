package benchkit

import (
	"context"
	"fmt"
	"net"
	"net/rpc"
	"sync"
)

// RPCEcho is the net/rpc service of the reference benchmark.
type RPCEcho struct{}

// Echo sets reply to message.
func (RPCEcho) Echo(message string, reply *string) error {
	*reply = message
	return nil
}

// NetRPCServer serves RPCEcho as "Echo" with net/rpc's gob codec on loopback TCP.
type NetRPCServer struct {
	ln    net.Listener
	srv   *rpc.Server
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

// StartNetRPC listens on a free loopback port and serves until Close.
func StartNetRPC() (*NetRPCServer, error) {
	srv := rpc.NewServer()
	if err := srv.RegisterName("Echo", RPCEcho{}); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("benchkit: net/rpc server: %w", err)
	}
	s := &NetRPCServer{ln: ln, srv: srv, conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns[c] = struct{}{}
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				srv.ServeConn(c)
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
			}()
		}
	}()
	return s, nil
}

// Addr is the server's address.
func (s *NetRPCServer) Addr() string { return s.ln.Addr().String() }

// Close stops the server and closes its connections.
func (s *NetRPCServer) Close() error {
	err := s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

// NetRPCCaller is a Caller making Echo.Echo(Message) through client; concurrent callers
// share one client, which multiplexes them over its single connection.
func NetRPCCaller(client *rpc.Client) Caller {
	return func(context.Context) error {
		var out string
		if err := client.Call("Echo.Echo", Message, &out); err != nil {
			return err
		}
		if out != Message {
			return fmt.Errorf("net/rpc echo returned %q", out)
		}
		return nil
	}
}

// DialNetRPC connects a net/rpc client to addr.
func DialNetRPC(ctx context.Context, addr string) (*rpc.Client, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("benchkit: net/rpc client: %w", err)
	}
	return rpc.NewClient(c), nil
}
