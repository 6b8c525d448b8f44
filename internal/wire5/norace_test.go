//go:build !race

package wire5

const raceEnabled = false
