package currency

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/naming"
)

// ErrNoWorkers means every worker the master knew went away before a pair was answered.
var ErrNoWorkers = errors.New("currency: no worker left to ask")

// Endpoint is a worker a master can call.
type Endpoint struct {
	// Name is the worker's name in the name server ("MyWorker.2").
	Name string
	// URI is its "PYRO:" URI, or a "PYRONAME:" one resolved on first use.
	URI string
}

// FindWorkers lists every worker registered with the name server at ns (zero: located as
// pyro.LocateNS does) with the metadata tag (empty: Tag), sorted by name.
func FindWorkers(ctx context.Context, cfg pyro.ProxyConfig, ns pyro.URI, tag string) ([]Endpoint, error) {
	if tag == "" {
		tag = Tag
	}
	c, err := nameServer(ctx, cfg, ns)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	found, err := c.List(ctx, naming.Filter{MetadataAll: []string{tag}})
	if err != nil {
		return nil, fmt.Errorf("currency: listing workers: %w", err)
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("%w: no worker registered with metadata %q: start one (go run ./examples/currency/cmd/worker)", pyro.ErrNaming, tag)
	}
	eps := make([]Endpoint, 0, len(found))
	for name, uri := range found {
		eps = append(eps, Endpoint{Name: name, URI: uri})
	}
	slices.SortFunc(eps, func(a, b Endpoint) int { return compareNames(a.Name, b.Name) })
	return eps, nil
}

// compareNames orders "MyWorker" < "MyWorker.2" < "MyWorker.10" < "Other".
func compareNames(a, b string) int {
	sa, na := splitNumber(a)
	sb, nb := splitNumber(b)
	if c := strings.Compare(sa, sb); c != 0 {
		return c
	}
	if c := cmp.Compare(na, nb); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

// splitNumber splits "MyWorker.2" into "MyWorker", 2; a name without a number counts as 1.
func splitNumber(name string) (string, int) {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		if n, err := strconv.Atoi(name[i+1:]); err == nil && n >= 0 {
			return name[:i], n
		}
	}
	return name, 1
}

// Result is one pair's answer.
type Result struct {
	// Pair is the pair as the master was asked for it.
	Pair string
	// Rate is the price of one unit of the pair's base currency in its quote currency.
	Rate float64
	// Worker names the worker that answered (or was last asked).
	Worker string
	// Tries counts the calls made: more than 1 when a worker went away and another answered.
	Tries int
	// Err is the remote exception (a *pyro.RemoteError such as builtins.ValueError for a bad
	// pair), or why no worker could answer (ErrNoWorkers, the context's error).
	Err error
}

// Run is one pass over the pairs.
type Run struct {
	// Mode is "sequential" or "fan-out".
	Mode string
	// Results holds one Result per pair, in the order of the pairs.
	Results []Result
	// Elapsed is the wall time of the whole pass.
	Elapsed time.Duration
	// Goroutines is how many calls could be in flight at once.
	Goroutines int
	// Retries counts calls repeated on another worker because theirs went away.
	Retries int
}

// Failed counts the results with an error.
func (r Run) Failed() int {
	n := 0
	for _, res := range r.Results {
		if res.Err != nil {
			n++
		}
	}
	return n
}

// MasterOptions tune a Master; the zero value is fine.
type MasterOptions struct {
	// Concurrency is the number of fan-out goroutines per worker (default 8).
	Concurrency int
	// CallTimeout bounds one call (default 10 s); a worker that slow counts as gone and the
	// pair is asked of another.
	CallTimeout time.Duration
	// OnResult, if set, sees each result as it arrives, from one goroutine at a time.
	OnResult func(mode string, r Result)
}

// Master asks workers for rates: one pair after another (Sequential) or many at once spread
// over all its workers (FanOut). A worker that goes away (connection refused or lost, call
// timed out) is dropped and its pairs are asked of the others, so every pair gets exactly one
// Result. A remote exception is that pair's Result; the others carry on. Safe for use by one
// goroutine at a time.
type Master struct {
	workers []*remoteWorker
	opts    MasterOptions
}

type remoteWorker struct {
	Endpoint
	p       *pyro.Proxy
	getRate func(ctx context.Context, pair string) (Quote, error)
	gone    atomic.Bool
}

