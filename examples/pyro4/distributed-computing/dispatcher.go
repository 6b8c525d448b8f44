package main

import (
	"context"
	"time"

	"github.com/gopyro/pyro"
)

// Workitem is workitem.py's Workitem as it travels. Pyro4's serializer writes an object of a
// class it has no converter for as a dict of its attributes plus its class name under
// __class__; the client and the workers register a converter back to a Workitem for
// "workitem.Workitem". The dispatcher only passes items on, but keeps their class name so
// that they come back as Workitems.
type Workitem struct {
	Class       string `pyro:"__class__"`   // "workitem.Workitem"
	ItemID      int    `pyro:"itemId"`      // 1 to 40
	Data        int64  `pyro:"data"`        // the number to factorize
	Result      any    `pyro:"result"`      // None until a worker has set its factors
	ProcessedBy any    `pyro:"processedBy"` // None until a worker has set its name
}

// queueSize bounds the queues: Python's queue.Queue is unbounded, and a few thousand items
// are plenty for this example.
const queueSize = 10000

// DispatcherQueue is the Go twin of dispatcher.py's DispatcherQueue, served once for
// everybody: a queue of work that the client fills and the workers empty, and a queue of
// results that the workers fill and the client empties. Buffered channels are the queues.
type DispatcherQueue struct {
	workqueue, resultqueue chan Workitem
}

// NewDispatcherQueue returns a dispatcher with empty queues.
func NewDispatcherQueue() *DispatcherQueue {
	return &DispatcherQueue{workqueue: make(chan Workitem, queueSize), resultqueue: make(chan Workitem, queueSize)}
}

func (d *DispatcherQueue) PutWork(item Workitem) error { return put(d.workqueue, item) }

// GetWork waits for a work item, at most timeout seconds (None or left out: 5, as in
// Python, hence the pointer), and raises ValueError when none came.
func (d *DispatcherQueue) GetWork(ctx context.Context, timeout *float64) (Workitem, error) {
	return get(ctx, d.workqueue, timeout, "no items in queue")
}

func (d *DispatcherQueue) PutResult(item Workitem) error { return put(d.resultqueue, item) }

// GetResult waits for a result as GetWork waits for work.
func (d *DispatcherQueue) GetResult(ctx context.Context, timeout *float64) (Workitem, error) {
	return get(ctx, d.resultqueue, timeout, "no result available")
}

func (d *DispatcherQueue) WorkQueueSize() int { return len(d.workqueue) }

func (d *DispatcherQueue) ResultQueueSize() int { return len(d.resultqueue) }

func put(q chan Workitem, item Workitem) error {
	select {
	case q <- item:
		return nil
	default:
		return pyro.NewError("builtins.RuntimeError", "queue full")
	}
}

func get(ctx context.Context, q chan Workitem, timeout *float64, empty string) (Workitem, error) {
	wait := 5 * time.Second
	if timeout != nil {
		wait = time.Duration(*timeout * float64(time.Second))
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case item := <-q:
		return item, nil
	case <-timer.C:
		return Workitem{}, pyro.NewError("builtins.ValueError", "%s", empty)
	case <-ctx.Done(): // the caller went away
		return Workitem{}, ctx.Err()
	}
}
