// Package currency is the worker/master example of pyro for Go: a worker object answers
// get_rate(pair) with the tuple (pair, rate), registered with the name server as MyWorker in
// instance mode percall, and a master looks it up by name (PYRONAME:MyWorker) and asks it for
// the rates of a list of pairs, one after another and fanned out over goroutines, timing both.
//
// Go and Python sides mix freely: cmd/worker and cmd/master are the Go programs, worker.py and
// master.py the same programs written with Python's Pyro4, and any worker serves any master.
//
// Rates come from a Source: by default ECB(), the European Central Bank's euro foreign
// exchange reference rates of 28 June 2024 shipped with the example (cross rates computed via
// EUR); or HTTPSource, a web service given as a URL template. A malformed or unknown pair
// raises builtins.ValueError("unknown currency pair: ...") in the caller and the worker keeps
// serving.
//
// Several workers may run at once, each under its own name (MyWorker, MyWorker.2, ...) and
// all with the metadata Tag; a master started without a name finds them all (FindWorkers),
// spreads the pairs over them and, when one goes away mid-run, asks the others for its pairs.
//
// The library parts let one program do it all, as cmd/demo does: StartWorker a few
// workers against a name server, RunMaster, and print the Report with WriteTable.
package currency
