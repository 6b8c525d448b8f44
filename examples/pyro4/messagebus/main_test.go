package main

import (
	"strings"
	"testing"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/examples/internal/extest"
)

func TestMain(m *testing.M) { extest.Main(m, main) }

// busRun is what Pyro4's message bus programs printed around one bus.
type busRun struct {
	subscriber, manual, publisher, server string
}

// normalise masks what differs between runs: message ids (random UUIDs), when messages were
// created, the weather the publisher picks at random, and how many messages the manual
// subscriber had queued when it looked (that depends on timing).
func normalise(s string) string {
	s = extest.UUIDs(s)
	s = extest.Replace(s, `\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?`, "TIME")
	s = extest.Replace(s, `\('Amsterdam', '\w+'\)`, "('Amsterdam', 'WEATHER')")
	return extest.Replace(s, `Approx. number of received messages: \d+`, "Approx. number of received messages: N")
}

// firstMessages keeps what subscriber.py printed up to its first n messages: it goes on
// receiving them as long as the publisher publishes.
func firstMessages(s string, n int) string {
	parts := strings.SplitAfterN(s, "\nGOT MESSAGE:\n", n+2)
	if len(parts) < n+2 {
		return s
	}
	last := parts[n]
	if i := strings.Index(last, "\n\n"); i >= 0 { // the block ends at the next message's blank line
		last = last[:i+1]
	}
	return strings.Join(parts[:n], "") + last
}

// firstLines keeps the first n lines the publisher printed.
func firstLines(s string, n int) string {
	lines := strings.SplitAfter(s, "\n")
	return strings.Join(lines[:min(n, len(lines))], "")
}

// busTraffic runs Pyro4's subscriber.py (messages consumed by a callback),
// subscriber_manual_consume.py (consumed by its own loop, which unsubscribes after 5 and
// ends after 5 more) and publisher.py (the weather in Amsterdam, 100 forecasts a second)
// around the bus that ns names.
func busTraffic(t *testing.T, dir string, ns pyro.URI, server *extest.Proc) busRun {
	env := extest.NSEnv(ns)
	sub := extest.StartPython(t, env, "hostname to bind on", dir+"/subscriber.py")
	sub.Send("\n") // localhost
	sub.WaitFor("Subscribed on weather-forecast", 1)
	manual := extest.StartPython(t, env, "hostname to bind on", dir+"/subscriber_manual_consume.py")
	manual.Send("\n")
	manual.WaitFor("Entering manual message processing loop", 1)
	pub := extest.StartPython(t, env, "Give city or country", dir+"/publisher.py")
	pub.Send("Amsterdam\n")
	manualOut := manual.Wait(0).Stdout
	sub.WaitFor("GOT MESSAGE:", 3)
	pub.WaitFor("Forecast:", 5)
	r := busRun{
		subscriber: firstMessages(sub.Stdout(), 3),
		manual:     manualOut,
		publisher:  firstLines(pub.Stdout(), 5),
		server:     server.Stdout(),
	}
	if strings.Contains(pub.Stdout(), "connection to the messagebus is lost") {
		t.Errorf("the publisher lost the bus:\n%s", pub.Stdout())
	}
	return r
}

// TestClients runs Pyro4's message bus subscribers and publisher around messagebus/server.py
// (in-memory storage) and around the Go twin, side by side (the manual subscriber takes 5
// seconds): they print the same messages.
func TestClients(t *testing.T) {
	// Debian ships messagebus.py compressed; the subscribers import it too.
	dir := extest.Unpacked(t, "messagebus")
	var want, got busRun
	t.Run("buses", func(t *testing.T) {
		t.Run("python", func(t *testing.T) {
			t.Parallel()
			ns := extest.PythonNameServer(t)
			cmd := extest.Python(extest.NSEnv(ns), "-m", "messagebus.server", "-s", "memory")
			cmd.Dir = dir // "Start the message bus server from this example's directory"
			want = busTraffic(t, dir, ns, extest.Start(t, cmd, "Server running"))
		})
		t.Run("go", func(t *testing.T) {
			t.Parallel()
			ns := extest.GoNameServer(t)
			got = busTraffic(t, dir, ns, extest.StartGo(t, extest.NSEnv(ns), "Server running"))
		})
	})
	if t.Failed() {
		return
	}
	extest.Same(t, "subscriber.py's output", normalise(want.subscriber), normalise(got.subscriber))
	extest.Same(t, "subscriber_manual_consume.py's output", normalise(want.manual), normalise(got.manual))
	extest.Same(t, "publisher.py's output", normalise(want.publisher), normalise(got.publisher))
	// The server's banner names its URI; its first statistics line counts what happened
	// in its first 2 seconds, which depends on timing.
	server := func(s string) string {
		s = extest.ObjectIDs(extest.Addresses(s))
		s = extest.Replace(s, `\r\[[^]]*\] stats: \d+ topics, \d+ subs, \d+ pending, \d+ total     (?s:.*)`, "\r[TIME] stats: N topics, N subs, N pending, N total     ")
		return s
	}
	extest.Same(t, "the server's output", server(want.server), server(got.server))
	t.Logf("subscriber.py printed\n%s\nsubscriber_manual_consume.py\n%s", got.subscriber, got.manual)
}
