package main

import (
	"iter"
	"math/big"
	"slices"
	"time"
)

// Streamer is the Go twin of server.py's Streamer. A method returning a slice returns a list;
// one returning an iter.Seq (or a channel) streams its items, which a Python caller receives
// as a generator, as it does from a Python generator or iterator.
type Streamer struct{}

var oneToNine = []int{1, 2, 3, 4, 5, 6, 7, 8, 9}

// List returns a whole list at once.
func (Streamer) List() []int { return oneToNine }

// Iterator streams the list's items (Python: iter([...])).
func (Streamer) Iterator() iter.Seq[int] { return slices.Values(oneToNine) }

// Generator streams 1 to 9, made as they are asked for.
func (Streamer) Generator() iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := 1; i < 10; i++ {
			if !yield(i) {
				return
			}
		}
	}
}

// SlowGenerator takes half a second for each item: the client prints them as they come.
func (Streamer) SlowGenerator() iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := 1; i < 10; i++ {
			time.Sleep(500 * time.Millisecond)
			if !yield(i) {
				return
			}
		}
	}
}

// Fibonacci never ends: the client stops asking (and the stream is closed) after a while.
// Python's ints grow without bound, so the twin uses big.Int.
func (Streamer) Fibonacci() iter.Seq[*big.Int] {
	return func(yield func(*big.Int) bool) {
		a, b := big.NewInt(0), big.NewInt(1)
		for yield(new(big.Int).Set(a)) {
			a.Add(a, b)
			a, b = b, a
		}
	}
}

// PropIter is Pyro5's prop_iter, a property (a remote attribute, WithAttributes) that
// returns an iterator: its items stream too. Pyro4's server has no such property.
func (Streamer) PropIter() iter.Seq[int] { return slices.Values([]int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}) }

// PropGenerator is Pyro5's prop_generator, a property returning a generator of 0..9.
func (Streamer) PropGenerator() iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := range 10 {
			if !yield(i) {
				return
			}
		}
	}
}
