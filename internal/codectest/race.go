//go:build race

package codectest

// RaceEnabled says the race detector is on: it changes allocation counts (sync.Pool drops
// items at random), so allocation budgets are checked in a build without it.
const RaceEnabled = true
