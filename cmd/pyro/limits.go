package main

import (
	"flag"
	"os"
	"runtime/debug"
	"strconv"

	"github.com/gopyro/pyro"
)

// budgetFlag is --memory-budget, which overrides PYRO_MEMORY_BUDGET.
type budgetFlag struct {
	n   int64
	set bool
}

// addBudgetFlag adds --memory-budget to a server command's flags.
func addBudgetFlag(fs *flag.FlagSet) *budgetFlag {
	f := new(budgetFlag)
	fs.Var(f, "memory-budget", "bytes incoming messages may hold at once, e.g. 256M (default 256M, -1: no budget; PYRO_MEMORY_BUDGET also works)")
	return f
}

func (f *budgetFlag) String() string {
	if f == nil || !f.set {
		return ""
	}
	return strconv.FormatInt(f.n, 10)
}

func (f *budgetFlag) Set(s string) error {
	n, err := pyro.ParseSize(s)
	if err != nil {
		return err
	}
	f.n, f.set = n, true
	return nil
}

// apply puts the flag's budget, if given, into cfg.
func (f *budgetFlag) apply(cfg *pyro.DaemonConfig) {
	if f.set {
		cfg.MemoryBudget = f.n
	}
}

// limitMemory sets the Go runtime's memory limit to the daemon's memory budget plus what the
// rest of the server needs, unless GOMEMLIMIT sets one or there is no budget: with messages
// holding up to the budget, the default GOGC=100 would let the heap grow to twice that
// before collecting.
func limitMemory(cfg pyro.DaemonConfig) {
	budget := cfg.MemoryBudget
	if budget == 0 {
		budget = pyro.DefaultMemoryBudget
	}
	if budget < 0 || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(budget + memoryOverhead)
}

// memoryOverhead is what the memory limit allows beyond the budget: the server's own heap,
// what methods make of the messages, and the collector's slack.
const memoryOverhead = 40 << 20