// NewMaster prepares proxies for the workers; it connects on first use.
func NewMaster(cfg pyro.ProxyConfig, workers []Endpoint, opts MasterOptions) (*Master, error) {
	if len(workers) == 0 {
		return nil, ErrNoWorkers
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 8
	}
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = 10 * time.Second
	}
	m := &Master{opts: opts}
	for _, ep := range workers {
		p, err := pyro.NewProxy(ep.URI, pyro.WithConfig(cfg), pyro.WithMaxIdleConns(opts.Concurrency))
		if err != nil {
			m.Close()
			return nil, fmt.Errorf("currency: worker %s: %w", ep.Name, err)
		}
		m.workers = append(m.workers, &remoteWorker{Endpoint: ep, p: p, getRate: pyro.Method1[string, Quote](p, "get_rate")})
	}
	return m, nil
}

// Close closes the proxies.
func (m *Master) Close() error {
	for _, w := range m.workers {
		w.p.Close()
	}
	return nil
}

// Workers lists the workers the master still uses (those not gone).
func (m *Master) Workers() []Endpoint {
	var eps []Endpoint
	for _, w := range m.workers {
		if !w.gone.Load() {
			eps = append(eps, w.Endpoint)
		}
	}
	return eps
}

// call asks one worker for one rate.
func (m *Master) call(ctx context.Context, w *remoteWorker, pair string) (Quote, error) {
	ctx, cancel := context.WithTimeout(ctx, m.opts.CallTimeout)
	defer cancel()
	return w.getRate(ctx, pair)
}

// workerGone tells a failure of the worker (retry elsewhere) from an answer (a remote
// exception) or the caller giving up (ctx done).
func workerGone(ctx context.Context, err error) bool {
	if err == nil || ctxDone(ctx) != nil {
		return false
	}
	if errors.Is(err, pyro.ErrCommunication) || errors.Is(err, pyro.ErrNaming) {
		return true
	}
	var re *pyro.RemoteError
	return errors.As(err, &re) && re.Class == "Pyro4.errors.DaemonError" // object unregistered
}

// ctxDone is ctx.Err(), also when ctx's deadline has passed but its timer has not fired yet:
// a proxy's socket deadline, set from ctx's, can expire first.
func ctxDone(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
		return context.DeadlineExceeded
	}
	return nil
}

func noWorkers(last error) error {
	if last == nil {
		return ErrNoWorkers
	}
	return fmt.Errorf("%w (last failure: %w)", ErrNoWorkers, last)
}

// Sequential asks for the pairs one at a time, as Pyro4's example master does, taking the
// workers in turn.
func (m *Master) Sequential(ctx context.Context, pairs []string) Run {
	run := Run{Mode: "sequential", Results: make([]Result, len(pairs)), Goroutines: 1}
	start := time.Now()
	next := 0
	for i, pair := range pairs {
		res := Result{Pair: pair}
		var last error
		for {
			w := m.pick(&next)
			if w == nil {
				res.Err = noWorkers(last)
				break
			}
			res.Worker = w.Name
			res.Tries++
			q, err := m.call(ctx, w, pair)
			if workerGone(ctx, err) {
				w.gone.Store(true)
				last = err
				run.Retries++
				continue
			}
			res.Rate, res.Err = q.Rate, err
			break
		}
		run.Results[i] = res
		m.emit(run.Mode, res)
	}
	run.Elapsed = time.Since(start)
	return run
}

// pick returns the next worker not gone, round robin, or nil.
func (m *Master) pick(next *int) *remoteWorker {
	for range m.workers {
		w := m.workers[*next%len(m.workers)]
		*next++
		if !w.gone.Load() {
			return w
		}
	}
	return nil
}

func (m *Master) emit(mode string, r Result) {
	if m.opts.OnResult != nil {
		m.opts.OnResult(mode, r)
	}
}

// fanOut is the shared state of one FanOut: a queue of pair indices that every goroutine of
// every worker takes from, and into which a goroutine whose worker went away puts its pair
// back.
type fanOut struct {
	mu        sync.Mutex
	cond      *sync.Cond
	queue     []int
	remaining int // pairs without a final result
	live      int // goroutines still taking pairs
	last      error
	run       *Run
}

