package gateway_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/gateway"
)

var screenshot = flag.String("screenshot", "", "write a screenshot of the console to this PNG file (go generate does, for docs/console.png)")

// TestConsole drives the console in Debian's headless Chromium: it lists the names, filters
// them by prefix and by metadata, opens an object, calls a method with JSON arguments and sees
// the result and its time, then a remote exception with its traceback.
func TestConsole(t *testing.T) {
	requireChromium(t)
	ns := startGoNS(t)
	startGoEcho(t, ns)
	startPyro5Values(t, ns)
	for _, n := range []string{"test.currency.worker1", "test.currency.worker2"} {
		register(t, ns, n, pyro.URI{Protocol: pyro.ProtocolPyro, Object: n, Host: "10.0.0.7", Port: 51234}, []string{"service:currency"})
	}
	base := startGoGateway(t, ns, gateway.Config{Expose: `test\.`})

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.WindowSize(1500, 1000))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	// The first Run starts the browser, which lives as long as that call's context: no
	// timeout on it. Later actions each get one.
	if err := chromedp.Do(ctx, chromedp.Navigate(base)); err != nil {
		t.Fatalf("open the console in %s: %v", chromiumPath, err)
	}
	bounded := func() (context.Context, context.CancelFunc) { return context.WithTimeout(ctx, 45*time.Second) }
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		c, cancel := bounded()
		defer cancel()
		if err := chromedp.Do(c, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		c, cancel := bounded()
		defer cancel()
		s, err := chromedp.Run(c, chromedp.TextContent(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return s
	}
	waitFor := func(what, js string) {
		t.Helper()
		c, cancel := bounded()
		defer cancel()
		if _, err := chromedp.Run(c, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
			t.Fatalf("waiting for %s (%s): %v", what, js, err)
		}
	}
	names := func() string {
		t.Helper()
		c, cancel := bounded()
		defer cancel()
		s, err := chromedp.Run(c, chromedp.Evaluate[string](`[...document.querySelectorAll("#names tbody td.name")].map(e => e.textContent).join(" ")`))
		if err != nil {
			t.Fatalf("read the names: %v", err)
		}
		return s
	}
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	// set fills a form field (chromedp's SetValue refuses an empty value).
	set := func(sel, value string) chromedp.Action[chromedp.Void] {
		js, _ := json.Marshal(value)
		q, _ := json.Marshal(sel)
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](fmt.Sprintf("(document.querySelector(%s).value = %s, true)", q, js))(ctx, tg)
			return err
		})
	}

	waitFor("the names listed", `document.querySelectorAll("#names tbody tr").length === 4`)
	if got, want := names(), "test.currency.worker1 test.currency.worker2 test.echoserver test.values"; got != want {
		t.Fatalf("names: %q, want %q", got, want)
	}
	if ns := text("#ns"); !strings.Contains(ns, "PYRO:Pyro.NameServer@127.0.0.1:") {
		t.Errorf("name server shown as %q", ns)
	}

	do("filter by prefix", set("#f-prefix", "test.cur"), chromedp.Click(css("#f-apply")))
	waitFor("the prefix filter", `document.querySelectorAll("#names tbody tr").length === 2`)
	do("filter by regex", set("#f-prefix", ""), set("#f-regex", `test\.(echo|val)`), chromedp.Click(css("#f-apply")))
	waitFor("the regex filter", `document.querySelectorAll("#names tbody tr").length === 2 && document.querySelector("#names tbody td.name").textContent === "test.echoserver"`)
	do("filter by metadata", set("#f-regex", ""), set("#f-meta-any", "lang:python"), chromedp.Click(css("#f-apply")))
	waitFor("the metadata filter", `document.querySelectorAll("#names tbody tr").length === 1`)
	if got := names(); got != "test.values" {
		t.Fatalf("metadata lang:python lists %q", got)
	}
	do("clear the filter", chromedp.Click(css("#f-clear")))
	waitFor("all names again", `document.querySelectorAll("#names tbody tr").length === 4`)

	do("open test.values", chromedp.Click(css(`#names tbody tr[data-name="test.values"]`)))
	waitFor("its metadata", `[...document.querySelectorAll("#obj-methods li")].some(e => e.textContent === "greet")`)
	if attrs, oneway := text("#obj-attrs"), text("#obj-oneway"); attrs != "answer" || oneway != "fire" {
		t.Errorf("attributes %q, oneway %q; want answer, fire", attrs, oneway)
	}

	do("call greet", set("#call-method", "greet"),
		set("#call-args", `{"name": "console", "greeting": "hello"}`), chromedp.Click(css("#call-go")))
	waitFor("greet's result", `document.querySelector("#result-body").textContent === '"hello console"'`)
	if status, took := text("#result-status"), text("#result-time"); status != "200" || !strings.HasSuffix(took, " ms") {
		t.Errorf("status %q, time %q", status, took)
	}

	do("call custom_error", set("#call-method", "custom_error"), set("#call-args", `[]`), chromedp.Click(css("#call-go")))
	waitFor("the remote exception", `document.querySelector("#error-class").textContent === "__main__.Oops"`)
	do("open the traceback", chromedp.Click(css("#error-tb-box summary")))
	status, msg, tb := text("#result-status"), text("#error-message"), text("#error-traceback")
	if status != "500" || msg != "custom failure" || !strings.Contains(tb, "Traceback (most recent call last)") || !strings.Contains(tb, "Oops: custom failure") {
		t.Errorf("exception shown as status %q, message %q, traceback %q", status, msg, tb)
	}
	waitFor("two calls in the history", `document.querySelectorAll("#history tbody tr").length === 2`)

	if *screenshot != "" {
		c, cancel := bounded()
		defer cancel()
		png, err := chromedp.Run(c, chromedp.FullScreenshot(100)) // quality 100 is a PNG
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(*screenshot, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
