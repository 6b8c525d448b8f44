package wire5_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/gopyro/pyro/internal/wire5"
)

// A proxy writes a call with a correlation id; the daemon reads it.
func Example() {
	cfg := &wire5.Config{Compress: true}
	var conn bytes.Buffer // stands in for a net.Conn

	call := &wire5.Message{Type: wire5.Invoke, Seq: 1, SerializerID: 1, Data: []byte("serialized call")}
	call.SetCorrelationID([16]byte{0x12, 0x34})
	call.SetAnnotation("XTRA", []byte("x"))
	if err := wire5.Write(&conn, call, cfg); err != nil {
		panic(err)
	}
	fmt.Printf("header % x\n", conn.Bytes()[:wire5.HeaderSize])

	got, err := wire5.Read(&conn, cfg)
	if err != nil {
		panic(err)
	}
	fmt.Println(got, string(got.Data), got.HasCorrelationID(), got.CorrelationID[:2])

	// The peer hung up between messages: io.EOF itself.
	_, err = wire5.Read(&conn, cfg)
	fmt.Println(err == io.EOF)
	// Output:
	// header 50 59 52 4f 01 f6 04 01 00 40 00 01 00 00 00 0f 00 00 00 09 12 34 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 4d c5
	// INVOKE seq=1 flags=CORR_ID serializer=1 data=15 corr=12340000000000000000000000000000 annotations=[XTRA] serialized call true [18 52]
	// true
}

// Errors are classified by sentinel, so a daemon can tell a peer that hung up from a broken
// or oversized frame; either way it closes the connection.
func ExampleRead_errors() {
	ping, _ := wire5.Append(nil, &wire5.Message{Type: wire5.Ping, SerializerID: wire5.PingSerializerID, Data: []byte("ping")}, nil)

	_, err := wire5.Read(bytes.NewReader(ping[:30]), nil)
	fmt.Println(errors.Is(err, wire5.ErrProtocol), errors.Is(err, io.ErrUnexpectedEOF))

	_, err = wire5.Read(bytes.NewReader(ping), &wire5.Config{MaxMessageSize: 3})
	fmt.Println(errors.Is(err, wire5.ErrTooLarge), err)

	pyro4 := []byte("PYRO\x00\x30\x00\x06")
	_, err = wire5.Read(bytes.NewReader(pyro4), nil)
	fmt.Println(errors.Is(err, wire5.ErrProtocol), err)
	// Output:
	// true true
	// true pyro5 wire: message too large: max message size exceeded (4 where max=3)
	// true pyro5 wire: protocol error: unsupported protocol version 48 (a Pyro4 peer?), want 502
}
