package main

import (
	"strings"
	"testing"

	"github.com/gopyro/pyro/examples/internal/extest"
)

func TestMain(m *testing.M) { extest.Main(m, main) }

// chat drives two of Pyro4's chat clients, alice and bob, through a conversation on the
// chat server that env points to, typing each line only once what it answers to has shown
// up, so that every message arrives while its receiver waits at the "> " prompt. It
// returns what each client printed and what the server printed after its banner.
func chat(t *testing.T, dir string, env []string, server *extest.Proc) (alice, bob extest.Result, log string) {
	t.Helper()
	a := extest.StartPython(t, env, "Name for new channel: ", dir+"/client.py")
	a.Send("room\n")
	a.WaitFor("Choose a nickname: ", 1)
	a.Send("alice\n")
	a.WaitFor("[SERVER] ** alice joined **", 1)
	a.WaitFor("> ", 1)

	b := extest.StartPython(t, env, "Choose a channel or create a new one: ", dir+"/client.py")
	b.Send("room\n")
	b.WaitFor("Choose a nickname: ", 1)
	b.Send("bob\n")
	b.WaitFor("[SERVER] ** bob joined **", 1)
	b.WaitFor("> ", 1)
	a.WaitFor("[SERVER] ** bob joined **", 1)

	b.Send("hello alice\n")
	a.WaitFor("[bob] hello alice", 1)
	b.WaitFor("> ", 2)
	a.Send("hi bob\n")
	b.WaitFor("[alice] hi bob", 1)
	a.WaitFor("> ", 2)
	b.Send("/quit\n")
	bob = b.Wait(0)
	a.WaitFor("[SERVER] ** bob left **", 1)
	a.Send("/quit\n")
	alice = a.Wait(0)
	server.WaitFor("alice LEFT room", 1)
	return alice, bob, server.After("Pyro daemon running.\n")
}

// ownJoin removes a client's announcement of its own joining: the server sends it (a oneway
// call to the client's daemon thread) while join is still returning, so the client's main
// thread prints the join's result meanwhile and the two threads' output mixes. Python's
// print writes the text and its newline apart, so the text goes, and so do the newlines from
// the nickname prompt up to the next message from the channel (the next "["): the stray
// newline lands somewhere in there, wherever the threads put it. Everything before and after
// is compared as printed, and so is every character of the region but its newlines.
func ownJoin(out, nick string) string {
	msg := "[SERVER] ** " + nick + " joined **"
	if strings.Count(out, msg) != 1 {
		return out // Same shows it
	}
	out = strings.Replace(out, msg, "", 1)
	// The stray newline may even split "quit" from its own newline: look for the text alone.
	const ready = "Ready for input! Type /quit to quit"
	i, j := strings.Index(out, "Choose a nickname: "), strings.Index(out, ready)
	if i < 0 || j < i {
		return out
	}
	j += len(ready)
	if k := strings.IndexByte(out[j:], '['); k >= 0 {
		j += k
	} else {
		j = len(out)
	}
	return out[:i] + strings.ReplaceAll(out[i:j], "\n", "") + out[j:]
}

// TestClient runs two of Pyro4's chat clients (client.py, the non-GUI one, with scripted
// input) against server.py and against the Go twin: each client prints the same, and so does
// the server.
func TestClient(t *testing.T) {
	dir := extest.Dir(t, "chatbox")
	pyNS := extest.PythonNameServer(t)
	pyServer := extest.StartPython(t, extest.NSEnv(pyNS), "Pyro daemon running.", dir+"/server.py")
	wantAlice, wantBob, wantLog := chat(t, dir, extest.NSEnv(pyNS), pyServer)

	goNS := extest.GoNameServer(t)
	goServer := extest.StartGo(t, extest.NSEnv(goNS), "Pyro daemon running.")
	gotAlice, gotBob, gotLog := chat(t, dir, extest.NSEnv(goNS), goServer)

	extest.Same(t, "alice's client's output", ownJoin(wantAlice.Stdout, "alice"), ownJoin(gotAlice.Stdout, "alice"))
	extest.Same(t, "bob's client's output", ownJoin(wantBob.Stdout, "bob"), ownJoin(gotBob.Stdout, "bob"))
	extest.Same(t, "alice's client's errors", wantAlice.Stderr, gotAlice.Stderr)
	extest.Same(t, "bob's client's errors", wantBob.Stderr, gotBob.Stderr)
	extest.Same(t, "the server's output", wantLog, gotLog)
	t.Logf("alice's client printed\n%s\nbob's\n%s\nthe server\n%s", gotAlice.Stdout, gotBob.Stdout, gotLog)
}
