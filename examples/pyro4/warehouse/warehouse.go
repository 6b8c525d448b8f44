// Package warehouse is the Go twin of the warehouse in Pyro4's tutorial
// (examples/warehouse/phase*/warehouse.py): one big warehouse where everyone can store items
// and take them. Commands phase2 and phase3 serve it as the tutorial's phases 2 and 3 do.
package warehouse

import (
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/gopyro/pyro"
)

// API is what the warehouse publishes: Python calls list_contents, take and store.
type API interface {
	ListContents() []string
	Take(name, item string) error
	Store(name, item string)
}

// Warehouse holds the items. It is served as one object, as Python's
// @Pyro4.behavior(instance_mode="single") class is; its visitors' calls may come on
// several goroutines at once, so a mutex guards the contents.
type Warehouse struct {
	out io.Writer // where it reports who stored and took what (the server's stdout)

	mu       sync.Mutex
	contents []string
}

// New returns a warehouse with the tutorial's five items, reporting to out.
func New(out io.Writer) *Warehouse {
	return &Warehouse{out: out, contents: []string{"chair", "bike", "flashlight", "laptop", "couch"}}
}

// ListContents returns what is in the warehouse, in the order it came in.
func (w *Warehouse) ListContents() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.contents)
}

// Take removes the first item of that name. Python's list.remove raises ValueError for an
// absent item, and so does this.
func (w *Warehouse) Take(name, item string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	i := slices.Index(w.contents, item)
	if i < 0 {
		return pyro.NewError("builtins.ValueError", "list.remove(x): x not in list")
	}
	w.contents = slices.Delete(w.contents, i, i+1)
	fmt.Fprintf(w.out, "%s took the %s.\n", name, item)
	return nil
}

// Store adds an item.
func (w *Warehouse) Store(name, item string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.contents = append(w.contents, item)
	fmt.Fprintf(w.out, "%s stored the %s.\n", name, item)
}
