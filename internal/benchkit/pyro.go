package benchkit

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gopyro/pyro"
)

// GoDaemon is an in-process pyro daemon on loopback serving an Echo as ObjectID and a
// Payload as PayloadID.
type GoDaemon struct {
	D          *pyro.Daemon
	URI        pyro.URI
	PayloadURI pyro.URI
	done       chan error
}

// StartGoDaemon starts a daemon on a free 127.0.0.1 port with Pyro4's default settings.
func StartGoDaemon() (*GoDaemon, error) {
	return StartGoDaemonWith(pyro.DaemonConfig{Host: "127.0.0.1"})
}

// StartGoDaemonWith is StartGoDaemon with a configuration of the caller's.
func StartGoDaemonWith(cfg pyro.DaemonConfig) (*GoDaemon, error) {
	d, err := pyro.NewDaemon(cfg)
	if err != nil {
		return nil, err
	}
	ln, err := d.Listen()
	if err != nil {
		return nil, err
	}
	uri, err := d.Register(&Echo{}, pyro.WithID(ObjectID))
	if err != nil {
		ln.Close()
		return nil, err
	}
	puri, err := d.Register(&Payload{}, pyro.WithID(PayloadID))
	if err != nil {
		ln.Close()
		return nil, err
	}
	g := &GoDaemon{D: d, URI: uri, PayloadURI: puri, done: make(chan error, 1)}
	go func() { g.done <- d.Serve(context.Background(), ln) }()
	return g, nil
}

// Close shuts the daemon down.
func (g *GoDaemon) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := g.D.Shutdown(ctx)
	if serr := <-g.done; !errors.Is(serr, pyro.ErrDaemonClosed) && err == nil {
		err = serr
	}
	return err
}

// NewProxy returns a bound proxy to uri using the named serializer.
func NewProxy(ctx context.Context, uri, serializer string) (*pyro.Proxy, error) {
	p, err := pyro.NewProxy(uri, pyro.WithSerializer(serializer))
	if err != nil {
		return nil, err
	}
	if err := p.Bind(ctx); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// ProxyCaller is a Caller making echo(Message) through p and checking the answer; callers
// of one benchmark share one proxy, as an application's goroutines would.
func ProxyCaller(p *pyro.Proxy) Caller {
	return func(ctx context.Context) error {
		var out string
		if err := p.Call(ctx, "echo", &out, Message); err != nil {
			return err
		}
		if out != Message {
			return fmt.Errorf("echo returned %q", out)
		}
		return nil
	}
}

// MeasureSizes measures the bytes an echo(Message) call through a Go proxy with the named
// serializer puts on the wire each way, by relaying the proxy's connection to the daemon at
// uri through a counting TCP relay.
func MeasureSizes(ctx context.Context, uri, serializer string) (Sizes, error) {
	target, err := pyro.ParseURI(uri)
	if err != nil {
		return Sizes{}, err
	}
	if target.Protocol != "PYRO" || target.SockPath != "" {
		return Sizes{}, fmt.Errorf("benchkit: measuring frame sizes needs a PYRO: URI over TCP, got %s", uri)
	}
	r, err := startRelay(target.Address())
	if err != nil {
		return Sizes{}, err
	}
	defer r.close()
	via := target
	via.Host, via.Port = "127.0.0.1", r.ln.Addr().(*net.TCPAddr).Port
	p, err := NewProxy(ctx, via.String(), serializer)
	if err != nil {
		return Sizes{}, err
	}
	defer p.Close()
	call := ProxyCaller(p)
	if err := call(ctx); err != nil { // any per-proxy first-call work stays out of the count
		return Sizes{}, err
	}
	const n = 8
	up0, down0 := r.up.Load(), r.down.Load()
	for range n {
		if err := call(ctx); err != nil {
			return Sizes{}, err
		}
	}
	up, down := r.up.Load()-up0, r.down.Load()-down0
	if up%n != 0 || down%n != 0 {
		return Sizes{}, fmt.Errorf("benchkit: calls vary in size (%d and %d bytes over %d calls)", up, down, n)
	}
	return Sizes{Request: int(up / n), Response: int(down / n)}, nil
}

// relay forwards TCP connections to a target, counting the bytes each way. Bytes are counted
// as soon as they are read, so by the time a reply reaches the client it has been counted.
type relay struct {
	ln       net.Listener
	target   string
	up, down atomic.Int64
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    []net.Conn
}

func startRelay(target string) (*relay, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("benchkit: relay: %w", err)
	}
	r := &relay{ln: ln, target: target}
	r.wg.Add(1)
	go r.accept()
	return r, nil
}

func (r *relay) accept() {
	defer r.wg.Done()
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", r.target)
		if err != nil {
			c.Close()
			continue
		}
		r.mu.Lock()
		r.conns = append(r.conns, c, s)
		r.mu.Unlock()
		r.wg.Add(2)
		go r.pipe(s, c, &r.up)
		go r.pipe(c, s, &r.down)
	}
}

func (r *relay) pipe(dst, src net.Conn, n *atomic.Int64) {
	defer r.wg.Done()
	defer dst.Close()
	buf := make([]byte, 32<<10)
	for {
		k, err := src.Read(buf)
		if k > 0 {
			n.Add(int64(k))
			if _, werr := dst.Write(buf[:k]); werr != nil {
				return
			}
		}
		if err != nil {
			return // EOF or closed: dst's deferred Close passes the hang-up on
		}
	}
}

func (r *relay) close() {
	r.ln.Close()
	r.mu.Lock()
	for _, c := range r.conns {
		c.Close()
	}
	r.mu.Unlock()
	r.wg.Wait()
}
