package main

import (
	"testing"

	"github.com/gopyro/pyro/examples/internal/extest"
)

func TestMain(m *testing.M) { extest.Main(m, main) }

// TestListener runs Pyro4's blob-dispatch client and dispatcher with listeners/main.py and
// with the Go twin in its place: the listeners print the same data.
func TestListener(t *testing.T) {
	dir := extest.Dir(t, "blob-dispatch")
	ns := extest.PythonNameServer(t)
	env := extest.NSEnv(ns)
	extest.StartPython(t, env, "Pyro daemon running", dir+"/dispatcher/dispatcher.py")
	pyListener := extest.StartPython(t, env, "waiting for data", dir+"/listeners/main.py", "pytopic")
	goListener := extest.StartGo(t, env, "waiting for data", "gotopic")
	client := extest.Run(t, extest.Python(env, dir+"/client/client.py"), "pytopic\ngotopic\npytopic\n\n", 0)
	if client.Stdout != "Enter topic to send data on (just enter to quit) processed\n"+
		"Enter topic to send data on (just enter to quit) processed\n"+
		"Enter topic to send data on (just enter to quit) processed\n"+
		"Enter topic to send data on (just enter to quit) " {
		t.Errorf("client.py printed\n%s%s", client.Stdout, client.Stderr)
	}
	pyListener.WaitFor("Received custom data", 2)
	goListener.WaitFor("Received custom data", 1)

	// Each listener prints the client's "now" (and the Go one prints the class name the data
	// travels with, where Python prints the class it rebuilt); the rest must match. The
	// Python listener got two blobs, the Go one one.
	norm := func(s string) string {
		s = extest.Replace(s, `c=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?`, "c=TIME")
		s = extest.Replace(s, `\(type=[^)]*\)`, "(type=CustomData)")
		return extest.Replace(s, `topic (py|go)topic`, "topic TOPIC")
	}
	want := norm(pyListener.Stdout())
	want = want[:len(want)-len("Received custom data (type=CustomData):\n    a=42, b=hello world, c=TIME\n")]
	extest.Same(t, "the listener's output", want, norm(goListener.Stdout()))
}
