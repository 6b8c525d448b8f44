package main

import (
	"testing"

	"github.com/gopyro/pyro/examples/internal/extest"
)

func TestMain(m *testing.M) { extest.Main(m, main) }

// TestVisit runs phase 2's visit.py, given the warehouse's URI on stdin as the tutorial
// says, against warehouse.py and against the Go twin: the visitors and the warehouses print
// the same.
func TestVisit(t *testing.T) { testVisit(t, extest.Pyro{}) }

// TestPyro5Visit is TestVisit with Pyro5's phase 2 (the same programs, ported).
func TestPyro5Visit(t *testing.T) { testVisit(t, extest.Pyro{V5: true}) }

func testVisit(t *testing.T, py extest.Pyro) {
	dir := py.Dir(t, "warehouse/phase2")
	// Janet stores a ball and takes the bike; Henry stores nothing and takes the ball.
	const visits = "ball\nbike\n\nball\n"

	pyServer := py.StartPython(t, nil, "Pyro daemon running.", dir+"/warehouse.py")
	want := extest.Run(t, py.Python(t, nil, dir+"/visit.py"), pyServer.Line("    uri = ")+"\n"+visits, 0)

	goServer := extest.StartGo(t, nil, "Pyro daemon running.")
	uri := goServer.Line("    uri = ")
	if extest.Addresses(uri) != "PYRO:example.warehouse@ADDR" {
		t.Errorf("the Go twin serves the warehouse at %s, want the object id example.warehouse", uri)
	}
	got := extest.Run(t, py.Python(t, nil, dir+"/visit.py"), uri+"\n"+visits, 0)

	// The visitor prints no address or id: nothing to normalise.
	extest.Same(t, "visit.py's output", want.Stdout, got.Stdout)
	extest.Same(t, "visit.py's errors", want.Stderr, got.Stderr)
	// The servers' banners name their objects and URIs differently; what follows must match.
	extest.Same(t, "the warehouse's output", pyServer.After("Pyro daemon running.\n"), goServer.After("Pyro daemon running.\n"))
}
