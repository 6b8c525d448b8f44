package wiresniff_test

import (
	"bufio"
	"bytes"
	"fmt"

	"github.com/gopyro/pyro/internal/wire"
	"github.com/gopyro/pyro/internal/wire5"
	"github.com/gopyro/pyro/internal/wiresniff"
)

// A daemon picks the frame reader for a new connection from its first bytes. On a real
// connection it sets a read deadline first.
func ExampleDetect() {
	var conn bytes.Buffer // stands in for a net.Conn
	_ = wire5.Write(&conn, &wire5.Message{Type: wire5.Connect, SerializerID: 1, Data: []byte("handshake")}, nil)

	br := bufio.NewReader(&conn)
	p, err := wiresniff.Detect(br)
	if err != nil {
		panic(err)
	}
	fmt.Println(p)
	switch p {
	case wiresniff.Pyro4:
		m, _ := wire.Read(br, nil)
		fmt.Println(m)
	case wiresniff.Pyro5:
		m, _ := wire5.Read(br, nil)
		fmt.Println(m)
	}
	// Output:
	// Pyro5
	// CONNECT seq=0 flags=0 serializer=1 data=9 annotations=[]
}
