package main

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/gopyro/pyro/examples/internal/extest"
)

func TestMain(m *testing.M) { extest.Main(m, main) }

// normalise masks what the client picks at random (random.choice of the goods: the items,
// their prices, the totals) and the receipts' dates, and the frames of remote tracebacks
// (the server's source). checkReceipts checks what the masks hide.
func normalise(s string) string {
	s = extest.Replace(s, `(?m)^Receipt Date: .*$`, "Receipt Date: DATE")
	s = extest.Replace(s, `(?m)^ *total:  \d+\.\d\d$`, "       total:  TOTAL")
	s = extest.Replace(s, `(?m)^ *[a-z]+  \d+\.\d\d$`, "         ITEM  PRICE")
	s = extest.Replace(s, `(buys|takes) [a-z]+`, "$1 ITEM")
	return extest.RemoteTracebackFrames(s)
}

// normaliseServer masks the items in what the shop prints, and the carts' numbers (Python
// prints id(cart)).
func normaliseServer(s string) string {
	s = extest.Replace(s, `\((\w+) put into shoppingcart \d+\)`, "(ITEM put into shoppingcart N)")
	s = extest.Replace(s, `\(shoppingcart \d+ taken\)`, "(shoppingcart N taken)")
	return extest.Replace(s, `contains: \['[^]]*'\]`, "contains: [ITEMS]")
}

var (
	bought      = regexp.MustCompile(`(?m)^(Harry|Sally) buys (\w+)$`)
	receiptLine = regexp.MustCompile(`^ *(\w+)  (\d+\.\d\d)$`)
	totalLine   = regexp.MustCompile(`^ *total:  (\d+\.\d\d)$`)
)

// checkReceipts checks that each paying customer's receipt lists what they bought, at the
// inventory's prices, and the right total.
func checkReceipts(t *testing.T, who, out string) {
	t.Helper()
	items := map[string][]string{}
	for _, m := range bought.FindAllStringSubmatch(out, -1) {
		items[m[1]] = append(items[m[1]], m[2])
	}
	for _, customer := range []string{"Harry", "Sally"} {
		_, receipt, ok := strings.Cut(out, customer+" got this receipt:\n")
		if !ok {
			t.Errorf("%s: no receipt for %s:\n%s", who, customer, out)
			continue
		}
		var want []string
		total := 0.0
		for _, item := range items[customer] {
			want = append(want, fmt.Sprintf("%13s  %.2f", item, inventory[item]))
			total += inventory[item]
		}
		want = append(want, "", fmt.Sprintf("%13s  %.2f", "total:", total))
		lines := strings.Split(receipt, "\n")
		var got []string
		for _, l := range lines[1:] { // after the date (and Harry's name, first)
			if strings.HasPrefix(l, "Receipt Date:") {
				continue
			}
			if !receiptLine.MatchString(l) && !totalLine.MatchString(l) && l != "" {
				break
			}
			got = append(got, l)
			if totalLine.MatchString(l) {
				break
			}
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: %s bought %q; the receipt says\n%s\nwant\n%s", who, customer, items[customer], strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

// TestClients runs Pyro4's shoppingcart clients.py against shopserver.py and against the
// Go twin: it prints the same, but for what it buys at random, and so does the shop.
func TestClients(t *testing.T) {
	dir := extest.Dir(t, "shoppingcart")
	// The client ends by using a cart the shop took back: Pyro4 raises DaemonError and the
	// client dies with status 1.
	pyNS := extest.PythonNameServer(t)
	pyServer := extest.StartPython(t, extest.NSEnv(pyNS), "Pyro daemon running.", dir+"/shopserver.py")
	want := extest.Run(t, extest.Python(extest.NSEnv(pyNS), dir+"/clients.py"), "", 1)

	goNS := extest.GoNameServer(t)
	goServer := extest.StartGo(t, extest.NSEnv(goNS), "Pyro daemon running.")
	got := extest.Run(t, extest.Python(extest.NSEnv(goNS), dir+"/clients.py"), "", 1)

	extest.Same(t, "the client's output", normalise(want.Stdout), normalise(got.Stdout))
	extest.Same(t, "the client's errors", normalise(want.Stderr), normalise(got.Stderr))
	checkReceipts(t, "against Python's server", want.Stdout)
	checkReceipts(t, "against the Go twin", got.Stdout)
	extest.Same(t, "the shop's output", normaliseServer(pyServer.After("Pyro daemon running.\n")),
		normaliseServer(goServer.After("Pyro daemon running.\n")))
	if !strings.HasSuffix(got.Stderr, "\nPyro4.errors.DaemonError: unknown object\n") {
		t.Errorf("the client did not end on an unknown object:\n%s", got.Stderr)
	}
	t.Logf("against the Go twin the client printed\n%s", got.Stdout)
}
