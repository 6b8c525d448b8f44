package pyro_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/pyrotest"
)

// registerError registers obj and returns the *RegisterError it must fail with.
func registerError(t *testing.T, obj any, opts ...pyro.RegisterOption) *pyro.RegisterError {
	t.Helper()
	d, err := pyro.NewDaemon(pyro.DaemonConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	_, err = d.Register(obj, opts...)
	var re *pyro.RegisterError
	if !errors.As(err, &re) {
		t.Fatalf("Register: %v, want a *pyro.RegisterError", err)
	}
	return re
}

// wantProblems checks that each wanted text is in exactly one problem and that there are no
// others.
func wantProblems(t *testing.T, re *pyro.RegisterError, want ...string) {
	t.Helper()
	if len(re.Problems) != len(want) {
		t.Errorf("%d problems, want %d:\n%s", len(re.Problems), len(want), strings.Join(re.Problems, "\n"))
	}
	for _, w := range want {
		n := 0
		for _, p := range re.Problems {
			if strings.Contains(p, w) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d problems mention %q:\n%s", n, w, strings.Join(re.Problems, "\n"))
		}
	}
}

// TestRegisterOptionTypos: every option naming no exposed method fails the registration,
// naming the option, the type, and what was probably meant; all problems come at once.
func TestRegisterOptionTypos(t *testing.T) {
	re := registerError(t, &calc{},
		pyro.WithOneway("Typo"),
		pyro.WithParams("add", "a", "b"),
		pyro.WithName("Nope", "nope"),
		pyro.WithHidden("Hidn"),
		pyro.WithAttributes("Add"),
		pyro.WithAttributes("Missing"),
		pyro.WithOneway("scale"),
		pyro.WithParams("Divide", "a"),
	)
	wantProblems(t, re,
		`WithOneway("Typo"): *pyro_test.calc has no method Typo`,
		`WithParams("add", ...): no method add; give the Go name "Add"`,
		`WithName("Nope", "nope"): *pyro_test.calc has no method Nope`,
		`WithHidden("Hidn"): *pyro_test.calc has no method Hidn`,
		`WithAttributes("Add"): Add is not a getter`,
		`WithAttributes("Missing"): *pyro_test.calc has no method Missing`,
		`WithOneway("scale"): scale is an attribute, not a method`,
		`WithParams("Divide"): 1 names given, the method has 2 parameters`,
	)
	if !strings.HasPrefix(re.Error(), "pyro: cannot register *pyro_test.calc: ") {
		t.Errorf("Error() = %q", re.Error())
	}
}

// TestRegisterOptionNotExposed: an option naming a method that exists but is not exposed
// says why.
func TestRegisterOptionNotExposed(t *testing.T) {
	re := registerError(t, &calc{}, pyro.WithHidden("Add"), pyro.WithOneway("Add"),
		pyro.WithParams("SetScale", "s"), pyro.WithInterface[interface {
			Divide(a, b float64) (float64, error)
		}]())
	wantProblems(t, re,
		`WithOneway("Add"): Add is hidden by pyro.WithHidden`,
		`WithParams("SetScale", ...): SetScale is not a method of interface`,
	)
	re = registerError(t, &calc{}, pyro.WithParams("SetScale", "s"))
	wantProblems(t, re, `WithParams("SetScale", ...): SetScale is the setter of the attribute "scale"`)
}

type oddMethods struct{}

func (oddMethods) Fine() int                                { return 1 }
func (oddMethods) TakesChan(c chan int)                     {}
func (oddMethods) TakesFuncs(fs ...func())                  {}
func (oddMethods) TakesMapOfChans(m map[string]chan int)    {}
func (oddMethods) Three() (int, int, int)                   { return 1, 2, 3 }
func (oddMethods) SecondNotError() (int, string)            { return 1, "" }
func (oddMethods) ReturnsFunc() func()                      { return nil }
func (oddMethods) ReturnsSendChan() chan<- int              { return nil }
func (oddMethods) LateContext(n int, ctx context.Context)   {}
func (oddMethods) Streams() <-chan int                      { return nil }
func (oddMethods) TakesCustom(c customConv) string          { return "" }
func (oddMethods) ReturnsCustom() customConv                { return nil }
func (oddMethods) Variadic(prefix string, xs ...int) string { return "" }

// customConv is a func type that converts itself, which makes it fine.
type customConv func()

func (c customConv) MarshalPython() (any, error) { return "custom", nil }
func (c *customConv) UnmarshalPython(any) error  { return nil }

// TestRegisterUnsupportedSignatures: one rule for every method whose signature cannot be
// called remotely: the registration fails listing each, with the WithHidden that fixes it,
// and with those hidden it succeeds.
func TestRegisterUnsupportedSignatures(t *testing.T) {
	bad := map[string]string{
		"TakesChan":       "method TakesChan takes a chan int, which no Python value converts to",
		"TakesFuncs":      "method TakesFuncs takes a []func(), which no Python value converts to",
		"TakesMapOfChans": "method TakesMapOfChans takes a map[string]chan int",
		"Three":           "method Three returns 3 values: return T, (T, error), error or nothing",
		"SecondNotError":  "method SecondNotError returns (int, string): a second result must be error",
		"ReturnsFunc":     "method ReturnsFunc returns a func(), which has no Python form",
		"ReturnsSendChan": "method ReturnsSendChan returns a chan<- int, which has no Python form",
		"LateContext":     "method LateContext takes a context.Context after other parameters: make it the first",
	}
	var want, names []string
	for name, msg := range bad {
		want = append(want, msg)
		names = append(names, name)
	}
	re := registerError(t, oddMethods{})
	wantProblems(t, re, want...)
	for _, p := range re.Problems {
		name := strings.Fields(p)[1]
		if !strings.HasSuffix(p, `; hide it with pyro.WithHidden("`+name+`")`) {
			t.Errorf("no fix in %q", p)
		}
	}

	uri := pyrotest.Serve(t, oddMethods{}, pyro.WithHidden(names...))
	methods, _, _, err := pyrotest.NewProxy(t, uri).Metadata(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"fine", "returns_custom", "streams", "takes_custom", "variadic"}; !slices.Equal(methods, want) {
		t.Errorf("methods %v, want %v", methods, want)
	}
}

type ptrReceivers struct{ n int }

func (p *ptrReceivers) Incr() int   { p.n++; return p.n }
func (p *ptrReceivers) Get() int    { return p.n }
func (p ptrReceivers) Value() int   { return p.n }
func (p ptrReceivers) Double() int  { return 2 * p.n }
func (p *ptrReceivers) Hidden() int { return 0 }

// TestRegisterValueWithPointerMethods: registering a T whose methods need a *T says to pass
// a pointer, instead of silently exposing only the value methods.
func TestRegisterValueWithPointerMethods(t *testing.T) {
	re := registerError(t, ptrReceivers{}, pyro.WithHidden("Hidden"))
	wantProblems(t, re, "methods Get and Incr have pointer receivers, which a pyro_test.ptrReceivers value lacks: register a pointer (&ptrReceivers{})")

	d := pyrotest.NewDaemon(t, pyro.DaemonConfig{})
	_, err := d.RegisterFactory(pyro.PerCall, func() ptrReceivers { return ptrReceivers{} })
	if err == nil || !strings.Contains(err.Error(), "make the factory return *pyro_test.ptrReceivers") {
		t.Errorf("factory of values: %v", err)
	}
	_, err = d.Register(ptrReceivers{}, pyro.WithInterface[interface{ Incr() int }]())
	if err == nil || !strings.Contains(err.Error(), "it does not implement interface { Incr() int } (*pyro_test.ptrReceivers does: register a pointer)") {
		t.Errorf("interface needing a pointer: %v", err)
	}
	// A pointer, or hiding the pointer methods, is fine.
	if _, err := d.Register(&ptrReceivers{}); err != nil {
		t.Error(err)
	}
	if _, err := d.Register(ptrReceivers{}, pyro.WithHidden("Incr", "Get", "Hidden")); err != nil {
		t.Error(err)
	}
}

type clash struct{}

func (clash) GetRate() int  { return 1 }
func (clash) Get_rate() int { return 2 }
func (clash) Other() int    { return 3 }

// TestRegisterNameClashes: two methods exposed under one name, or a name no caller could
// reach, are errors rather than one method silently shadowing the other.
func TestRegisterNameClashes(t *testing.T) {
	wantProblems(t, registerError(t, clash{}), `methods GetRate and Get_rate are both exposed as "get_rate": rename one with pyro.WithName`)
	wantProblems(t, registerError(t, clash{}, pyro.WithHidden("Get_rate"), pyro.WithName("Other", "get_rate")),
		`methods GetRate and Other are both exposed as "get_rate"`)
	wantProblems(t, registerError(t, clash{}, pyro.WithHidden("Get_rate"), pyro.WithName("Other", "_other")),
		`method Other would be exposed as "_other", which Pyro4 treats as private`)
	wantProblems(t, registerError(t, clash{}, pyro.WithHidden("Get_rate"), pyro.WithNaming(func(string) string { return "same" })),
		`methods GetRate and Other are both exposed as "same"`)
}

// TestRegisterFactoryOfInterface: a factory may return an interface type; its methods are
// called through the interface value (variadic ones and streams included).
func TestRegisterFactoryOfInterface(t *testing.T) {
	d := pyrotest.NewDaemon(t, pyro.DaemonConfig{})
	uri, err := d.RegisterFactory(pyro.PerCall, func() GreeterAPI { return Greeter{} })
	if err != nil {
		t.Fatal(err)
	}
	p := pyrotest.NewProxy(t, uri)
	ctx := context.Background()
	if got, err := pyro.CallT[string](ctx, p, "hello", "iface"); err != nil || got != "hello iface" {
		t.Errorf("hello: %q %v", got, err)
	}
	var counted []any
	for n, err := range p.Stream(ctx, "countdown", 3) {
		if err != nil {
			t.Fatal(err)
		}
		counted = append(counted, n)
	}
	if !slices.Equal(counted, []any{int64(3), int64(2), int64(1)}) {
		t.Errorf("countdown: %v", counted)
	}
	// A count error counts the interface method's own parameters.
	var re *pyro.RemoteError
	err = p.Call(ctx, "hello", nil)
	if !errors.As(err, &re) || re.Message() != "GreeterAPI.hello() takes 2 positional arguments but 1 was given" {
		t.Errorf("hello(): %v", err)
	}

	uri, err = d.RegisterFactory(pyro.Single, func() interface{ Sum(xs ...float64) float64 } { return &calc{} })
	if err != nil {
		t.Fatal(err)
	}
	if got, err := pyro.CallT[float64](ctx, pyrotest.NewProxy(t, uri), "sum", 1, 2, 3.5); err != nil || got != 6.5 {
		t.Errorf("sum: %v %v", got, err)
	}
}
