package currency

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/big"
	"sync"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/naming"
	"github.com/gopyro/pyro/pyval"
)

// DefaultName is the name a worker registers under and a master looks up, as in Pyro4's
// example: PYRONAME:MyWorker.
const DefaultName = "MyWorker"

// Tag is the name server metadata every worker registers with, so that a master can find all
// of them (list with metadata_all, or PYROMETA:currency.worker).
const Tag = "currency.worker"

// Quote is one answer of get_rate: the pair, upper-cased, and its rate. It travels as the
// Python tuple (pair, rate).
type Quote struct {
	Pair string
	Rate float64
}

// MarshalPython sends the quote as the tuple (pair, rate).
func (q Quote) MarshalPython() (any, error) { return pyval.Tuple{q.Pair, q.Rate}, nil }

// UnmarshalPython reads a (pair, rate) tuple, or the list json makes of it.
func (q *Quote) UnmarshalPython(v any) error {
	items, _ := pyval.Items(v)
	if len(items) != 2 {
		return fmt.Errorf("currency: want a (pair, rate) tuple, got %s", pyval.TypeName(v))
	}
	pair, ok := items[0].(string)
	if !ok {
		return fmt.Errorf("currency: pair is %s, not str", pyval.TypeName(items[0]))
	}
	switch r := items[1].(type) {
	case float64:
		q.Rate = r
	case int64:
		q.Rate = float64(r)
	case *big.Int:
		q.Rate, _ = new(big.Float).SetInt(r).Float64()
	default:
		return fmt.Errorf("currency: rate is %s, not float", pyval.TypeName(items[1]))
	}
	q.Pair = pair
	return nil
}

// Worker is the remote object: Python calls worker.get_rate("EURUSD") and gets
// ("EURUSD", 1.0705). StartWorker registers it in instance mode percall, a new Worker per
// call, like Pyro4's @behavior(instance_mode="percall").
type Worker struct {
	src Source
	log io.Writer
	mu  *sync.Mutex // serialises log lines across the per-call instances
}

// GetRate returns the pair and its rate. A malformed pair or an unknown currency raises
// builtins.ValueError("unknown currency pair: ..."); a failing source raises
// builtins.RuntimeError. Either way the worker goes on serving.
func (w *Worker) GetRate(ctx context.Context, pair string) (Quote, error) {
	q, err := w.rate(ctx, pair)
	if w.log != nil {
		w.mu.Lock()
		if err != nil {
			fmt.Fprintf(w.log, "get_rate(%s) failed: %v\n", pyRepr(pair), err)
		} else {
			fmt.Fprintf(w.log, "get_rate(%s) -> %s\n", pyRepr(pair), FormatRate(q.Rate))
		}
		w.mu.Unlock()
	}
	return q, err
}

func (w *Worker) rate(ctx context.Context, pair string) (Quote, error) {
	base, quote, err := ParsePair(pair)
	if err == nil {
		var r float64
		if r, err = w.src.Rate(ctx, base, quote); err == nil {
			return Quote{Pair: base + quote, Rate: r}, nil
		}
	}
	if errors.Is(err, ErrUnknownPair) {
		return Quote{}, pyro.NewError("builtins.ValueError", "%w", err)
	}
	return Quote{}, pyro.NewError("builtins.RuntimeError", "rate source failed: %w", err)
}

// WorkerOption adjusts StartWorker.
type WorkerOption func(*workerOptions)

type workerOptions struct {
	log   io.Writer
	tags  []string
	nsCfg *pyro.ProxyConfig
}

// WithLog makes the worker write a line per request to w, as Pyro4's example prints them.
func WithLog(w io.Writer) WorkerOption { return func(o *workerOptions) { o.log = w } }

// WithTags replaces the name server metadata the worker registers with (default: Tag).
func WithTags(tags ...string) WorkerOption { return func(o *workerOptions) { o.tags = tags } }

// WithNameServerConfig configures the proxy StartWorker and Stop use to reach the name
// server (default: the daemon's transport settings, everything else zero).
func WithNameServerConfig(cfg pyro.ProxyConfig) WorkerOption {
	return func(o *workerOptions) { o.nsCfg = &cfg }
}

