package benchkit_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopyro/pyro/internal/benchkit"
	"github.com/gopyro/pyro/internal/pytest"
	"github.com/gopyro/pyro/internal/wire"
	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

func startGoDaemon(t *testing.T) *benchkit.GoDaemon {
	t.Helper()
	g, err := benchkit.StartGoDaemon()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := g.Close(); err != nil {
			t.Errorf("daemon close: %v", err)
		}
	})
	return g
}

// The relay's byte counts must agree with the frames the wire layer builds for the same call:
// a header and the call body one way; a header, the CORR annotation and the result the other.
func TestMeasureSizesMatchesFrames(t *testing.T) {
	g := startGoDaemon(t)
	for _, name := range []string{"serpent", "json", "marshal", "msgpack"} {
		t.Run(name, func(t *testing.T) {
			got, err := benchkit.MeasureSizes(context.Background(), g.URI.String(), name)
			if err != nil {
				t.Fatal(err)
			}
			codec, err := serializer.ByName(name)
			if err != nil {
				t.Fatal(err)
			}
			call, err := serializer.MarshalCall(codec, serializer.Call{Object: benchkit.ObjectID, Method: "echo", Args: []any{benchkit.Message}, Kwargs: pyval.NewDict(0)})
			if err != nil {
				t.Fatal(err)
			}
			result, err := codec.Marshal(benchkit.Message)
			if err != nil {
				t.Fatal(err)
			}
			want := benchkit.Sizes{Request: wire.HeaderSize + len(call), Response: wire.HeaderSize + 6 + 16 + len(result)}
			if got != want {
				t.Errorf("MeasureSizes = %+v, want %+v", got, want)
			}
		})
	}
}

func TestMeasureSizesRejectsNonTCP(t *testing.T) {
	_, err := benchkit.MeasureSizes(context.Background(), "PYRONAME:some.name", "serpent")
	if err == nil {
		t.Fatal("MeasureSizes accepted a PYRONAME URI")
	}
}

func TestRunCallersMakesExactlyTheCallsAsked(t *testing.T) {
	var made atomic.Int64
	callers := make([]benchkit.Caller, 7)
	for i := range callers {
		callers[i] = func(context.Context) error { made.Add(1); return nil }
	}
	s, err := benchkit.RunCallers(context.Background(), callers, 1000, 0)
	if err != nil {
		t.Fatal(err)
	}
	if s.Calls != 1000 || made.Load() != 1000 {
		t.Errorf("reported %d calls, made %d, want 1000", s.Calls, made.Load())
	}
	if s.Elapsed <= 0 || s.Rate() <= 0 {
		t.Errorf("elapsed %v, rate %v", s.Elapsed, s.Rate())
	}
}

