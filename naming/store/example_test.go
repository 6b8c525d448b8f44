package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gopyro/pyro/naming/store"
)

func Example() {
	dir, _ := os.MkdirTemp("", "names")
	defer os.RemoveAll(dir)
	ctx := context.Background()

	// The same file can be served by Pyro4's "pyro4-ns -s sql:names.db".
	var s store.Store
	s, err := store.OpenSQL(filepath.Join(dir, "names.db"))
	if err != nil {
		panic(err)
	}
	defer s.Close()

	s.Register(ctx, "example.printer", "PYRO:obj_1@localhost:5000", []string{"printer", "floor:1"}, false)
	s.Register(ctx, "example.scanner", "PYRO:obj_2@localhost:5000", []string{"scanner", "floor:1"}, false)

	err = s.Register(ctx, "example.printer", "PYRO:other@localhost:5001", nil, true)
	fmt.Println(errors.Is(err, store.ErrExists), err)

	e, _ := s.Lookup(ctx, "example.printer")
	fmt.Println(e.URI, e.Metadata)

	onFloor1, _ := s.List(ctx, store.Filter{MetadataAll: []string{"floor:1"}})
	for _, e := range onFloor1 {
		fmt.Println(e.Name)
	}

	// Remove everything under "example." except the printer.
	n, _ := s.RemoveMatching(ctx, store.Filter{Regex: `example\.`}, "example.printer")
	count, _ := s.Count(ctx)
	fmt.Println(n, count)
	// Output:
	// true name already registered: example.printer
	// PYRO:obj_1@localhost:5000 [floor:1 printer]
	// example.printer
	// example.scanner
	// 1 1
}
