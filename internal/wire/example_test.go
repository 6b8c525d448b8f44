package wire_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/gopyro/pyro/internal/wire"
)

// A proxy writes a call; the daemon reads it, with the same HMAC key on both sides.
func Example() {
	cfg := &wire.Config{HMACKey: []byte("secret"), Compress: true}
	var conn bytes.Buffer // stands in for a net.Conn

	call := &wire.Message{Type: wire.Invoke, Seq: 1, SerializerID: 1, Data: []byte("serialized call")}
	call.SetCorrelationID([16]byte{0x12, 0x34})
	if err := wire.Write(&conn, call, cfg); err != nil {
		panic(err)
	}
	fmt.Printf("header % x\n", conn.Bytes()[:wire.HeaderSize])

	got, err := wire.Read(&conn, cfg)
	if err != nil {
		panic(err)
	}
	id, _ := got.CorrelationID()
	fmt.Println(got, string(got.Data), id[:2])

	// The peer hung up between messages: io.EOF itself.
	_, err = wire.Read(&conn, cfg)
	fmt.Println(err == io.EOF)
	// Output:
	// header 50 59 52 4f 00 30 00 04 00 00 00 01 00 00 00 0f 00 01 00 30 00 00 35 5e
	// INVOKE seq=1 flags=0 serializer=1 data=15 annotations=[CORR] serialized call [18 52]
	// true
}

// Errors are classified by sentinel, so a daemon can decide whether to answer or hang up.
func ExampleRead_errors() {
	signed, _ := wire.Append(nil, &wire.Message{Type: wire.Ping, SerializerID: wire.PingSerializerID, Data: []byte("ping")},
		&wire.Config{HMACKey: []byte("secret")})

	_, err := wire.Read(bytes.NewReader(signed), nil)
	fmt.Println(errors.Is(err, wire.ErrSecurity), err)

	_, err = wire.Read(bytes.NewReader(signed[:30]), nil)
	fmt.Println(errors.Is(err, wire.ErrProtocol), errors.Is(err, io.ErrUnexpectedEOF))

	_, err = wire.Read(bytes.NewReader(signed), &wire.Config{MaxMessageSize: 16})
	fmt.Println(errors.Is(err, wire.ErrTooLarge), err)
	// Output:
	// true pyro wire: security error: hmac key config not symmetric (message signed: true, key set: false)
	// true true
	// true pyro wire: message too large: max message size exceeded (30 where max=16)
}
