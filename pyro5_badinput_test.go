package pyro_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/internal/wire5"
	"github.com/gopyro/pyro/pyrotest"
	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

// Pyro5's serializer ids on the wire (Pyro4's marshal and json are swapped).
const (
	pyro5Serpent = 1
	pyro5Marshal = 2
)

// raw5 is a client speaking protocol 502 by hand.
type raw5 struct {
	t  testing.TB
	nc net.Conn
	br *bufio.Reader
}

func dialRaw5(t testing.TB, addr string) *raw5 {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	t.Cleanup(func() { nc.Close() })
	return &raw5{t: t, nc: nc, br: bufio.NewReader(nc)}
}

func (c *raw5) send(m *wire5.Message) {
	c.t.Helper()
	if err := wire5.Write(c.nc, m, nil); err != nil {
		c.t.Fatal(err)
	}
}

func (c *raw5) recv() (*wire5.Message, error) { return wire5.Read(c.br, nil) }

func (c *raw5) expectClosed() {
	c.t.Helper()
	if m, err := c.recv(); err == nil {
		c.t.Fatalf("expected the connection closed, got %v", m)
	}
}

// expectConnectFail asserts a Pyro5 CONNECTFAIL in marshal with the given reason, then a close.
func (c *raw5) expectConnectFail(reason string) {
	c.t.Helper()
	m, err := c.recv()
	if err != nil {
		c.t.Fatalf("expected CONNECTFAIL %q, got %v", reason, err)
	}
	if m.Type != wire5.ConnectFail || m.SerializerID != pyro5Marshal {
		c.t.Fatalf("expected a marshal CONNECTFAIL, got %v", m)
	}
	got, err := codec(c.t, "marshal").Unmarshal(m.Data)
	if err != nil || got != reason {
		c.t.Fatalf("CONNECTFAIL reason %q (%v), want %q", got, err, reason)
	}
	c.expectClosed()
}

func (c *raw5) handshake(object string) {
	c.t.Helper()
	data, _ := codec(c.t, "serpent").Marshal(pyval.DictOf("handshake", "hello", "object", object))
	c.send(&wire5.Message{Type: wire5.Connect, SerializerID: pyro5Serpent, Data: data})
	m, err := c.recv()
	if err != nil || m.Type != wire5.ConnectOK || !m.HasCorrelationID() {
		c.t.Fatalf("handshake: %v %v", m, err)
	}
}

// header5 is a raw protocol 502 header; fix may break it.
func header5(typ uint8, ser uint8, dataSize, annSize uint32, fix func([]byte)) []byte {
	h := make([]byte, wire5.HeaderSize)
	copy(h, "PYRO")
	binary.BigEndian.PutUint16(h[4:], wire5.ProtocolVersion)
	h[6], h[7] = typ, ser
	binary.BigEndian.PutUint32(h[12:], dataSize)
	binary.BigEndian.PutUint32(h[16:], annSize)
	binary.BigEndian.PutUint16(h[38:], wire5.Magic)
	if fix != nil {
		fix(h)
	}
	return h
}

