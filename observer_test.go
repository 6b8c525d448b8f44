package pyro_test

import (
	"context"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/internal/pytest"
	"github.com/gopyro/pyro/pyrotest"
)

type failer struct{}

func (failer) Fail() error { return pyro.NewError("builtins.KeyError", "gone") }

// TestSlogObserver: one line per connection event and per failed call, the latter with the
// correlation id the client sent (a Pyro5 proxy always sends one).
func TestSlogObserver(t *testing.T) {
	var buf pytest.SyncBuffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	d := pyrotest.NewDaemon(t, pyro.DaemonConfig{Observer: pyro.SlogObserver(logger)})
	uri, err := d.Register(failer{}, pyro.WithID("failer"))
	if err != nil {
		t.Fatal(err)
	}
	p := pyrotest.NewProxy(t, uri, pyro.WithProtocol(pyro.Pyro5))
	if err := p.Call(context.Background(), "fail", nil); err == nil {
		t.Fatal("fail did not fail")
	}
	p.Close()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(buf.String(), "connection closed") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	log := buf.String()
	for _, want := range []string{
		`level=INFO msg="pyro: connection accepted" event=accepted`,
		`level=INFO msg="pyro: connection opened" event=opened`,
		`level=INFO msg="pyro: connection closed" event=closed`,
		`protocol=Pyro5`,
	} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	failed := regexp.MustCompile(`level=WARN msg="pyro: call failed" object=failer method=fail class=builtins.KeyError .* correlation_id=[0-9a-f]{32}`)
	if !failed.MatchString(log) {
		t.Errorf("no failed-call line with a correlation id:\n%s", log)
	}
	if n := strings.Count(log, "\n"); n != 4 {
		t.Errorf("%d log lines, want 4 (accepted, opened, failed call, closed):\n%s", n, log)
	}
}

// TestJoinDaemonObservers: nil observers drop out; one left is returned as it is.
func TestJoinDaemonObservers(t *testing.T) {
	if pyro.JoinDaemonObservers(nil, nil) != nil {
		t.Error("joining nils is not nil")
	}
	o := pyro.SlogObserver(slog.Default())
	if pyro.JoinDaemonObservers(nil, o) != o {
		t.Error("joining one observer wraps it")
	}
}

// TestObservedNamesAreBounded: an object or method the daemon does not serve is observed as
// UnknownName, so a client sending made-up names cannot make an observer keep a series or
// span name per name.
func TestObservedNamesAreBounded(t *testing.T) {
	var buf pytest.SyncBuffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	d := pyrotest.NewDaemon(t, pyro.DaemonConfig{Observer: pyro.SlogObserver(logger)})
	uri, err := d.Register(failer{}, pyro.WithID("failer"))
	if err != nil {
		t.Fatal(err)
	}
	// Python's proxy without metadata sends whatever it is asked to call (ours knows better).
	other := uri
	other.Object = "made.up.object"
	out := pytest.Run(t, `
import sys, Pyro4
Pyro4.config.METADATA = False
known, unknown = sys.stdin.read().split()
p = Pyro4.Proxy(known)
for m in ("made_up_1", "made_up_2", "_private", "fail"):
    try:
        getattr(p, m)()
    except Exception as e:
        print(m, type(e).__name__)
try:
    Pyro4.Proxy(unknown).fail()
except Exception as e:
    print("object", type(e).__name__)
`, []byte(uri.String()+" "+other.String()))
	if got := string(out); got != "made_up_1 AttributeError\nmade_up_2 AttributeError\n_private AttributeError\nfail KeyError\nobject DaemonError\n" {
		t.Fatalf("Python client printed:\n%s", got)
	}
	log := buf.String()
	if strings.Contains(log, "method=made_up") || strings.Contains(log, "method=_private") || strings.Contains(log, "object=made.up.object") {
		t.Errorf("a client's made-up name reached the observer:\n%s", log)
	}
	for _, want := range []string{
		`object=failer method=<unknown>`, `object=failer method=fail`, `object=<unknown> method=<unknown>`,
	} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
}
