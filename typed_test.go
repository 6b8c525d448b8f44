package pyro_test

import (
	"context"
	"errors"
	"iter"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/pyrotest"
)

// TestTypedMethods: Method0..3 call with the compiler checking argument and result types;
// struct{} discards a result; a result of the wrong type names the call.
func TestTypedMethods(t *testing.T) {
	_, _, uri := newCalcDaemon(t)
	ctx := context.Background()
	p := pyrotest.NewProxy(t, uri)

	add := pyro.Method2[int, int, int](p, "add")
	if n, err := add(ctx, 2, 3); err != nil || n != 5 {
		t.Errorf("add: %v %v", n, err)
	}
	rates := pyro.Method1[map[string]float64, map[string]float64](p, "Rates")
	if m, err := rates(ctx, map[string]float64{"EURUSD": 1}); err != nil || m["EURUSD"] != 2 {
		t.Errorf("rates: %v %v", m, err)
	}
	var re *pyro.RemoteError
	if _, err := pyro.Method0[struct{}](p, "fail")(ctx); !errors.As(err, &re) || re.Message() != "plain go error" {
		t.Errorf("fail: %v", err)
	}
	greet := pyro.Method1[string, string](p, "greet") // the greeting is optional (WithParams)
	if s, err := greet(ctx, "Ann"); err != nil || s != "hello Ann" {
		t.Errorf("greet: %q %v", s, err)
	}
	join := pyro.Method3[string, string, string, string](pyrotest.NewProxy(t, pyrotest.Serve(t, joiner{})), "join")
	if s, err := join(ctx, "-", "a", "b"); err != nil || s != "a-b" {
		t.Errorf("join: %q %v", s, err)
	}
	if _, err := pyro.Method0[int](nil, "x")(ctx); err == nil {
		t.Error("a nil proxy called")
	}
	for _, err := range pyro.StreamT[int](ctx, nil, "x") {
		if err == nil {
			t.Error("a nil proxy streamed")
		}
	}
	if _, err := pyro.NewClient[calcClient](nil); err == nil {
		t.Error("NewClient of a nil proxy")
	}
	wrong := pyro.Method2[int, int, []string](p, "add")
	_, err := wrong(ctx, 1, 2)
	wantCallError(t, err, "add", uri, "result: ")
}

// TestStreamT: items arrive as T; one that does not convert ends the stream with an error
// naming the call.
func TestStreamT(t *testing.T) {
	_, _, uri := newCalcDaemon(t)
	ctx := context.Background()
	p := pyrotest.NewProxy(t, uri)
	var got []int
	for n, err := range pyro.StreamT[int](ctx, p, "count", 4) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, n)
	}
	if !slices.Equal(got, []int{0, 1, 2, 3}) {
		t.Errorf("count: %v", got)
	}
	var errs []error
	for s, err := range pyro.StreamT[string](ctx, p, "count", 4) {
		if err == nil {
			t.Errorf("item %q from an int", s)
		}
		errs = append(errs, err)
	}
	if len(errs) != 1 {
		t.Fatalf("%d items after a bad one", len(errs))
	}
	wantCallError(t, errs[0], "count", uri, "stream item: ")
}

// notes records oneway notes for the client test.
type notes struct {
	mu   sync.Mutex
	got  []string
	seen chan struct{}
}

func (n *notes) Note(msg string) {
	n.mu.Lock()
	n.got = append(n.got, msg)
	n.mu.Unlock()
	n.seen <- struct{}{}
}

// calcClient is a typed client of calc: the compiler checks every call made through it.
type calcClient struct {
	Add    func(ctx context.Context, a, b int) (int, error)
	Sum    func(ctx context.Context, xs ...float64) (float64, error)
	Count  func(ctx context.Context, n int) iter.Seq2[int, error]
	Fail   func(ctx context.Context) error
	Greet  func(ctx context.Context, name string, kw pyro.Kwargs) (string, error)
	Div    func(ctx context.Context, a, b float64) (float64, error) `pyro:"divide"`
	Skip   func() int                                               `pyro:"-"`
	hidden func()
}

// TestNewClient: a struct of funcs calls the remote methods, streams included.
func TestNewClient(t *testing.T) {
	_, _, uri := newCalcDaemon(t)
	ctx := context.Background()
	c, err := pyro.NewClient[calcClient](pyrotest.NewProxy(t, uri))
	if err != nil {
		t.Fatal(err)
	}
	if c.Skip != nil || c.hidden != nil {
		t.Error("NewClient set a skipped field")
	}
	if n, err := c.Add(ctx, 40, 2); err != nil || n != 42 {
		t.Errorf("Add: %v %v", n, err)
	}
	if s, err := c.Sum(ctx, 1, 2, 3.5); err != nil || s != 6.5 {
		t.Errorf("Sum: %v %v", s, err)
	}
	var counted []int
	for n, err := range c.Count(ctx, 3) {
		if err != nil {
			t.Fatal(err)
		}
		counted = append(counted, n)
	}
	if !slices.Equal(counted, []int{0, 1, 2}) {
		t.Errorf("Count: %v", counted)
	}
	if err := c.Fail(ctx); err == nil || !strings.Contains(err.Error(), "plain go error") {
		t.Errorf("Fail: %v", err)
	}
	if s, err := c.Greet(ctx, "Bo", pyro.Kwargs{"greeting": "hi"}); err != nil || s != "hi Bo" {
		t.Errorf("Greet: %q %v", s, err)
	}
	var re *pyro.RemoteError
	if _, err := c.Div(ctx, 1, 0); !errors.As(err, &re) || re.Class != "builtins.ZeroDivisionError" {
		t.Errorf("Div: %v", err)
	}
	if _, err := c.Add(nil, 1, 2); err == nil || !strings.Contains(err.Error(), "nil context") {
		t.Errorf("nil context: %v", err)
	}

	n := &notes{seen: make(chan struct{}, 1)}
	type notesClient struct {
		Note func(ctx context.Context, msg string) error `pyro:",oneway"`
		Typo func(ctx context.Context, msg string) error `pyro:"nope,oneway"`
	}
	nc, err := pyro.NewClient[notesClient](pyrotest.NewProxy(t, pyrotest.Serve(t, n)))
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Note(ctx, "sent"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-n.seen:
	case <-time.After(5 * time.Second):
		t.Fatal("oneway note never arrived")
	}
	if err := nc.Typo(ctx, "x"); !errors.Is(err, pyro.ErrNoSuchMethod) {
		t.Errorf("oneway to an unknown method: %v", err)
	}
}

// TestNewClientRefusesBadShapes: every field that cannot be a remote call is named.
func TestNewClientRefusesBadShapes(t *testing.T) {
	p, err := pyro.NewProxy("PYRO:x@127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	type bad struct {
		NotFunc  int
		NoCtx    func(a int) (int, error)
		NoErr    func(ctx context.Context) int
		Three    func(ctx context.Context) (int, int, error)
		OneWayR  func(ctx context.Context) (int, error) `pyro:",oneway"`
		SeqNoErr func(ctx context.Context) iter.Seq[int]
		Fine     func(ctx context.Context) error
	}
	_, err = pyro.NewClient[bad](p)
	for _, want := range []string{
		"field NotFunc: a int, not a func",
		"field NoCtx: the first parameter must be a context.Context",
		"field NoErr: results must be",
		"field Three: results must be",
		"field OneWayR: a oneway method returns only error",
		"field SeqNoErr: results must be",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "Fine") {
		t.Errorf("a fine field is refused: %v", err)
	}
	if _, err := pyro.NewClient[int](p); err == nil {
		t.Error("NewClient[int] worked")
	}
}
