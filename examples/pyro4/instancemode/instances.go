package main

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/pyval"
)

// Each instance answers msg with its id, so the client sees which calls shared an instance.
// Python prints id(self), the object's address; the twin numbers its instances, from
// 1000001 on so that they look like ids.
var lastID atomic.Int64

func newID() int64 { return 1_000_000 + lastID.Add(1) }

// announce makes the constructors print "created ... instance with id N", as the __init__
// methods of Pyro5's version of server.py do (the -pyro5 flag); Pyro4's print nothing.
var announce bool

// created returns a new id, announced when asked.
func created(class string) int64 {
	id := newID()
	if announce {
		fmt.Println("created", class, "instance with id", id)
	}
	return id
}

// SingleInstance is served once for everybody: pyro.Single.
type SingleInstance struct{ id int64 }

func NewSingleInstance() *SingleInstance { return &SingleInstance{id: created("SingleInstance")} }

func (s *SingleInstance) Msg(message string) int64 {
	fmt.Printf("[%d] SingleInstance.msg: %s\n", s.id, message)
	return s.id
}

// SessionInstance is made once per client connection: pyro.Session. Its factory takes the
// context of the call that needed it, as Python's instance_creator reads
// Pyro4.current_context, and keeps that call's correlation id.
type SessionInstance struct {
	id            int64
	correlationID string
}

func NewSessionInstance(ctx context.Context) *SessionInstance {
	s := &SessionInstance{id: created("SessionInstance")}
	if ci, ok := pyro.CallInfoFrom(ctx); ok {
		c := ci.CorrelationID // 16 bytes, printed as Python's str(uuid.UUID) is
		s.correlationID = fmt.Sprintf("%x-%x-%x-%x-%x", c[0:4], c[4:6], c[6:8], c[8:10], c[10:16])
	}
	return s
}

// Msg returns the tuple (id, correlation id), as the Python method does.
func (s *SessionInstance) Msg(message string) pyval.Tuple {
	fmt.Printf("[%d] SessionInstance.msg: %s\n", s.id, message)
	return pyval.Tuple{s.id, s.correlationID}
}

// PercallInstance is made for every call: pyro.PerCall.
type PercallInstance struct{ id int64 }

func NewPercallInstance() *PercallInstance { return &PercallInstance{id: created("PercallInstance")} }

func (p *PercallInstance) Msg(message string) int64 {
	fmt.Printf("[%d] PercallInstance.msg: %s\n", p.id, message)
	return p.id
}
