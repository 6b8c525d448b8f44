package wiresniff

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopyro/pyro/internal/wire"
	"github.com/gopyro/pyro/internal/wire5"
)

func pyro4Frame(t *testing.T, m *wire.Message) []byte {
	t.Helper()
	b, err := wire.Append(nil, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func pyro5Frame(t *testing.T, m *wire5.Message) []byte {
	t.Helper()
	b, err := wire5.Append(nil, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Detect picks the protocol, and the frame reader of that protocol then reads the frame
// whole from the same bufio.Reader.
func TestDetectFrames(t *testing.T) {
	p4 := &wire.Message{Type: wire.Connect, Flags: wire.FlagMetaOnConnect, SerializerID: 1, Data: []byte("{'handshake':'hello'}")}
	p4.SetCorrelationID([16]byte{1, 2, 3})
	p5 := &wire5.Message{Type: wire5.Connect, SerializerID: 1, Data: []byte("{'handshake':'hello'}")}
	p5.SetCorrelationID([16]byte{1, 2, 3})
	cases := []struct {
		name  string
		frame []byte
		want  Protocol
	}{
		{"pyro4 connect", pyro4Frame(t, p4), Pyro4},
		{"pyro4 ping (shorter than a Pyro5 header)", pyro4Frame(t, &wire.Message{Type: wire.Ping, SerializerID: wire.PingSerializerID, Data: []byte("ping")}), Pyro4},
		{"pyro4 compressed", func() []byte {
			b, err := wire.Append(nil, &wire.Message{Type: wire.Invoke, SerializerID: 1, Data: bytes.Repeat([]byte("abc"), 200)}, &wire.Config{Compress: true})
			if err != nil {
				t.Fatal(err)
			}
			return b
		}(), Pyro4},
		{"pyro5 connect", pyro5Frame(t, p5), Pyro5},
		{"pyro5 ping", pyro5Frame(t, &wire5.Message{Type: wire5.Ping, SerializerID: wire5.PingSerializerID, Data: []byte("ping")}), Pyro5},
	}
	for _, c := range cases {
		for _, size := range []int{16, 4096} { // bufio's smallest buffer, and its default
			br := bufio.NewReaderSize(bytes.NewReader(c.frame), size)
			got, err := Detect(br)
			if err != nil || got != c.want {
				t.Fatalf("%s: got %v, %v; want %v", c.name, got, err, c.want)
			}
			switch got {
			case Pyro4:
				m, err := wire.Read(br, nil)
				if err != nil {
					t.Fatalf("%s: wire.Read after Detect: %v", c.name, err)
				}
				if m.Type != wire.Connect && m.Type != wire.Ping && m.Type != wire.Invoke {
					t.Fatalf("%s: read %v", c.name, m)
				}
			case Pyro5:
				m, err := wire5.Read(br, nil)
				if err != nil {
					t.Fatalf("%s: wire5.Read after Detect: %v", c.name, err)
				}
				if m.Type != wire5.Connect && m.Type != wire5.Ping {
					t.Fatalf("%s: read %v", c.name, m)
				}
			}
			if _, err := br.ReadByte(); err != io.EOF {
				t.Fatalf("%s: bytes left after the frame", c.name)
			}
		}
	}
}

// Frames that Python wrote: Pyro4's (internal/wire's golden file, from Pyro4.message) and
// Pyro5's (internal/wire5's, from Pyro5.protocol.SendingMessage).
func TestDetectPythonFrames(t *testing.T) {
	var p4 []string
	b, err := os.ReadFile(filepath.Join("..", "wire", "testdata", "python_frames.txt"))
	if err != nil {
		t.Fatal(err)
	}
	p4 = strings.Fields(string(b))
	var p5 []struct{ Frame string }
	b, err = os.ReadFile(filepath.Join("..", "wire5", "testdata", "pyro5_frames.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &p5); err != nil {
		t.Fatal(err)
	}
	check := func(frames []string, want Protocol) {
		if len(frames) < 50 {
			t.Fatalf("only %d %v frames", len(frames), want)
		}
		for _, h := range frames {
			raw, err := hex.DecodeString(h)
			if err != nil {
				t.Fatal(err)
			}
			br := bufio.NewReader(bytes.NewReader(raw))
			if got, err := Detect(br); got != want || err != nil {
				t.Fatalf("% x...: got %v, %v; want %v", raw[:8], got, err, want)
			}
			if want == Pyro4 {
				// Some are signed; the key does not matter to the framing.
				if _, err := wire.Read(br, nil); err != nil && !errors.Is(err, wire.ErrSecurity) {
					t.Fatal(err)
				}
			} else if _, err := wire5.Read(br, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	check(p4, Pyro4)
	var frames []string
	for _, f := range p5 {
		frames = append(frames, f.Frame)
	}
	check(frames, Pyro5)
}

func TestClassify(t *testing.T) {
	cases := []struct {
		in      string
		want    Protocol
		decided bool
	}{
		{"", Unknown, false},
		{"P", Unknown, false},
		{"PYR", Unknown, false},
		{"PYRO", Unknown, false},
		{"PYRO\x00", Unknown, false},
		{"PYRO\x00\x30", Pyro4, true},
		{"PYRO\x01\xf6", Pyro5, true},
		{"PYRO\x01\xf6\x01\x01", Pyro5, true},
		{"PYRO\x00\x2f", Unknown, true}, // Pyro4 4.2x and older
		{"PYRO\x01\xf5", Unknown, true},
		{"G", Unknown, true},
		{"GET / HTTP/1.1\r\n", Unknown, true},
		{"PX", Unknown, true},
		{"PYRX\x00\x30", Unknown, true},
		{"\x16\x03\x01", Unknown, true}, // a TLS ClientHello on a plain port
		{"pyro\x00\x30", Unknown, true},
	}
	for _, c := range cases {
		got, decided := Classify([]byte(c.in))
		if got != c.want || decided != c.decided {
			t.Errorf("Classify(%q) = %v, %v; want %v, %v", c.in, got, decided, c.want, c.decided)
		}
	}
	if Pyro4.String() != "Pyro4" || Pyro5.String() != "Pyro5" || Unknown.String() != "unknown" || Protocol(9).String() != "unknown" {
		t.Error("String")
	}
}

func TestDetectEndOfStream(t *testing.T) {
	cases := []struct {
		in      string
		want    Protocol
		wantErr error
	}{
		{"", Unknown, io.EOF},
		{"P", Unknown, io.ErrUnexpectedEOF},
		{"PYRO\x01", Unknown, io.ErrUnexpectedEOF},
		{"X", Unknown, nil}, // decided before the end
		{"PYRO\x01\xf6", Pyro5, nil},
	}
	for _, c := range cases {
		got, err := Detect(bufio.NewReader(bytes.NewReader([]byte(c.in))))
		if got != c.want || err != c.wantErr {
			t.Errorf("Detect(%q) = %v, %v; want %v, %v", c.in, got, err, c.want, c.wantErr)
		}
	}
}

// Over a real connection: bytes that rule Pyro out decide at once even while the peer keeps
// the connection open; a partial prefix waits, and the read deadline ends the wait.
func TestDetectConn(t *testing.T) {
	dial := func(t *testing.T) (client, server net.Conn) {
		t.Helper()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		client, err = net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		server, err = ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { client.Close(); server.Close() })
		return client, server
	}

	t.Run("not pyro, decided on the first byte", func(t *testing.T) {
		client, server := dial(t)
		if _, err := client.Write([]byte("G")); err != nil {
			t.Fatal(err)
		}
		server.SetReadDeadline(time.Now().Add(10 * time.Second))
		start := time.Now()
		got, err := Detect(bufio.NewReader(server))
		if got != Unknown || err != nil {
			t.Fatalf("got %v, %v", got, err)
		}
		if time.Since(start) > 5*time.Second {
			t.Fatal("Detect waited for bytes it did not need")
		}
	})

	t.Run("prefix in pieces", func(t *testing.T) {
		client, server := dial(t)
		frame := pyro5Frame(t, &wire5.Message{Type: wire5.Connect, SerializerID: 1, Data: []byte("hello")})
		go func() {
			for _, b := range frame[:PrefixSize] {
				client.Write([]byte{b})
				time.Sleep(5 * time.Millisecond)
			}
			client.Write(frame[PrefixSize:])
		}()
		server.SetReadDeadline(time.Now().Add(10 * time.Second))
		br := bufio.NewReader(server)
		got, err := Detect(br)
		if got != Pyro5 || err != nil {
			t.Fatalf("got %v, %v", got, err)
		}
		if m, err := wire5.Read(br, nil); err != nil || string(m.Data) != "hello" {
			t.Fatalf("wire5.Read after Detect: %v, %v", m, err)
		}
	})

	t.Run("partial prefix, deadline", func(t *testing.T) {
		client, server := dial(t)
		if _, err := client.Write([]byte("PYR")); err != nil {
			t.Fatal(err)
		}
		server.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		got, err := Detect(bufio.NewReader(server))
		if got != Unknown || !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("got %v, %v; want the deadline", got, err)
		}
	})

	t.Run("peer hangs up mid-prefix", func(t *testing.T) {
		client, server := dial(t)
		client.Write([]byte("PYRO"))
		client.Close()
		server.SetReadDeadline(time.Now().Add(10 * time.Second))
		got, err := Detect(bufio.NewReader(server))
		if got != Unknown || err != io.ErrUnexpectedEOF {
			t.Fatalf("got %v, %v", got, err)
		}
	})
}