// FanOut asks for all pairs at once: Concurrency goroutines per worker take pairs from one
// queue, so faster workers answer more. A pair whose worker goes away is put back for the
// others.
func (m *Master) FanOut(ctx context.Context, pairs []string) Run {
	run := Run{Mode: "fan-out", Results: make([]Result, len(pairs))}
	start := time.Now()
	f := &fanOut{remaining: len(pairs), run: &run}
	f.cond = sync.NewCond(&f.mu)
	for i, p := range pairs {
		run.Results[i].Pair = p
		f.queue = append(f.queue, i)
	}
	var live []*remoteWorker
	for _, w := range m.workers {
		if !w.gone.Load() {
			live = append(live, w)
		}
	}
	perWorker := min(m.opts.Concurrency, max(len(pairs), 1))
	f.live = len(live) * perWorker
	run.Goroutines = f.live
	if f.live == 0 {
		f.failQueued(m)
	}
	var wg sync.WaitGroup
	for _, w := range live {
		for range perWorker {
			wg.Go(func() { m.serve(ctx, w, f) })
		}
	}
	wg.Wait()
	run.Elapsed = time.Since(start)
	return run
}

// serve is one fan-out goroutine working for worker w.
func (m *Master) serve(ctx context.Context, w *remoteWorker, f *fanOut) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for {
		for len(f.queue) == 0 && f.remaining > 0 && !w.gone.Load() {
			f.cond.Wait()
		}
		if f.remaining == 0 || w.gone.Load() {
			break
		}
		i := f.queue[0]
		f.queue = f.queue[1:]
		pair := f.run.Results[i].Pair
		f.mu.Unlock()
		q, err := m.call(ctx, w, pair)
		f.mu.Lock()
		r := &f.run.Results[i]
		r.Worker = w.Name
		r.Tries++
		if workerGone(ctx, err) {
			w.gone.Store(true)
			f.last = err
			f.queue = append(f.queue, i)
			f.run.Retries++
			f.cond.Broadcast() // wake w's other goroutines so they stop too
			break
		}
		r.Rate, r.Err = q.Rate, err
		f.remaining--
		m.emit(f.run.Mode, *r)
		if f.remaining == 0 {
			f.cond.Broadcast()
		}
	}
	f.live--
	if f.live == 0 {
		// Nobody is in flight, so every unanswered pair is queued.
		f.failQueued(m)
	}
}

// failQueued gives every queued pair ErrNoWorkers. Called with f.mu held (or before any
// goroutine runs).
func (f *fanOut) failQueued(m *Master) {
	for _, i := range f.queue {
		r := &f.run.Results[i]
		r.Err = noWorkers(f.last)
		f.remaining--
		m.emit(f.run.Mode, *r)
	}
	f.queue = nil
	f.cond.Broadcast()
}

// Report is what RunMaster found: the workers and both passes over the pairs.
type Report struct {
	Workers    []Endpoint
	Sequential Run
	FanOut     Run
}

// RunMaster asks the workers for the rates of pairs twice, sequentially then fanned out, and
// reports both. With a name it uses the worker registered under it (PYRONAME:name, through the
// name server at ns); with name "" it finds every worker tagged Tag and spreads the pairs
// over them. A zero ns means the name server pyro.LocateNS finds with cfg.
func RunMaster(ctx context.Context, cfg pyro.ProxyConfig, ns pyro.URI, name string, pairs []string, opts MasterOptions) (*Report, error) {
	var eps []Endpoint
	if name != "" {
		u := pyro.URI{Protocol: pyro.ProtocolPyroName, Object: name, Host: ns.Host, Port: ns.Port}
		eps = []Endpoint{{Name: name, URI: u.String()}}
	} else {
		var err error
		if eps, err = FindWorkers(ctx, cfg, ns, Tag); err != nil {
			return nil, err
		}
	}
	m, err := NewMaster(cfg, eps, opts)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	rep := &Report{Workers: eps}
	rep.Sequential = m.Sequential(ctx, pairs)
	rep.FanOut = m.FanOut(ctx, pairs)
	return rep, ctxDone(ctx)
}

// DefaultPairs are the pairs the example masters ask for when given none.
func DefaultPairs() []string {
	return []string{
		"EURUSD", "USDJPY", "GBPUSD", "EURGBP", "USDCHF", "AUDUSD",
		"USDCAD", "NZDUSD", "EURJPY", "EURCHF", "GBPJPY", "USDCNY",
	}
}
