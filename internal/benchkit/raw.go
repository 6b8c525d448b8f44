package benchkit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
)

// Sizes are the bytes one call puts on the wire in each direction, frames included.
type Sizes struct {
	Request, Response int
}

// RawServer is a TCP server that answers every Request-sized read with a Response-sized
// write: the floor any lock-step RPC over TCP can reach with these sizes.
type RawServer struct {
	ln    net.Listener
	sizes Sizes
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

// StartRawServer listens on a free loopback port and serves until Close.
func StartRawServer(sizes Sizes) (*RawServer, error) {
	if sizes.Request <= 0 || sizes.Response <= 0 {
		return nil, fmt.Errorf("benchkit: raw server sizes must be positive, got %+v", sizes)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("benchkit: raw server: %w", err)
	}
	s := &RawServer{ln: ln, sizes: sizes, conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Addr is the server's address.
func (s *RawServer) Addr() string { return s.ln.Addr().String() }

func (s *RawServer) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go s.serve(c)
	}
}

func (s *RawServer) serve(c net.Conn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		c.Close()
	}()
	req := make([]byte, s.sizes.Request)
	resp := make([]byte, s.sizes.Response)
	for {
		if _, err := io.ReadFull(c, req); err != nil {
			return
		}
		if _, err := c.Write(resp); err != nil {
			return
		}
	}
}

// Close stops the server and closes its connections.
func (s *RawServer) Close() error {
	err := s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

// DialRaw connects to a RawServer and returns a Caller doing one ping-pong per call (one
// write of the request size, a full read of the response size), and a function closing it.
func DialRaw(ctx context.Context, addr string, sizes Sizes) (Caller, func() error, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("benchkit: raw client: %w", err)
	}
	// Pyro sets TCP_NODELAY too; Go does by default, but say so.
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	req := make([]byte, sizes.Request)
	resp := make([]byte, sizes.Response)
	call := func(context.Context) error {
		if _, err := c.Write(req); err != nil {
			return err
		}
		_, err := io.ReadFull(c, resp)
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	return call, c.Close, nil
}