// TestBadPyro5InputClosesOnlyThatConnection: malformed protocol 502 frames get Pyro5's answers
// (or none) and close their own connection; Pyro4 and Pyro5 clients of the same daemon are
// served throughout.
func TestBadPyro5InputClosesOnlyThatConnection(t *testing.T) {
	cfg := pyro.DaemonConfig{}
	cfg.MaxMessageSize = 1 << 20
	_, uri := startGoEchoServer(t, cfg)
	addr := uri.Address()
	ctx := context.Background()
	good4 := pyrotest.NewProxy(t, uri, pyro.WithProtocol(pyro.Pyro4))
	good5 := pyrotest.NewProxy(t, uri, pyro.WithProtocol(pyro.Pyro5))
	check := func() {
		t.Helper()
		for _, p := range []*pyro.Proxy{good4, good5} {
			if s, err := pyro.CallT[string](ctx, p, "echo", "still here"); err != nil || s != "still here" {
				t.Fatalf("daemon stopped serving %v clients: %q %v", p.WireProtocol(), s, err)
			}
		}
	}
	check()
	serpentCall := func(method string, args ...any) []byte {
		data, _ := serializer.MarshalCall(codec(t, "serpent"), serializer.Call{Object: "test.echoserver", Method: method, Args: args, Kwargs: pyval.NewDict(0)})
		return data
	}

	t.Run("bad magic", func(t *testing.T) {
		c := dialRaw5(t, addr)
		c.nc.Write(header5(wire5.Connect, pyro5Serpent, 0, 0, func(h []byte) { h[39]++ }))
		c.expectConnectFail("invalid message or protocol version")
	})
	t.Run("annotation overruns", func(t *testing.T) {
		c := dialRaw5(t, addr)
		c.nc.Write(append(header5(wire5.Connect, pyro5Serpent, 0, 10, nil), "XTRA\x00\x00\x00\x64ab"...))
		c.expectConnectFail("invalid message or protocol version")
	})
	t.Run("truncated header", func(t *testing.T) {
		c := dialRaw5(t, addr)
		c.nc.Write(header5(wire5.Connect, pyro5Serpent, 0, 0, nil)[:20])
		c.nc.(*net.TCPConn).CloseWrite()
		c.expectClosed()
	})
	t.Run("truncated frame", func(t *testing.T) {
		c := dialRaw5(t, addr)
		c.nc.Write(header5(wire5.Connect, pyro5Serpent, 100, 0, nil))
		c.nc.Write([]byte("# serpent"))
		c.nc.(*net.TCPConn).CloseWrite()
		c.expectClosed()
	})
	t.Run("oversized", func(t *testing.T) {
		c := dialRaw5(t, addr)
		c.nc.Write(header5(wire5.Connect, pyro5Serpent, 1<<30, 0, nil))
		c.expectClosed()
	})
	t.Run("corrupt compressed payload", func(t *testing.T) {
		c := dialRaw5(t, addr)
		c.nc.Write(append(header5(wire5.Connect, pyro5Serpent, 8, 0, func(h []byte) { h[9] = byte(wire5.FlagCompressed) }), "notzlib!"...))
		c.expectConnectFail("invalid message or protocol version")
	})
	t.Run("invoke before connect", func(t *testing.T) {
		c := dialRaw5(t, addr)
		c.send(&wire5.Message{Type: wire5.Invoke, SerializerID: pyro5Serpent, Data: serpentCall("echo", "x")})
		c.expectConnectFail("invalid msg type 4 received (expected: 1)")
	})
	t.Run("unknown serializer", func(t *testing.T) {
		c := dialRaw5(t, addr)
		c.send(&wire5.Message{Type: wire5.Connect, SerializerID: 9, Data: []byte("?")})
		c.expectConnectFail("message used serializer that is not accepted: 9")
	})
	t.Run("unknown object on connect", func(t *testing.T) {
		c := dialRaw5(t, addr)
		data, _ := codec(t, "serpent").Marshal(pyval.DictOf("handshake", "hello", "object", "nope"))
		c.send(&wire5.Message{Type: wire5.Connect, SerializerID: pyro5Serpent, Data: data})
		m, err := c.recv()
		if err != nil || m.Type != wire5.ConnectFail {
			t.Fatalf("got %v %v", m, err)
		}
		if v, _ := codec(t, "serpent").Unmarshal(m.Data); v != "unknown object" {
			t.Fatalf("reason %v", v)
		}
	})
	t.Run("undecodable call answers and closes", func(t *testing.T) {
		// Pyro5 replies with a SerializeError and drops the connection: so do we.
		c := dialRaw5(t, addr)
		c.handshake("test.echoserver")
		c.send(&wire5.Message{Type: wire5.Invoke, Seq: 1, SerializerID: pyro5Serpent, Data: []byte("# serpent utf-8 python3.2\n('unterminated")})
		m, err := c.recv()
		if err != nil || m.Flags&wire5.FlagException == 0 || m.Seq != 1 || !m.HasCorrelationID() {
			t.Fatalf("got %v %v", m, err)
		}
		exc, _ := codec(t, "serpent").Unmarshal(m.Data)
		if class, _ := pyval.ClassOf(exc); class != "Pyro5.errors.SerializeError" {
			t.Fatalf("exception %v", pyval.Repr(exc))
		}
		c.expectClosed()
	})
	t.Run("bad frame after the handshake", func(t *testing.T) {
		c := dialRaw5(t, addr)
		c.handshake("test.echoserver")
		call := serpentCall("echo", "x")
		c.nc.Write(append(header5(wire5.Invoke, pyro5Serpent, uint32(len(call)), 0, func(h []byte) { h[38] = 0 }), call...))
		c.expectClosed()
	})
	t.Run("pyro4 frame after a pyro5 handshake", func(t *testing.T) {
		c := dialRaw5(t, addr)
		c.handshake("test.echoserver")
		c.nc.Write(header(4, 0, 1, 0, 1, 0, nil))
		c.expectClosed()
	})
	t.Run("second connect closes", func(t *testing.T) {
		c := dialRaw5(t, addr)
		c.handshake("test.echoserver")
		data, _ := codec(t, "serpent").Marshal(pyval.DictOf("handshake", "hello", "object", "test.echoserver"))
		c.send(&wire5.Message{Type: wire5.Connect, SerializerID: pyro5Serpent, Data: data})
		c.expectClosed()
	})
	t.Run("a good call on a raw connection", func(t *testing.T) {
		c := dialRaw5(t, addr)
		c.handshake("test.echoserver")
		m := &wire5.Message{Type: wire5.Invoke, Seq: 7, SerializerID: pyro5Serpent, Data: serpentCall("echo", "raw")}
		id := [16]byte{0: 0xaa, 15: 0x55}
		m.SetCorrelationID(id)
		c.send(m)
		r, err := c.recv()
		if err != nil || r.Type != wire5.Result || r.Seq != 7 || r.Flags != wire5.FlagCorrID || r.CorrelationID != id {
			t.Fatalf("reply %v %v", r, err)
		}
		if v, _ := codec(t, "serpent").Unmarshal(r.Data); v != "raw" {
			t.Fatalf("result %v", v)
		}
	})
	check()
}

