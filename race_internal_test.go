//go:build race

package pyro

const raceEnabled = true
