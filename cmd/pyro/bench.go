//go:build pyrobench

package main

import "github.com/gopyro/pyro/internal/benchkit"

// The benchmark harness is a developer tool: it is linked only into builds with -tags pyrobench,
// so the shipped pyro command carries neither it nor net/rpc. Without the tag, run answers
// `pyro bench` with how to get it.
func init() {
	commands = append(commands, command{"bench", "measure calls per second on loopback against raw TCP, net/rpc and Python", "", benchkit.Command})
}
