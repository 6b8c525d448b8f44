package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/internal/wire"
	"github.com/gopyro/pyro/internal/wire5"
)

const (
	hostileBudget   = 256 << 20
	hostileHeadroom = 100 << 20
	// recoverSlack is how far above its starting RSS the server may stay once the attack
	// is over: "near its starting point".
	recoverSlack = 48 << 20
)

// TestHostileClients runs `pyro echoserver --memory-budget 256M` as its own process, built
// by go build (so without -race, which would make its RSS meaningless, even when this test
// runs under -race), and attacks it for 10 s with concurrent zlib bombs (Pyro4 and Pyro5
// frames inflating to 1 GiB of zeros), slow senders of oversized claims (200 MiB, and
// 0x7fffffff followed by 256 MiB), oneway floods, and lists of zeros that fit the budget
// on the wire but not decoded (msgpack and serpent), while another client calls echo.
// The server's RSS, sampled from /proc throughout, must stay under budget + 100 MiB; every
// echo call must be answered within 5 s; and RSS must come back near its starting point
// within 30 s of the end of the attack.
func TestHostileClients(t *testing.T) {
	bin := buildPyro(t)
	pid, addr := startEchoServer(t, bin, "--memory-budget", "256M")
	uri := "PYRO:test.echoserver@" + addr

	// A few calls, of a medium payload too, so the starting point is a server that has
	// served, not a pristine one.
	warm := newProxy(t, uri)
	for range 5 {
		var out any
		if err := warm.Call(context.Background(), "echo", &out, strings.Repeat("x", 1<<20)); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(500 * time.Millisecond)
	start := rss(t, pid)
	t.Logf("starting RSS: %d MiB", start>>20)

	var peak atomic.Int64
	sampling := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Add(1)
	go func() {
		defer sampler.Done()
		for {
			if r, err := readRSS(pid); err == nil && r > peak.Load() {
				peak.Store(r)
			}
			select {
			case <-sampling:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()

	// The other client: an echo call every 100 ms, through the attack and the recovery.
	observer := newProxy(t, uri)
	observing, stopObserving := context.WithCancel(context.Background())
	var calls atomic.Int64
	var slowest atomic.Int64
	observerErr := make(chan error, 1)
	go func() {
		defer close(observerErr)
		for observing.Err() == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			began := time.Now()
			var out string
			err := observer.Call(ctx, "echo", &out, "still there?")
			cancel()
			if d := time.Since(began); int64(d) > slowest.Load() {
				slowest.Store(int64(d))
			}
			if err != nil || out != "still there?" {
				observerErr <- fmt.Errorf("echo call %d during the attack: %q, %v", calls.Load()+1, out, err)
				return
			}
			calls.Add(1)
			time.Sleep(100 * time.Millisecond)
		}
	}()

	attack, stopAttack := context.WithTimeout(context.Background(), 10*time.Second)
	var attackers sync.WaitGroup
	run := func(f func(ctx context.Context)) {
		attackers.Add(1)
		go func() { defer attackers.Done(); f(attack) }()
	}
	bomb := zeroBomb{matches: (1<<30 - 1) / 258} // inflates to 1 GiB less 3 bytes
	for i := range 4 {
		run(func(ctx context.Context) { bombs(ctx, t, addr, i%2 == 1, bomb) })
	}
	for i := range 4 {
		run(func(ctx context.Context) { slowSender(ctx, t, addr, i%2 == 1, 200<<20, 20<<20) })
	}
	run(func(ctx context.Context) { slowSender(ctx, t, addr, false, 0x7fffffff, 256<<20) })
	for i := range 4 {
		run(func(ctx context.Context) { onewayFlood(ctx, t, uri, i%2 == 1) })
	}
	run(func(ctx context.Context) { expander(ctx, t, uri, "msgpack", 24_000_000) }) // 24 MB, 384 MB decoded
	run(func(ctx context.Context) { expander(ctx, t, uri, "serpent", 24_000_000) }) // 72 MB, 384 MB decoded
	attackers.Wait()
	stopAttack()
	attackPeak := peak.Load()
	t.Logf("peak RSS during the attack: %d MiB (limit %d MiB)", attackPeak>>20, (hostileBudget+hostileHeadroom)>>20)

	// Recovery: poll until RSS is back near the start.
	var recovered int64
	deadline := time.Now().Add(30 * time.Second)
	ended := time.Now()
	for {
		recovered = rss(t, pid)
		if recovered <= start+recoverSlack || time.Now().After(deadline) {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Logf("RSS %v after the attack: %d MiB (start %d MiB)", time.Since(ended).Round(time.Millisecond), recovered>>20, start>>20)
	stopObserving()
	if err := <-observerErr; err != nil {
		t.Error(err)
	}
	close(sampling)
	sampler.Wait()
	t.Logf("observer: %d echo calls answered, slowest %v", calls.Load(), time.Duration(slowest.Load()).Round(time.Millisecond))

	t.Logf("peak RSS throughout: %d MiB", peak.Load()>>20)
	if p := peak.Load(); p >= hostileBudget+hostileHeadroom {
		t.Errorf("peak RSS %d MiB, over budget + headroom (%d MiB)", p>>20, (hostileBudget+hostileHeadroom)>>20)
	}
	// Calls follow each other, each within 5 s: answered throughout. A handful means the
	// observer really ran (under -race this process is slow to make them).
	if calls.Load() < 10 {
		t.Errorf("only %d echo calls answered during 10 s of attack", calls.Load())
	}
	if recovered > start+recoverSlack {
		t.Errorf("RSS still %d MiB 30 s after the attack, started at %d MiB", recovered>>20, start>>20)
	}
}

// buildPyro builds the pyro command with go build, without -race.
func buildPyro(t *testing.T) string {
	t.Helper()
	goCmd, err := exec.LookPath("go") // go test puts its own GOROOT/bin first in PATH
	if err != nil {
		t.Fatal("the go command is needed to build pyro for the hostile-input test:", err)
	}
	bin := filepath.Join(t.TempDir(), "pyro")
	cmd := exec.Command(goCmd, "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startEchoServer starts the built pyro echoserver and returns its pid and address; it is
// killed at cleanup, and its log shown if the test failed.
func startEchoServer(t *testing.T, bin string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"echoserver", "-p", "0", "-H", "127.0.0.1"}, args...)...)
	cmd.Env = append(os.Environ(), "GOTRACEBACK=all")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if uri, ok := strings.CutPrefix(sc.Text(), "echo uri: "); ok {
			go io.Copy(io.Discard, stdout)
			_, addr, _ := strings.Cut(uri, "@")
			return cmd.Process.Pid, addr
		}
	}
	t.Fatalf("echoserver gave no URI: %v\n%s", sc.Err(), logs.String())
	return 0, ""
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.b.Len() < 1<<20 {
		s.b.Write(p)
	}
	return len(p), nil
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newProxy(t *testing.T, uri string) *pyro.Proxy {
	t.Helper()
	p, err := pyro.NewProxy(uri, pyro.WithSerializer("marshal"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// readRSS reads a process's resident set size from /proc.
func readRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

func rss(t *testing.T, pid int) int64 {
	t.Helper()
	r, err := readRSS(pid)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// handshake opens a connection to the echo server and passes the CONNECT exchange, in
// Pyro5 or Pyro4, with the json serializer.
func handshake(ctx context.Context, t *testing.T, addr string, pyro5 bool) net.Conn {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		t.Errorf("dial: %v", err)
		return nil
	}
	hello := []byte(`{"handshake": "hello", "object": "test.echoserver"}`)
	if pyro5 {
		err = wire5.Write(nc, &wire5.Message{Type: wire5.Connect, SerializerID: 3, Data: hello}, nil)
		if err == nil {
			_, err = wire5.Read(bufio.NewReader(nc), nil)
		}
	} else {
		err = wire.Write(nc, &wire.Message{Type: wire.Connect, SerializerID: 2, Data: hello}, nil)
		if err == nil {
			_, err = wire.Read(bufio.NewReader(nc), nil)
		}
	}
	if err != nil {
		nc.Close()
		t.Errorf("handshake: %v", err)
		return nil
	}
	context.AfterFunc(ctx, func() { nc.Close() })
	return nc
}

// invokeHeader is the header of an INVOKE frame of dataSize bytes of json, no annotations.
func invokeHeader(pyro5 bool, flags uint16, dataSize uint32) []byte {
	if pyro5 {
		h := make([]byte, 40)
		copy(h, "PYRO")
		binary.BigEndian.PutUint16(h[4:], wire5.ProtocolVersion)
		h[6], h[7] = wire5.Invoke, 3
		binary.BigEndian.PutUint16(h[8:], flags)
		binary.BigEndian.PutUint16(h[10:], 1)
		binary.BigEndian.PutUint32(h[12:], dataSize)
		binary.BigEndian.PutUint16(h[38:], wire5.Magic)
		return h
	}
	h := make([]byte, 24)
	copy(h, "PYRO")
	binary.BigEndian.PutUint16(h[4:], wire.ProtocolVersion)
	binary.BigEndian.PutUint16(h[6:], wire.Invoke)
	binary.BigEndian.PutUint16(h[8:], flags)
	binary.BigEndian.PutUint16(h[10:], 1)
	binary.BigEndian.PutUint32(h[12:], dataSize)
	binary.BigEndian.PutUint16(h[16:], 2)
	sum := uint32(wire.Invoke) + wire.ProtocolVersion + dataSize + 2 + uint32(flags) + 1 + wire.ChecksumMagic
	binary.BigEndian.PutUint16(h[22:], uint16(sum))
	return h
}

// bombs sends compressed INVOKE frames inflating to 1 GiB, one connection at a time, each
// after the server has dealt with the previous one, until ctx ends.
func bombs(ctx context.Context, t *testing.T, addr string, pyro5 bool, z zeroBomb) {
	for ctx.Err() == nil {
		nc := handshake(ctx, t, addr, pyro5)
		if nc == nil {
			return
		}
		nc.Write(invokeHeader(pyro5, wire.FlagCompressed, uint32(z.size())))
		if err := z.writeTo(nc); err == nil {
			io.Copy(io.Discard, nc) // until the server closes the connection
		}
		nc.Close()
	}
}

// slowSender claims a frame of claim bytes and sends up to send bytes of it at 20 MiB/s,
// then hangs up.
func slowSender(ctx context.Context, t *testing.T, addr string, pyro5 bool, claim uint32, send int) {
	nc := handshake(ctx, t, addr, pyro5)
	if nc == nil {
		return
	}
	defer nc.Close()
	if _, err := nc.Write(invokeHeader(pyro5, 0, claim)); err != nil {
		return
	}
	chunk := make([]byte, 1<<20)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for sent := 0; sent < send; sent += len(chunk) {
		if _, err := nc.Write(chunk); err != nil {
			return // refused: the server closed the connection
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// onewayFlood sends oneway calls as fast as the server takes them: slow ones, or echoes of
// 100 KB.
func onewayFlood(ctx context.Context, t *testing.T, uri string, slow bool) {
	p, err := pyro.NewProxy(uri, pyro.WithSerializer("marshal"), pyro.WithSingleConnection())
	if err != nil {
		t.Error(err)
		return
	}
	defer p.Close()
	payload := make([]byte, 100_000)
	for ctx.Err() == nil {
		if slow {
			err = p.Call(ctx, "oneway_slow", nil)
		} else {
			err = p.Call(ctx, "oneway_echo", nil, payload)
		}
		if err != nil && ctx.Err() == nil && !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("oneway call: %v", err)
			return
		}
	}
}

// expander sends, until ctx ends, echo calls whose frames fit the budget but whose values
// do not: a list of zeros, one byte an element in msgpack (sixteen in Go), three in serpent.
// The daemon must refuse them while they decode (the connection is closed); a reply, if
// one came, would mean the server built them.
func expander(ctx context.Context, t *testing.T, uri, ser string, n int) {
	list := make([]any, n)
	for i := range list {
		list[i] = 0
	}
	for ctx.Err() == nil {
		p, err := pyro.NewProxy(uri, pyro.WithSerializer(ser), pyro.WithSingleConnection())
		if err != nil {
			t.Error(err)
			return
		}
		var out []any
		if err := p.Call(ctx, "echo", &out, list); err == nil {
			t.Errorf("%s: %d zeros echoed: the server built them beyond its budget", ser, len(out))
		}
		p.Close()
	}
}
