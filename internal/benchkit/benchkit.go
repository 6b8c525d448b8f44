// Package benchkit measures small-call throughput on loopback: a Go proxy calling a Go daemon,
// a raw TCP ping-pong of the same frame sizes, net/rpc, and Python Pyro4 clients and daemons.
// The root package's benchmarks and the pyro bench command (Command) share it, so both measure
// the same thing the same way.
package benchkit

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// ObjectID is the id the benchmark's echo object is registered under.
const ObjectID = "bench.echo"

// Message is the argument of every benchmarked call, as in Pyro4's own echo("hello").
const Message = "hello"

// Echo is the remote object of the Go daemon benchmarks: echo(message) returns message.
type Echo struct{}

// Echo returns its argument.
func (*Echo) Echo(message string) string { return message }

// Caller makes one call. Each concurrent caller has its own, so a Caller need not be safe for
// concurrent use (though a Go proxy's are, sharing one proxy).
type Caller func(ctx context.Context) error

// Sample is the outcome of one timed run.
type Sample struct {
	Calls   int64
	Elapsed time.Duration
	// Mallocs is the process's heap allocation count during the run (both ends of the call
	// when the server runs in this process).
	Mallocs uint64
	// CPU is the CPU time (user and system) this process and the other processes measured
	// with it used during the run; it depends far less on machine load than the rate does.
	// CPUKnown is false where it could not be read.
	CPU      time.Duration
	CPUKnown bool
	// Latency holds each call's latency (a batch's or a payload call's whole round trip);
	// nil where the row cannot see them.
	Latency *Latency
}

// Rate is calls per second.
func (s Sample) Rate() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Calls) / s.Elapsed.Seconds()
}

// AllocsPerCall is heap allocations per call.
func (s Sample) AllocsPerCall() float64 {
	if s.Calls == 0 {
		return 0
	}
	return float64(s.Mallocs) / float64(s.Calls)
}

// CPUPerCall is CPU time per call, or 0 when unknown.
func (s Sample) CPUPerCall() time.Duration {
	if s.Calls == 0 || !s.CPUKnown {
		return 0
	}
	return s.CPU / time.Duration(s.Calls)
}

// Add sums two samples; the zero Sample is the identity.
func (s Sample) Add(o Sample) Sample {
	return Sample{Calls: s.Calls + o.Calls, Elapsed: s.Elapsed + o.Elapsed, Mallocs: s.Mallocs + o.Mallocs,
		CPU: s.CPU + o.CPU, CPUKnown: o.CPUKnown && (s.CPUKnown || s.isZero()),
		Latency: mergeLatency(s.Latency, o.Latency)}
}

func (s Sample) isZero() bool {
	return s.Calls == 0 && s.Elapsed == 0 && s.Mallocs == 0 && s.CPU == 0 && !s.CPUKnown && s.Latency == nil
}

// RunCallers runs all callers at once, each in its own goroutine, until calls calls have been
// made in total (when calls > 0) or d has passed, or ctx ends or a call fails. It returns the
// number of calls made and the time taken; it leaves Mallocs at zero (see Measure).
func RunCallers(ctx context.Context, callers []Caller, calls int64, d time.Duration) (Sample, error) {
	if len(callers) == 0 {
		return Sample{}, errors.New("benchkit: no callers")
	}
	if calls <= 0 && d <= 0 {
		return Sample{}, errors.New("benchkit: give a call count or a duration")
	}
	var (
		stop      atomic.Bool
		remaining atomic.Int64
		wg        sync.WaitGroup
		errOnce   sync.Once
		firstErr  error
		start     = make(chan struct{})
	)
	remaining.Store(calls)
	// One counter per cache line: the callers must not contend on the count they report.
	counts := make([]struct {
		n int64
		_ [56]byte
	}, len(callers))
	lats := make([]Latency, len(callers))
	for i, call := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			var n int64
			lat := &lats[i]
			for !stop.Load() {
				if calls > 0 && remaining.Add(-1) < 0 {
					break
				}
				t := time.Now()
				err := call(ctx)
				lat.Record(time.Since(t))
				if err != nil {
					errOnce.Do(func() { firstErr = fmt.Errorf("benchkit: caller %d: %w", i, err) })
					stop.Store(true)
					break
				}
				n++
			}
			counts[i].n = n
		}()
	}
	stopCtx := context.AfterFunc(ctx, func() { stop.Store(true) })
	defer stopCtx()
	t0 := time.Now()
	if d > 0 {
		timer := time.AfterFunc(d, func() { stop.Store(true) })
		defer timer.Stop()
	}
	close(start)
	wg.Wait()
	s := Sample{Elapsed: time.Since(t0), Latency: new(Latency)}
	for i, c := range counts {
		s.Calls += c.n
		s.Latency.Merge(&lats[i])
	}
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	return s, firstErr
}

// Measure runs fn and fills in the heap allocations made meanwhile and the CPU time used by
// this process and by the processes pids.
func Measure(pids []int, fn func() (Sample, error)) (Sample, error) {
	var before, after runtime.MemStats
	cpu0, ok0 := totalCPU(pids)
	runtime.ReadMemStats(&before)
	s, err := fn()
	runtime.ReadMemStats(&after)
	cpu1, ok1 := totalCPU(pids)
	s.Mallocs = after.Mallocs - before.Mallocs
	s.CPU, s.CPUKnown = cpu1-cpu0, ok0 && ok1
	return s, err
}

// CPUTime is the CPU time (user and system) this process has used so far; false where it
// cannot be read.
func CPUTime() (time.Duration, bool) { return selfCPU() }

func totalCPU(pids []int) (time.Duration, bool) {
	total, ok := selfCPU()
	for _, pid := range pids {
		t, pok := pidCPU(pid)
		total, ok = total+t, ok && pok
	}
	return total, ok
}
