package wire

import (
	"bufio"
	"bytes"
	"testing"

	"github.com/gopyro/pyro/internal/framing"
)

// A spliced payload makes the frame of its joined payload, on a socket (writev), through a
// writer that is not vectored, and signed or compressed (joined first).
func TestWriteSplice(t *testing.T) {
	client, server := tcpPair(t)
	br := bufio.NewReader(server)
	big := compressible(1 << 20)
	data := []byte("before|after")
	for _, at := range []int{0, 7, len(data)} {
		for _, cfg := range []*Config{nil, {HMACKey: []byte("secret")}, {Compress: true}} {
			m := &Message{Type: Result, Seq: 7, SerializerID: 4, Data: data, Splice: framing.Splice{Bytes: big, At: at}}
			m.SetAnnotation("XTRA", make([]byte, 16))
			want, err := Append(nil, &Message{Type: Result, Seq: 7, SerializerID: 4, Data: m.Splice.Join(data), Annotations: m.Annotations}, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := Append(nil, m, cfg); err != nil || !bytes.Equal(got, want) {
				t.Fatalf("at %d, config %+v: Append of the splice differs (%v)", at, cfg, err)
			}
			var buf bytes.Buffer
			if err := Write(&buf, m, cfg); err != nil || !bytes.Equal(buf.Bytes(), want) {
				t.Fatalf("at %d, config %+v: Write to a buffer differs (%v)", at, cfg, err)
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
			if !bytes.Equal(got, want) {
				t.Fatalf("at %d, config %+v: the spliced frame differs from the joined one", at, cfg)
			}
		}
	}
}
