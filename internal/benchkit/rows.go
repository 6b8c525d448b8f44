package benchkit

import (
	"context"
	"fmt"
	"net/rpc"
	"strings"
	"time"

	"github.com/gopyro/pyro"
)

// Row names of the batch rows.
const (
	RowGoBatch     = "Go batch → Go daemon"
	RowNetRPCBatch = "net/rpc, batch's calls in flight"
)

// PayloadRow names a payload row: "bytes result 1 MB: " and who moves it.
func PayloadRow(dir Direction, size int, who string) string {
	return fmt.Sprintf("bytes %s %s: %s", dir, SizeName(size), who)
}

// SizeName writes a payload size as "64 KB" or "16 MB".
func SizeName(n int) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	if n >= 1<<10 && n%(1<<10) == 0 {
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}

// addBatchTargets adds, with one caller, a Go proxy running batches of opts.Batch echo calls
// (one round trip each) and net/rpc with as many calls in flight on one client; their rates
// count calls, and "× raw" compares them with the one-caller raw ping-pong of echo's frames.
func addBatchTargets(ctx context.Context, targets *[]*target, opts Options, uri string, rpcSrv *NetRPCServer, progress func(string, ...any)) error {
	if opts.Batch < 1 {
		return nil
	}
	n := int64(opts.Batch)
	p, err := NewProxy(ctx, uri, opts.Serializer)
	if err != nil {
		return fmt.Errorf("%s: %w", RowGoBatch, err)
	}
	call := BatchCaller(p, opts.Batch)
	*targets = append(*targets, &target{name: RowGoBatch, callers: 1, perCall: n, warm: 5,
		goAllocs: true, cpuAll: opts.Target == "", closers: []func() error{p.Close},
		run: func(ctx context.Context, calls int64, d time.Duration) (Sample, error) {
			return RunCallers(ctx, []Caller{call}, ceilDiv(calls, n), d)
		}})
	c, err := DialNetRPC(ctx, rpcSrv.Addr())
	if err != nil {
		return fmt.Errorf("%s: %w", RowNetRPCBatch, err)
	}
	rcall := NetRPCBatchCaller(c, opts.Batch)
	*targets = append(*targets, &target{name: RowNetRPCBatch, callers: 1, perCall: n, warm: 5,
		goAllocs: true, cpuAll: true, closers: []func() error{c.Close},
		run: func(ctx context.Context, calls int64, d time.Duration) (Sample, error) {
			return RunCallers(ctx, []Caller{rcall}, ceilDiv(calls, n), d)
		}})
	return nil
}

func ceilDiv(a, b int64) int64 {
	if a <= 0 {
		return a
	}
	return (a + b - 1) / b
}

// BatchCaller is a Caller running a batch of n echo(Message) calls through p (one round trip)
// and checking every result.
func BatchCaller(p *pyro.Proxy, n int) Caller {
	return func(ctx context.Context) error {
		b := p.Batch()
		for range n {
			b.Add("echo", Message)
		}
		res, err := b.Run(ctx)
		if err != nil {
			return err
		}
		if len(res) != n {
			return fmt.Errorf("batch returned %d results, want %d", len(res), n)
		}
		for _, r := range res {
			if r != Message {
				return fmt.Errorf("batch echo returned %v", r)
			}
		}
		return nil
	}
}

// NetRPCBatchCaller is a Caller making n echo calls on c at once (net/rpc multiplexes them
// over its one connection) and waiting for all.
func NetRPCBatchCaller(c *rpc.Client, n int) Caller {
	replies := make([]string, n)
	calls := make([]*rpc.Call, n)
	done := make(chan *rpc.Call, n)
	return func(ctx context.Context) error {
		for i := range calls {
			calls[i] = c.Go("Echo.Echo", Message, &replies[i], done)
		}
		for range calls {
			call := <-done
			if call.Error != nil {
				return call.Error
			}
		}
		for _, r := range replies {
			if r != Message {
				return fmt.Errorf("echo returned %q", r)
			}
		}
		return nil
	}
}

// addPayloadTargets adds, for each size and direction, a raw TCP ping-pong carrying the
// payload, a Go proxy moving it to or from the in-process Go daemon (uri, its Payload object)
// with each of PayloadSerializers, and with a Python daemon, a Go proxy and a Python Pyro4
// client against it (marshal, as Pyro4's hugetransfer example would use for speed).
func addPayloadTargets(ctx context.Context, targets *[]*target, opts Options, uri string, py *PythonDaemon, progress func(string, ...any)) error {
	if uri == "" || len(opts.Payloads) == 0 {
		return nil
	}
	pyURI := ""
	if py != nil {
		pyURI = strings.Replace(py.URI, ":"+ObjectID+"@", ":"+PayloadID+"@", 1)
	}
	one := func(name, base string, size int, c Caller, closer func() error, cpuAll bool) {
		*targets = append(*targets, &target{name: name, base: base, bytes: size, callers: 1, warm: 2,
			goAllocs: true, cpuAll: cpuAll, closers: []func() error{closer},
			run: func(ctx context.Context, calls int64, d time.Duration) (Sample, error) {
				return RunCallers(ctx, []Caller{c}, calls, d)
			}})
	}
	for _, size := range opts.Payloads {
		for _, dir := range []Direction{Result, Argument} {
			progress("payload rows: bytes %s of %s", dir, SizeName(size))
			raw := PayloadRow(dir, size, "raw TCP")
			sizes := PayloadSizes(dir, size)
			srv, err := StartRawServer(sizes)
			if err != nil {
				return err
			}
			c, closeConn, err := DialRaw(ctx, srv.Addr(), sizes)
			if err != nil {
				srv.Close()
				return err
			}
			one(raw, raw, size, c, func() error { closeConn(); return srv.Close() }, true)
			for _, ser := range PayloadSerializers {
				p, err := NewProxy(ctx, uri, ser)
				if err != nil {
					return fmt.Errorf("payload %s: %w", ser, err)
				}
				one(PayloadRow(dir, size, "Go → Go, "+ser), raw, size, PayloadCaller(p, dir, size), p.Close, true)
			}
			if pyURI == "" {
				continue
			}
			p, err := NewProxy(ctx, pyURI, "marshal")
			if err != nil {
				return fmt.Errorf("payload, Python daemon: %w", err)
			}
			// CPU incomplete: the Python daemon's is not counted here
			one(PayloadRow(dir, size, "Go → Python daemon, marshal"), raw, size, PayloadCaller(p, dir, size), p.Close, false)
			pc, err := StartPythonPayloadClient(ctx, pyURI, "marshal", size, dir)
			if err != nil {
				return fmt.Errorf("payload, Python client: %w", err)
			}
			*targets = append(*targets, &target{name: PayloadRow(dir, size, "Python → Python daemon, marshal"), base: raw,
				bytes: size, callers: 1, warm: 2, cpuAll: true, pids: []int{pc.PID(), py.PID()}, run: pc.Run,
				closers: []func() error{pc.Close}})
		}
	}
	return nil
}
