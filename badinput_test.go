package pyro_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/internal/wire"
	"github.com/gopyro/pyro/pyrotest"
	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

func codec(t testing.TB, name string) serializer.Codec {
	t.Helper()
	c, err := serializer.ByName(name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// rawConn is a client speaking the wire protocol by hand.
type rawConn struct {
	t  testing.TB
	nc net.Conn
	br *bufio.Reader
}

func dialRaw(t testing.TB, addr string) *rawConn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	t.Cleanup(func() { nc.Close() })
	return &rawConn{t: t, nc: nc, br: bufio.NewReader(nc)}
}

func (c *rawConn) send(m *wire.Message) {
	c.t.Helper()
	if err := wire.Write(c.nc, m, nil); err != nil {
		c.t.Fatal(err)
	}
}

func (c *rawConn) recv() (*wire.Message, error) { return wire.Read(c.br, nil) }

// expectClosed asserts the daemon closed the connection without a (further) reply.
func (c *rawConn) expectClosed() {
	c.t.Helper()
	if m, err := c.recv(); err == nil {
		c.t.Fatalf("expected the connection closed, got %v", m)
	}
}

// expectConnectFail asserts a CONNECTFAIL in marshal with the given reason, then a close.
func (c *rawConn) expectConnectFail(reason string) {
	c.t.Helper()
	m, err := c.recv()
	if err != nil {
		c.t.Fatalf("expected CONNECTFAIL %q, got %v", reason, err)
	}
	if m.Type != wire.ConnectFail || m.SerializerID != serializer.MarshalID {
		c.t.Fatalf("expected a marshal CONNECTFAIL, got %v", m)
	}
	got, err := codec(c.t, "marshal").Unmarshal(m.Data)
	if err != nil || got != reason {
		c.t.Fatalf("CONNECTFAIL reason %q (%v), want %q", got, err, reason)
	}
	c.expectClosed()
}

func (c *rawConn) handshake(ser string, object string) {
	c.t.Helper()
	cd := codec(c.t, ser)
	data, _ := cd.Marshal(pyval.DictOf("handshake", "hello", "object", object))
	c.send(&wire.Message{Type: wire.Connect, Flags: wire.FlagMetaOnConnect, SerializerID: uint16(cd.ID()), Data: data})
	m, err := c.recv()
	if err != nil || m.Type != wire.ConnectOK {
		c.t.Fatalf("handshake: %v %v", m, err)
	}
}

func header(typ, flags, seq uint16, size int32, ser, ann uint16, fix func([]byte)) []byte {
	h := make([]byte, 24)
	copy(h, "PYRO")
	binary.BigEndian.PutUint16(h[4:], 48)
	binary.BigEndian.PutUint16(h[6:], typ)
	binary.BigEndian.PutUint16(h[8:], flags)
	binary.BigEndian.PutUint16(h[10:], seq)
	binary.BigEndian.PutUint32(h[12:], uint32(size))
	binary.BigEndian.PutUint16(h[16:], ser)
	binary.BigEndian.PutUint16(h[18:], ann)
	sum := uint32(typ) + 48 + uint32(size) + uint32(ann) + uint32(ser) + uint32(flags) + uint32(seq) + 0x34E9
	binary.BigEndian.PutUint16(h[22:], uint16(sum))
	if fix != nil {
		fix(h)
	}
	return h
}

func TestBadInputGetsClearErrorsAndDaemonServesOthers(t *testing.T) {
	cfg := pyro.DaemonConfig{}
	cfg.MaxMessageSize = 1 << 20
	_, uri := startGoEchoServer(t, cfg)
	addr := uri.Address()
	ctx := context.Background()
	good := pyrotest.NewProxy(t, uri)
	check := func() {
		t.Helper()
		if s, err := pyro.CallT[string](ctx, good, "echo", "still here"); err != nil || s != "still here" {
			t.Fatalf("daemon stopped serving others: %q %v", s, err)
		}
	}
	check()

	t.Run("garbage", func(t *testing.T) {
		c := dialRaw(t, addr)
		c.nc.Write([]byte(strings.Repeat("garbage!", 4)))
		c.expectConnectFail("invalid data or unsupported protocol version")
	})
	t.Run("wrong version", func(t *testing.T) {
		c := dialRaw(t, addr)
		c.nc.Write(header(1, 0, 0, 0, 1, 0, func(h []byte) { h[5] = 47 }))
		c.expectConnectFail("invalid data or unsupported protocol version")
	})
	t.Run("bad checksum", func(t *testing.T) {
		c := dialRaw(t, addr)
		c.nc.Write(header(1, 0, 0, 0, 1, 0, func(h []byte) { h[23]++ }))
		c.expectConnectFail("invalid data or unsupported protocol version")
	})
	t.Run("truncated frame", func(t *testing.T) {
		c := dialRaw(t, addr)
		c.nc.Write(header(1, 16, 0, 100, 1, 0, nil))
		c.nc.Write([]byte("# serpent"))
		c.nc.(*net.TCPConn).CloseWrite()
		c.expectClosed()
	})
	t.Run("oversized", func(t *testing.T) {
		c := dialRaw(t, addr)
		c.nc.Write(header(1, 16, 0, 1<<30, 1, 0, nil))
		c.expectClosed()
	})
	t.Run("negative size", func(t *testing.T) {
		c := dialRaw(t, addr)
		c.nc.Write(header(1, 16, 0, -5, 1, 0, nil))
		c.expectConnectFail("invalid data or unsupported protocol version")
	})
	t.Run("unknown serializer", func(t *testing.T) {
		c := dialRaw(t, addr)
		c.send(&wire.Message{Type: wire.Connect, SerializerID: serializer.PickleID, Data: []byte("\x80\x04N.")})
		c.expectConnectFail("message used serializer that is not accepted: 4")
	})
	t.Run("invoke before connect", func(t *testing.T) {
		c := dialRaw(t, addr)
		c.send(&wire.Message{Type: wire.Invoke, SerializerID: serializer.SerpentID, Data: []byte("x")})
		c.expectConnectFail("invalid msg type 4 received")
	})
	t.Run("unknown object on connect", func(t *testing.T) {
		c := dialRaw(t, addr)
		data, _ := codec(t, "serpent").Marshal(pyval.DictOf("handshake", "hello", "object", "nope"))
		c.send(&wire.Message{Type: wire.Connect, Flags: wire.FlagMetaOnConnect, SerializerID: serializer.SerpentID, Data: data})
		m, err := c.recv()
		if err != nil || m.Type != wire.ConnectFail {
			t.Fatalf("got %v %v", m, err)
		}
		if v, _ := codec(t, "serpent").Unmarshal(m.Data); v != "unknown object" {
			t.Fatalf("reason %v", v)
		}
	})
	t.Run("undecodable call keeps the connection", func(t *testing.T) {
		c := dialRaw(t, addr)
		c.handshake("serpent", "test.echoserver")
		c.send(&wire.Message{Type: wire.Invoke, Seq: 1, SerializerID: serializer.SerpentID, Data: []byte("# serpent utf-8 python3.2\n('unterminated")})
		m, err := c.recv()
		if err != nil || m.Flags&wire.FlagException == 0 {
			t.Fatalf("got %v %v", m, err)
		}
		exc, _ := codec(t, "serpent").Unmarshal(m.Data)
		if class, _ := pyval.ClassOf(exc); class != "Pyro4.errors.SerializeError" {
			t.Fatalf("exception %v", pyval.Repr(exc))
		}
		// The same connection still serves a proper call.
		data, _ := serializer.MarshalCall(codec(t, "serpent"), serializer.Call{Object: "test.echoserver", Method: "echo", Args: []any{"ok"}, Kwargs: pyval.NewDict(0)})
		c.send(&wire.Message{Type: wire.Invoke, Seq: 2, SerializerID: serializer.SerpentID, Data: data})
		if m, err := c.recv(); err != nil || m.Seq != 2 || m.Flags != 0 {
			t.Fatalf("call after bad call: %v %v", m, err)
		}
	})
	t.Run("wrong argument types", func(t *testing.T) {
		var re *pyro.RemoteError
		if err := good.Call(ctx, "echo", nil, 1, 2, 3); !errors.As(err, &re) || re.Class != "builtins.TypeError" {
			t.Fatalf("echo(1,2,3): %v", err)
		}
	})
	t.Run("second connect closes", func(t *testing.T) {
		c := dialRaw(t, addr)
		c.handshake("serpent", "test.echoserver")
		data, _ := codec(t, "serpent").Marshal(pyval.DictOf("handshake", "hello", "object", "test.echoserver"))
		c.send(&wire.Message{Type: wire.Connect, SerializerID: serializer.SerpentID, Data: data})
		c.expectClosed()
	})
	check()
}

// TestNoLeakAfterManyBadConnections opens 1,000 connections that misbehave in assorted ways
// and checks that goroutines and heap return to where they were.
func TestNoLeakAfterManyBadConnections(t *testing.T) {
	_, uri := startGoEchoServer(t, pyro.DaemonConfig{})
	addr := uri.Address()
	good := pyrotest.NewProxy(t, uri)
	if err := good.Call(context.Background(), "echo", nil, "warm up"); err != nil {
		t.Fatal(err)
	}
	settle := func() (int, uint64) {
		var ms runtime.MemStats
		for range 50 {
			runtime.GC()
			time.Sleep(20 * time.Millisecond)
		}
		runtime.ReadMemStats(&ms)
		return runtime.NumGoroutine(), ms.HeapAlloc
	}
	g0, h0 := settle()
	payloads := []struct {
		data    []byte
		answers bool // the daemon replies (CONNECTFAIL) before closing
	}{
		{[]byte("garbage garbage garbage garbage"), true},
		{header(1, 0, 0, 0, 1, 0, func(h []byte) { h[23]++ }), true},
		{header(4, 0, 1, 0, 1, 0, nil), true},    // invoke before connect
		{header(1, 16, 0, 50, 1, 0, nil), false}, // truncated: the client hangs up mid-frame
		{nil, false},                             // connect and hang up at once
	}
	for i := range 1000 {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		p := payloads[i%len(payloads)]
		nc.Write(p.data)
		if p.answers && i%3 == 0 {
			nc.SetReadDeadline(time.Now().Add(time.Second))
			io.Copy(io.Discard, nc)
		}
		nc.Close()
	}
	var g1 int
	var h1 uint64
	for range 20 {
		if g1, h1 = settle(); g1 <= g0+2 {
			break
		}
	}
	if g1 > g0+2 {
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		t.Fatalf("goroutines: %d before, %d after 1000 bad connections\n%s", g0, g1, bytes.TrimSpace(buf[:n]))
	}
	if h1 > h0+4<<20 {
		t.Errorf("heap grew from %d to %d bytes after 1000 bad connections", h0, h1)
	}
	if s, err := pyro.CallT[string](context.Background(), good, "echo", "alive"); err != nil || s != "alive" {
		t.Fatalf("after bad connections: %q %v", s, err)
	}
	t.Logf("1000 bad connections: goroutines %d → %d, heap %d → %d bytes", g0, g1, h0, h1)
}
