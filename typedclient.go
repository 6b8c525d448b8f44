package pyro

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/gopyro/pyro/internal/wire"
)

// NewClient returns a T whose func fields call the remote methods of p, so that a Go client
// describes a remote API once, as a struct, and the compiler checks every call through it.
// Go cannot implement an interface at run time; a struct of funcs is the closest it gets:
//
//	type Worker struct {
//		GetRate  func(ctx context.Context, pair string) (Quote, error)
//		Pairs    func(ctx context.Context) iter.Seq2[string, error] // a remote generator
//		Reload   func(ctx context.Context) error                    // result discarded
//		Announce func(ctx context.Context, msg string) error        `pyro:",oneway"`
//	}
//	w, err := pyro.NewClient[Worker](p)
//	q, err := w.GetRate(ctx, "EURUSD")
//
// Each exported func field calls the method named by its `pyro:"name"` tag, or by the field's
// name, which the proxy matches to the remote snake_case or camelCase name (GetRate calls
// get_rate or getRate). A field takes a context.Context first, then the arguments (a final
// variadic parameter is spread, a final Kwargs passes keywords), and returns (R, error),
// error, or an iter.Seq2[T, error] for a method that streams. The tag option oneway sends
// without waiting (the func returns error only). `pyro:"-"` and unexported fields are left
// alone. NewClient does no I/O; a field of another shape is an error naming it.
func NewClient[T any](p *Proxy) (*T, error) {
	c := new(T)
	v := reflect.ValueOf(c).Elem()
	t := v.Type()
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("pyro: NewClient[%s]: want a struct of func fields", t)
	}
	if p == nil {
		return nil, fmt.Errorf("pyro: NewClient[%s]: nil proxy", t)
	}
	var problems []string
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("pyro")
		if !f.IsExported() || tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		fn, err := clientFunc(p, name, opts == "oneway", f.Type)
		if err != nil {
			problems = append(problems, fmt.Sprintf("field %s: %v", f.Name, err))
			continue
		}
		v.Field(i).Set(fn)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("pyro: NewClient[%s]: %s", t, strings.Join(problems, "; "))
	}
	return c, nil
}

// clientCall is what a client func does with its result.
type clientCall int

const (
	callResult  clientCall = iota // (R, error)
	callNoValue                   // error
	callStream                    // iter.Seq2[T, error]
	callOneway                    // error, without waiting
)

// clientFunc makes the func of type ft that calls method on p.
func clientFunc(p *Proxy, method string, oneway bool, ft reflect.Type) (reflect.Value, error) {
	if ft.Kind() != reflect.Func {
		return reflect.Value{}, fmt.Errorf("a %s, not a func", ft)
	}
	if ft.NumIn() == 0 || ft.In(0) != contextType {
		return reflect.Value{}, errors.New("the first parameter must be a context.Context")
	}
	var kind clientCall
	switch {
	case ft.NumOut() == 1 && ft.Out(0) == errorType:
		kind = callNoValue
	case ft.NumOut() == 2 && ft.Out(1) == errorType:
		kind = callResult
	case ft.NumOut() == 1 && streamKindOf(ft.Out(0)) == streamSeq2:
		kind = callStream
	default:
		return reflect.Value{}, errors.New("results must be (T, error), error, or iter.Seq2[T, error]")
	}
	if oneway {
		if kind != callNoValue {
			return reflect.Value{}, errors.New("a oneway method returns only error")
		}
		kind = callOneway
	}
	variadic := ft.IsVariadic()
	return reflect.MakeFunc(ft, func(in []reflect.Value) []reflect.Value {
		ctx, _ := in[0].Interface().(context.Context)
		args := make([]any, 0, len(in)-1)
		for i, a := range in[1:] {
			if variadic && i == len(in)-2 {
				for j := range a.Len() {
					args = append(args, a.Index(j).Interface())
				}
				continue
			}
			args = append(args, a.Interface())
		}
		if ctx == nil {
			err := p.callError("call", method, len(args), errors.New("nil context"))
			return zeroResults(ft, err)
		}
		switch kind {
		case callResult:
			out := reflect.New(ft.Out(0))
			err := p.Call(ctx, method, out.Interface(), args...)
			return []reflect.Value{out.Elem(), errorValue(err)}
		case callNoValue:
			return []reflect.Value{errorValue(p.Call(ctx, method, nil, args...))}
		case callOneway:
			return []reflect.Value{errorValue(p.onewayChecked(ctx, method, args))}
		}
		return []reflect.Value{streamFunc(ctx, p, method, args, ft.Out(0))}
	}), nil
}

// streamFunc makes an iter.Seq2[T, error] of type seqType over p.Stream.
func streamFunc(ctx context.Context, p *Proxy, method string, args []any, seqType reflect.Type) reflect.Value {
	itemType := seqType.In(0).In(0)
	return reflect.MakeFunc(seqType, func(in []reflect.Value) []reflect.Value {
		yield := in[0]
		for item, err := range p.Stream(ctx, method, args...) {
			v := reflect.New(itemType)
			if err == nil {
				err = p.convertItem(method, len(args), item, v.Interface())
			}
			if !yield.Call([]reflect.Value{v.Elem(), errorValue(err)})[0].Bool() || err != nil {
				break
			}
		}
		return nil
	})
}

// onewayChecked sends a oneway call under the name the metadata lists, refusing a name it
// does not list, as Call does (Proxy.Oneway sends any name as given).
func (p *Proxy) onewayChecked(ctx context.Context, method string, args []any) error {
	args, kwargs := splitKwargs(args)
	err := p.bindOnce(ctx)
	name := method
	if err == nil {
		if name, err = p.exposedName(method, false); err == nil {
			_, err = p.invoke(ctx, "", name, args, kwargs, wire.FlagOneway)
		} else {
			name = method
		}
	}
	return p.callError("call", name, len(args), err)
}

func errorValue(err error) reflect.Value {
	if err == nil {
		return reflect.Zero(errorType)
	}
	return reflect.ValueOf(&err).Elem()
}

func zeroResults(ft reflect.Type, err error) []reflect.Value {
	out := make([]reflect.Value, ft.NumOut())
	for i := range out {
		out[i] = reflect.Zero(ft.Out(i))
	}
	if ft.Out(ft.NumOut()-1) == errorType {
		out[len(out)-1] = errorValue(err)
		return out
	}
	// A stream reports the error as its only item.
	out[0] = reflect.MakeFunc(ft.Out(0), func(in []reflect.Value) []reflect.Value {
		in[0].Call([]reflect.Value{reflect.Zero(ft.Out(0).In(0).In(0)), errorValue(err)})
		return nil
	})
	return out
}