// TestNoLeakAfterManyBadPyro5Connections: misbehaving Pyro5 connections leave no goroutines
// behind.
func TestNoLeakAfterManyBadPyro5Connections(t *testing.T) {
	_, uri := startGoEchoServer(t, pyro.DaemonConfig{})
	addr := uri.Address()
	good := pyrotest.NewProxy(t, uri, pyro.WithProtocol(pyro.Pyro5))
	if err := good.Call(context.Background(), "echo", nil, "warm up"); err != nil {
		t.Fatal(err)
	}
	settle := func() int {
		for range 20 {
			runtime.GC()
			time.Sleep(20 * time.Millisecond)
		}
		return runtime.NumGoroutine()
	}
	g0 := settle()
	payloads := [][]byte{
		header5(wire5.Connect, pyro5Serpent, 0, 0, func(h []byte) { h[39]++ }), // bad magic: answered
		header5(wire5.Invoke, pyro5Serpent, 0, 0, nil),                         // invoke before connect: answered
		header5(wire5.Connect, pyro5Serpent, 50, 0, nil),                       // truncated: the client hangs up
		[]byte("PYRO\x01"), // a partial prefix, then nothing
	}
	for i := range 400 {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		nc.Write(payloads[i%len(payloads)])
		if i%4 < 2 && i%3 == 0 {
			nc.SetReadDeadline(time.Now().Add(time.Second))
			io.Copy(io.Discard, nc)
		}
		nc.Close()
	}
	var g1 int
	for range 20 {
		if g1 = settle(); g1 <= g0+2 {
			break
		}
	}
	if g1 > g0+2 {
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		t.Fatalf("goroutines: %d before, %d after 400 bad Pyro5 connections\n%s", g0, g1, bytes.TrimSpace(buf[:n]))
	}
	if s, err := pyro.CallT[string](context.Background(), good, "echo", "alive"); err != nil || s != "alive" {
		t.Fatalf("after bad connections: %q %v", s, err)
	}
}
