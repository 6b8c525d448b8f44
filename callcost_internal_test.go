package pyro

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"testing"
	"time"
)

// loopConn is one end of an in-memory connection whose Read, finding nothing to read, runs
// the peer's step function: one goroutine plays client and server, and no syscall is made.
type loopConn struct {
	in, out *bytes.Buffer
	onEmpty func()
}

func (c *loopConn) Read(p []byte) (int, error) {
	if c.in.Len() == 0 && c.onEmpty != nil {
		c.onEmpty()
	}
	return c.in.Read(p)
}
func (c *loopConn) Write(p []byte) (int, error)      { return c.out.Write(p) }
func (c *loopConn) Close() error                     { return nil }
func (c *loopConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *loopConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c *loopConn) SetDeadline(time.Time) error      { return nil }
func (c *loopConn) SetReadDeadline(time.Time) error  { return nil }
func (c *loopConn) SetWriteDeadline(time.Time) error { return nil }

type benchEcho struct{}

func (*benchEcho) Echo(message string) string { return message }

// BenchmarkCallOverhead is the user-space cost of one echo("hello") call, proxy and daemon,
// without the kernel: the part of a loopback call that this package controls.
func BenchmarkCallOverhead(b *testing.B) { benchCallOverhead(b, Pyro4) }

// BenchmarkCallOverheadPyro5 is BenchmarkCallOverhead in protocol 502.
func BenchmarkCallOverheadPyro5(b *testing.B) { benchCallOverhead(b, Pyro5) }

func benchCallOverhead(b *testing.B, proto WireProtocol) {
	call := loopCall(b, proto)
	b.ReportAllocs()
	for b.Loop() {
		call()
	}
}

// TestCallAllocationBudget holds a small call's allocations, proxy and daemon together, to
// what BenchmarkCallOverhead measured (2026-12-02: 16 in Pyro4, 18 in Pyro5, from 25 and 27).
func TestCallAllocationBudget(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("allocation counts are not meaningful under -race")
	}
	for proto, budget := range map[WireProtocol]float64{Pyro4: 16, Pyro5: 18} {
		call := loopCall(t, proto)
		if n := testing.AllocsPerRun(200, call); n > budget {
			t.Errorf("%s: a call allocates %v times, want at most %v", proto, n, budget)
		}
	}
}

// loopCall returns one echo("hello") call through a proxy and a daemon connected by
// loopConns: the part of a loopback call that this package controls.
func loopCall(tb testing.TB, proto WireProtocol) func() {
	d, err := NewDaemon(DaemonConfig{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { d.Close() })
	uri, err := d.Register(&benchEcho{}, WithID("bench.echo"))
	if err != nil {
		tb.Fatal(err)
	}
	var req, resp bytes.Buffer
	serverSide := &loopConn{in: &req, out: &resp}
	sc := newServerConn(d, serverSide)
	sc.proto = proto
	clientSide := &loopConn{in: &resp, out: &req}
	clientSide.onEmpty = func() {
		msg, err := sc.read(0)
		if err != nil {
			tb.Fatal(err)
		}
		sc.handle(msg)
	}
	p, err := NewProxyURI(uri)
	if err != nil {
		tb.Fatal(err)
	}
	p.meta = &metadata{Methods: []string{"echo"}}
	p.pool.idle = []*clientConn{{nc: clientSide, br: bufio.NewReaderSize(clientSide, 16<<10), proto: proto}}
	ctx := context.Background()
	return func() {
		var out string
		if err := p.Call(ctx, "echo", &out, "hello"); err != nil || out != "hello" {
			tb.Fatal(out, err)
		}
	}
}
