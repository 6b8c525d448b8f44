package main

import (
	"fmt"
	"time"

	"github.com/gopyro/pyro"
)

// Thingy is the Go twin of server.py's Thingy: integer arithmetic as Python does it.
type Thingy struct{}

// Multiply returns a * b.
func (Thingy) Multiply(a, b int64) int64 { return a * b }

// Add returns a + b.
func (Thingy) Add(a, b int64) int64 { return a + b }

// Divide is Python's a // b: floor division, and ZeroDivisionError for b == 0.
func (Thingy) Divide(a, b int64) (int64, error) {
	if b == 0 {
		return 0, pyro.NewError("builtins.ZeroDivisionError", "integer division or modulo by zero")
	}
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q, nil
}

// Error is 1 // 0.
func (t Thingy) Error() (int64, error) { return t.Divide(1, 0) }

// Delay sleeps for seconds and returns them.
func (Thingy) Delay(seconds float64) float64 {
	time.Sleep(time.Duration(seconds * float64(time.Second)))
	return seconds
}

// PrintMessage prints message and returns 0.
func (Thingy) PrintMessage(message any) int {
	fmt.Println(message)
	return 0
}