// RegisterWorker registers a percall Worker pricing pairs from src (nil: ECB()) on d, for a
// program that serves its own daemon; StartWorker does this and more. Of the options only
// WithLog applies.
func RegisterWorker(d *pyro.Daemon, src Source, opts ...WorkerOption) (pyro.URI, error) {
	var o workerOptions
	for _, opt := range opts {
		opt(&o)
	}
	if src == nil {
		src = ECB()
	}
	mu := new(sync.Mutex)
	return d.RegisterFactory(pyro.PerCall, func() *Worker { return &Worker{src: src, log: o.log, mu: mu} },
		pyro.WithParams("GetRate", "pair"), pyro.WithClassName("Worker"))
}

// WorkerServer is a running worker: its daemon, serving a percall Worker, and its name
// server registration.
type WorkerServer struct {
	d    *pyro.Daemon
	ns   *naming.Client
	pub  *naming.Publication
	name string
	uri  pyro.URI
	done chan struct{}
	err  error
}

// StartWorker starts a daemon with cfg (host, port, serializers...), registers a percall
// Worker pricing pairs from src (nil: ECB()), and registers it with the name server at ns
// under name (empty: DefaultName) with metadata Tag. A zero ns means pyro.LocateNS with
// the name server configuration (WithNameServerConfig). Give each of several workers its own name ("MyWorker.2"); a
// master finds them all by their metadata. The worker serves until ctx ends, Stop or Close.
func StartWorker(ctx context.Context, cfg pyro.DaemonConfig, ns pyro.URI, name string, src Source, opts ...WorkerOption) (*WorkerServer, error) {
	o := workerOptions{tags: []string{Tag}}
	for _, opt := range opts {
		opt(&o)
	}
	if name == "" {
		name = DefaultName
	}
	nsCfg := pyro.ProxyConfig{Transport: cfg.Transport}
	if o.nsCfg != nil {
		nsCfg = *o.nsCfg
	}
	d, err := pyro.NewDaemon(cfg)
	if err != nil {
		return nil, fmt.Errorf("currency: worker %s: %w", name, err)
	}
	ln, err := d.Listen()
	if err != nil {
		return nil, fmt.Errorf("currency: worker %s: %w", name, err)
	}
	uri, err := RegisterWorker(d, src, opts...)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("currency: worker %s: %w", name, err)
	}
	s := &WorkerServer{d: d, name: name, uri: uri, done: make(chan struct{})}
	go func() {
		s.err = d.Serve(ctx, ln)
		close(s.done)
	}()
	s.ns, err = nameServer(ctx, nsCfg, ns)
	if err == nil {
		s.pub, err = naming.Publish(ctx, s.ns, d, map[string]any{name: uri}, naming.PublishOptions{Metadata: o.tags})
	}
	if err != nil {
		if s.ns != nil {
			s.ns.Close()
		}
		d.Close()
		<-s.done
		return nil, fmt.Errorf("currency: worker %s: registering with the name server: %w", name, err)
	}
	return s, nil
}

// nameServer returns a client of the name server at ns, or of the one pyro.LocateNS finds.
func nameServer(ctx context.Context, cfg pyro.ProxyConfig, ns pyro.URI) (*naming.Client, error) {
	if ns.Protocol == "" {
		return naming.Locate(ctx, "", 0, pyro.WithConfig(cfg))
	}
	return naming.NewClientURI(ns, pyro.WithConfig(cfg))
}

// Name returns the name the worker is registered under.
func (s *WorkerServer) Name() string { return s.name }

// URI returns the worker object's PYRO URI.
func (s *WorkerServer) URI() pyro.URI { return s.uri }

// Done is closed when the worker has stopped serving.
func (s *WorkerServer) Done() <-chan struct{} { return s.done }

// Err returns why the worker stopped serving (pyro.ErrDaemonClosed after Stop or Close, the
// context's error when its context ended), once Done is closed.
func (s *WorkerServer) Err() error {
	<-s.done
	return s.err
}

// Stop removes the worker's name from the name server (unless another worker has taken it
// over since), lets calls in flight finish and stops serving.
func (s *WorkerServer) Stop(ctx context.Context) error {
	var errs []error
	if err := s.pub.Withdraw(ctx); err != nil {
		errs = append(errs, err)
	}
	s.ns.Close()
	if err := s.d.Shutdown(ctx); err != nil {
		errs = append(errs, err)
	}
	<-s.done
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("currency: stopping worker %s: %w", s.name, err)
	}
	return nil
}

// Close stops the worker at once, as if its process died: calls in flight lose their
// connections and the name server keeps the stale registration.
func (s *WorkerServer) Close() error {
	s.ns.Close()
	err := s.d.Close()
	<-s.done
	return err
}