func TestRunCallersStopsAfterDuration(t *testing.T) {
	slow := func(context.Context) error { time.Sleep(time.Millisecond); return nil }
	s, err := benchkit.RunCallers(context.Background(), []benchkit.Caller{slow, slow}, 0, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if s.Elapsed < 50*time.Millisecond || s.Elapsed > 2*time.Second {
		t.Errorf("ran for %v, want about 50ms", s.Elapsed)
	}
	if s.Calls < 2 || s.Calls > 200 {
		t.Errorf("made %d 1ms calls on 2 callers in %v", s.Calls, s.Elapsed)
	}
}

func TestRunCallersReportsFailure(t *testing.T) {
	boom := errors.New("boom")
	n := 0
	fails := func(context.Context) error {
		n++
		if n == 3 {
			return boom
		}
		return nil
	}
	s, err := benchkit.RunCallers(context.Background(), []benchkit.Caller{fails}, 0, time.Hour)
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	if s.Calls != 2 {
		t.Errorf("counted %d calls, want the 2 that succeeded", s.Calls)
	}
	if _, err := benchkit.RunCallers(context.Background(), nil, 1, 0); err == nil {
		t.Error("no callers accepted")
	}
	if _, err := benchkit.RunCallers(context.Background(), []benchkit.Caller{fails}, 0, 0); err == nil {
		t.Error("neither count nor duration accepted")
	}
}

func TestRawPingPong(t *testing.T) {
	sizes := benchkit.Sizes{Request: 75, Response: 55}
	srv, err := benchkit.StartRawServer(sizes)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	call, closeConn, err := benchkit.DialRaw(context.Background(), srv.Addr(), sizes)
	if err != nil {
		t.Fatal(err)
	}
	defer closeConn()
	for range 100 {
		if err := call(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := benchkit.StartRawServer(benchkit.Sizes{}); err == nil {
		t.Error("zero sizes accepted")
	}
	// A server that is gone makes the call fail, not hang.
	srv.Close()
	if err := call(context.Background()); err == nil {
		t.Error("call to a closed server succeeded")
	}
}

func TestSuiteRows(t *testing.T) {
	var progress bytes.Buffer
	rep, err := benchkit.Run(context.Background(), benchkit.Options{Callers: []int{1, 3}, Calls: 300, Rounds: 2, Progress: &progress, NoPayloads: true, Batch: -1})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) != 6 {
		t.Fatalf("%d rows, want 6", len(rep.Rows))
	}
	for _, name := range []string{benchkit.RowRaw, benchkit.RowGoGo, benchkit.RowNetRPC} {
		for _, n := range []int{1, 3} {
			row, ok := rep.Find(name, n)
			if !ok {
				t.Fatalf("no row %s/%d", name, n)
			}
			if row.Total.Calls != 300 || len(row.Rounds) != 2 || row.Total.Rate() <= 0 {
				t.Errorf("%s/%d: %d calls in %d rounds at %.0f/s", name, n, row.Total.Calls, len(row.Rounds), row.Total.Rate())
			}
			if name == benchkit.RowGoGo && row.Total.AllocsPerCall() < 1 {
				t.Errorf("a pyro call reportedly allocates %.1f times", row.Total.AllocsPerCall())
			}
		}
	}
	if rep.Sizes.Request < wire.HeaderSize || rep.Sizes.Response < wire.HeaderSize {
		t.Errorf("sizes %+v", rep.Sizes)
	}
	var out bytes.Buffer
	if err := rep.WriteTable(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{benchkit.RowRaw, benchkit.RowGoGo, benchkit.RowNetRPC, "calls/s", "× raw", fmt.Sprintf("request frame %d bytes", rep.Sizes.Request)} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
	if !strings.Contains(progress.String(), "round 2 of 2") {
		t.Errorf("progress:\n%s", progress.String())
	}
	if _, err := benchkit.Run(context.Background(), benchkit.Options{Callers: []int{0}}); err == nil {
		t.Error("zero callers accepted")
	}
}

// The Python rows run real Pyro4 and Pyro5 clients against our daemon and their own daemons.
func TestSuitePythonRows(t *testing.T) {
	pytest.Require(t)
	rep, err := benchkit.Run(context.Background(), benchkit.Options{Callers: []int{2}, Calls: 100, Rounds: 1, Python: true, NoPayloads: true, Batch: -1})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{benchkit.RowPyGo, benchkit.RowPyPy, benchkit.RowPy5Go, benchkit.RowPy5Py5} {
		row, ok := rep.Find(name, 2)
		if !ok {
			t.Fatalf("no row %s", name)
		}
		if row.Total.Calls != 100 || row.Total.Rate() <= 0 {
			t.Errorf("%s: %d calls at %.0f/s", name, row.Total.Calls, row.Total.Rate())
		}
	}
}

// A Python client against a Go daemon given as Target, with another serializer.
func TestSuiteTarget(t *testing.T) {
	pytest.Require(t)
	g := startGoDaemon(t)
	rep, err := benchkit.Run(context.Background(), benchkit.Options{Callers: []int{1}, Calls: 50, Rounds: 1, Target: g.URI.String(), Serializer: "json", Python: true, Batch: -1})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{benchkit.RowGoTarget, benchkit.RowPyTarget, benchkit.RowPyPy} {
		if row, ok := rep.Find(name, 1); !ok || row.Total.Calls != 50 || (name == benchkit.RowPyPy) != row.CPUComplete {
			t.Errorf("row %s: %+v (found %v)", name, row, ok)
		}
	}
}

func TestPythonClientBadURI(t *testing.T) {
	pytest.Require(t)
	_, err := benchkit.StartPythonClient(context.Background(), "PYRO:nothing@127.0.0.1:1", "serpent", 1)
	if err == nil {
		t.Fatal("python client started against a closed port")
	}
	if !strings.Contains(err.Error(), "python exited") {
		t.Errorf("err = %v", err)
	}
}

func ExampleRunCallers() {
	var served atomic.Int64
	call := func(context.Context) error { served.Add(1); return nil }
	s, err := benchkit.RunCallers(context.Background(), []benchkit.Caller{call, call, call}, 90, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.Calls, served.Load())
	// Output: 90 90
}
