package wire5

import (
	"bufio"
	"net"
	"testing"
)

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

// A large payload goes out beside its header with writev instead of being copied; the frame
// on the wire is the same, compressed too.
func TestWriteVectored(t *testing.T) {
	client, server := tcpPair(t)
	br := bufio.NewReader(server)
	payload := compressible(1 << 20)
	for _, cfg := range []*Config{nil, {Compress: true}} {
		m := &Message{Type: Result, Seq: 7, SerializerID: 4, Data: payload}
		m.SetAnnotation("XTRA", make([]byte, 16))
		want, err := Append(nil, m, cfg)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- Write(client, m, cfg) }()
		got := make([]byte, len(want))
		if _, err := readFull(br, got); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Fatalf("config %+v: the vectored frame differs from Append's", cfg)
		}
	}
	if !raceEnabled {
		go func() { // drain
			buf := make([]byte, 64<<10)
			for {
				if _, err := br.Read(buf); err != nil {
					return
				}
			}
		}()
		m := &Message{Type: Result, SerializerID: 4, Data: payload}
		// net.Buffers and its array escape; the payload is not copied into a new buffer.
		if n := testing.AllocsPerRun(10, func() { _ = Write(client, m, nil) }); n > 2 {
			t.Errorf("vectored Write of a 1 MiB frame allocates %v times, want at most 2", n)
		}
	}
}

func readFull(r *bufio.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		k, err := r.Read(b[n:])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
