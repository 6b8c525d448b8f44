package pyro

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gopyro/pyro/internal/framing"
)

// Defaults of the Limits fields.
const (
	// DefaultMemoryBudget is the daemon's memory budget: a quarter of a 1 GiB container,
	// leaving room for what methods make of the messages (decoded values, replies) and for
	// the garbage collector's slack.
	DefaultMemoryBudget = 256 << 20
	// DefaultMemoryBudgetWait is how long a message waits for budget before it is refused.
	DefaultMemoryBudgetWait = 5 * time.Second
	// DefaultMaxOnewayPerConn bounds the oneway calls of one connection running at once.
	DefaultMaxOnewayPerConn = 16
	// DefaultMaxStreamsPerConn bounds the item streams one connection keeps open.
	DefaultMaxStreamsPerConn = 64
	// DefaultMaxBatchCalls bounds the calls in one batch: well above the 40,002 of Pyro's
	// batchedcalls example.
	DefaultMaxBatchCalls = 100000
	// DefaultMaxConnections bounds the connections a daemon serves at once: their fixed
	// memory (about 30 KiB each, idle) stays near a quarter of the default budget.
	DefaultMaxConnections = 2048
)

// denyReason is what a connection beyond Limits.MaxConnections is told, in the words of
// Pyro's thread-pool server, on which Pyro4's proxies retry.
const denyReason = "no free workers, increase server threadpool size"

// maxDenying bounds the connections being told denyReason at once; beyond it, more are
// closed without a word, so that a flood of connections costs nothing more.
const maxDenying = 64

// ErrOverBudget is wrapped by the failure of a connection (ServeConn's error) whose message
// the daemon refused because its memory budget could not hold it.
var ErrOverBudget = fmt.Errorf("%w: memory budget exhausted", ErrCommunication)

// Limits bound what clients can make a daemon hold, so that its memory follows its
// configuration rather than what clients send. A zero field means its default; a negative
// one, no limit.
//
// The memory budget counts the bytes of incoming messages: a frame body of more than 16 KiB
// from its first byte until its call has been answered (a oneway call's until it returns),
// and every inflated payload, and what a request decodes to beyond its first 64 KiB (a
// list of zeros is a byte or two an element on the wire, sixteen in Go), charged as it is
// built. Bodies grow as their bytes arrive, whatever their header claims. Smaller frames
// take nothing from it, so small calls are served while large ones wait. What a client
// sees when it meets a limit:
//
//   - a message larger than the whole budget: the connection is closed before its body is
//     read, as for one over MaxMessageSize (Pyro4 and Pyro5 do the same), and the reason
//     is logged;
//   - a message that does not fit in what is left: it waits up to MemoryBudgetWait for
//     other messages to be done, then the connection is closed and the reason logged (a
//     Python client sees ConnectionClosedError, a Go proxy ErrCommunication);
//   - a compressed payload inflating past MaxMessageSize or the budget, or a request
//     decoding to more than the budget can give: the same;
//   - MaxOnewayPerConn oneway calls running: the connection is not read until one returns,
//     so the client's sends block (TCP flow control) and nothing is refused or lost;
//   - MaxStreamsPerConn streams open: a call returning one more gets a Pyro error
//     (PyroError), and the stream is stopped;
//   - a batch of more than MaxBatchCalls calls: a ProtocolError reply, no call run;
//   - MaxConnections connections served: a new one is denied as by Pyro's thread-pool
//     server when all its workers are busy, its handshake answered with CONNECTFAIL "no
//     free workers, increase server threadpool size" (a Python or Go client gets a
//     CommunicationError, ErrConnectFailed; Pyro4's asynchronous proxies retry on it).
type Limits struct {
	// MemoryBudget bounds, in bytes, what incoming messages hold at once on all the
	// daemon's connections (DefaultMemoryBudget).
	MemoryBudget int64
	// MemoryBudgetWait is how long a message waits for budget before its connection is
	// closed (DefaultMemoryBudgetWait; negative: no wait).
	MemoryBudgetWait time.Duration
	// MaxOnewayPerConn bounds the oneway calls of one connection running at once
	// (DefaultMaxOnewayPerConn).
	MaxOnewayPerConn int
	// MaxStreamsPerConn bounds the item streams one connection keeps open
	// (DefaultMaxStreamsPerConn).
	MaxStreamsPerConn int
	// MaxBatchCalls bounds the calls in one batch (DefaultMaxBatchCalls).
	MaxBatchCalls int
	// MaxConnections bounds the connections served at once (DefaultMaxConnections;
	// negative: no limit), and so the memory they hold outside the budget: each has its
	// read buffer, goroutine and state, and may hold small messages (under 16 KiB) that the
	// budget does not count. PYRO_THREADPOOL_SIZE sets it, as it bounds the connections of
	// Pyro's thread-pool server.
	MaxConnections int
}

func (l Limits) withDefaults() Limits {
	l.MemoryBudget = orDefault(l.MemoryBudget, DefaultMemoryBudget)
	l.MemoryBudgetWait = orDefault(l.MemoryBudgetWait, DefaultMemoryBudgetWait)
	l.MaxOnewayPerConn = orDefault(l.MaxOnewayPerConn, DefaultMaxOnewayPerConn)
	l.MaxStreamsPerConn = orDefault(l.MaxStreamsPerConn, DefaultMaxStreamsPerConn)
	l.MaxBatchCalls = orDefault(l.MaxBatchCalls, DefaultMaxBatchCalls)
	l.MaxConnections = orDefault(l.MaxConnections, DefaultMaxConnections)
	return l
}

// budget returns the daemon-wide budget the frame readers take from (nil: none).
func (l Limits) budget() *framing.Budget {
	if l.MemoryBudget < 0 {
		return nil
	}
	return framing.NewBudget(l.MemoryBudget, max(l.MemoryBudgetWait, 0))
}

// limits reads PYRO_MEMORY_BUDGET.
func (e *envReader) limits(l *Limits) {
	if v, ok := os.LookupEnv("PYRO_MEMORY_BUDGET"); ok && v != "" {
		n, err := ParseSize(v)
		if err != nil {
			e.errs = append(e.errs, fmt.Sprintf("PYRO_MEMORY_BUDGET=%q: %v", v, err))
			return
		}
		l.MemoryBudget = n
	}
	e.integer("THREADPOOL_SIZE", &l.MaxConnections)
}

// ParseSize reads a byte count: digits, optionally followed by K, M or G (powers of 1024,
// also written KiB, MiB, GiB, or KB, MB, GB); "-1" is accepted for "no limit".
func ParseSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	shift := 0
	for _, u := range []struct {
		suffix string
		shift  int
	}{{"KIB", 10}, {"MIB", 20}, {"GIB", 30}, {"KB", 10}, {"MB", 20}, {"GB", 30}, {"K", 10}, {"M", 20}, {"G", 30}, {"B", 0}} {
		if strings.HasSuffix(t, u.suffix) {
			t, shift = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.shift
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < -1 || (n == -1 && shift != 0) || n > math.MaxInt64>>shift {
		return 0, fmt.Errorf("%q is not a size (bytes, or a number with K, M or G)", s)
	}
	return n << shift, nil
}
