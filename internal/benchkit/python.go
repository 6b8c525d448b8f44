package benchkit

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/gopyro/pyro/internal/pyfind"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Python is Debian's interpreter, the one with Pyro4 (the python3 first on PATH may lack it).
const Python = pyfind.Interpreter

// pythonDaemonScript serves echo(message) as ObjectID on a free loopback port with Pyro4's
// default threaded server (its multiplexed one when the third argument says "multiplex"),
// accepting every serializer, and prints its URI.
const pythonDaemonScript = `
import sys, Pyro4
Pyro4.config.SERIALIZERS_ACCEPTED = {"serpent", "json", "marshal", "msgpack"}
if sys.argv[3:] == ["multiplex"]:
    Pyro4.config.SERVERTYPE = "multiplex"

@Pyro4.expose
class Echo(object):
    def echo(self, message):
        return message

@Pyro4.expose
class Payload(object):
    blobs = {}
    def blob(self, n):
        if n not in self.blobs:
            self.blobs[n] = bytes(range(256)) * (n // 256) + bytes(n % 256)
        return self.blobs[n]
    def put(self, data):
        return len(data)

daemon = Pyro4.Daemon(host="127.0.0.1", port=0)
daemon.register(Payload(), sys.argv[2])
print("URI =", daemon.register(Echo(), sys.argv[1]), flush=True)
daemon.requestLoop()
`

// pythonClientScript keeps one Pyro4 proxy per calling thread (a Pyro4 proxy serves one call
// at a time) and answers commands on stdin: "n N" makes N calls in all, "t SECONDS" calls for
// that long; either prints "CALLS ELAPSED_SECONDS LATENCIES", the last the calls' latencies as
// "BUCKET:COUNT,..." in Latency's buckets (latBucket).
const pythonClientScript = `
import sys, threading, time, Pyro4
uri, serializer, callers, message = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
Pyro4.config.SERIALIZER = serializer
proxies = [Pyro4.Proxy(uri) for _ in range(callers)]
try:
    for p in proxies:
        if p.echo(message) != message:
            sys.exit("echo returned the wrong value")
except Pyro4.errors.CommunicationError as e:
    if "rejected" not in str(e):
        raise
    # a Python daemon's thread pool is full (Pyro4's THREADPOOL_SIZE is 40)
    print("refused", str(e).replace("\n", " "), flush=True)
    sys.exit(0)
print("ready", flush=True)
for line in sys.stdin:
    cmd, arg = line.split()
    counts = [0] * callers
    hists = [{} for _ in range(callers)]
    stop = [False]
    todo = iter(range(int(arg))) if cmd == "n" else None
    def bucket(ns):
        if ns < 16:
            return max(ns, 0)
        e = ns.bit_length() - 1
        return (e - 3) * 16 + ((ns >> (e - 4)) & 15)
    def work(i):
        p, n, h, clock = proxies[i], 0, hists[i], time.perf_counter_ns
        def one():
            t = clock()
            p.echo(message)
            b = bucket(clock() - t)
            h[b] = h.get(b, 0) + 1
        if todo is not None:
            for _ in todo:
                one()
                n += 1
        else:
            while not stop[0]:
                one()
                n += 1
        counts[i] = n
    threads = [threading.Thread(target=work, args=(i,)) for i in range(callers)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    if todo is None:
        time.sleep(float(arg))
        stop[0] = True
    for t in threads:
        t.join()
    total = {}
    for h in hists:
        for b, c in h.items():
            total[b] = total.get(b, 0) + c
    print(sum(counts), time.perf_counter() - t0, ",".join("%d:%d" % bc for bc in total.items()) or "-", flush=True)
`

// pyro5DaemonScript is pythonDaemonScript for Pyro5 (whose daemon accepts every serializer).
const pyro5DaemonScript = `
import sys
from Pyro5.api import Daemon, expose

@expose
class Echo(object):
    def echo(self, message):
        return message

daemon = Daemon(host="127.0.0.1", port=0)
print("URI =", daemon.register(Echo(), sys.argv[1]), flush=True)
daemon.requestLoop()
`

// pyro5ClientScript is pythonClientScript for Pyro5, whose proxies belong to the thread that
// made them: each calling thread claims its own first.
var pyro5ClientScript = strings.NewReplacer(
	"import sys, threading, time, Pyro4", "import sys, threading, time, Pyro5.api",
	"Pyro4.config.SERIALIZER", "Pyro5.api.config.SERIALIZER",
	"Pyro4.Proxy(uri)", "Pyro5.api.Proxy(uri)",
	"Pyro4.errors.", "Pyro5.errors.",
	"        p, n, h, clock = proxies[i], 0, hists[i], time.perf_counter_ns\n",
	"        p, n, h, clock = proxies[i], 0, hists[i], time.perf_counter_ns\n        p._pyroClaimOwnership()\n",
).Replace(pythonClientScript)

// pythonEnv is the environment for Pyro4 (pyro5 false) or Pyro5 processes.
func pythonEnv(pyro5 bool) ([]string, error) {
	if !pyro5 {
		return pyfind.Env(), nil
	}
	p5, err := pyfind.FindPyro5()
	if err != nil {
		return nil, fmt.Errorf("benchkit: Python Pyro5 is needed for the Pyro5 figures: %w", err)
	}
	return p5.Env(), nil
}

// pyProc is a running Python script with its stdout read line by line.
type pyProc struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  *bufio.Scanner
	stderr *limitedBuffer
}

func startPython(pyro5 bool, script string, args ...string) (*pyProc, error) {
	env, err := pythonEnv(pyro5)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(Python, append([]string{"-c", script}, args...)...)
	cmd.Env = env
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p := &pyProc{cmd: cmd, stdin: stdin, lines: bufio.NewScanner(stdout), stderr: &limitedBuffer{max: 8 << 10}}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("benchkit: cannot run %s (Python with Pyro4 is needed for the Python figures): %w", Python, err)
	}
	return p, nil
}

// readLine returns the script's next output line, or an error carrying its stderr.
func (p *pyProc) readLine(ctx context.Context) (string, error) {
	type result struct {
		line string
		ok   bool
	}
	ch := make(chan result, 1)
	go func() {
		ok := p.lines.Scan()
		ch <- result{p.lines.Text(), ok}
	}()
	select {
	case r := <-ch:
		if !r.ok {
			p.stop()
			return "", fmt.Errorf("benchkit: python exited: %s", strings.TrimSpace(p.stderr.String()))
		}
		return r.line, nil
	case <-ctx.Done():
		p.stop()
		<-ch
		return "", ctx.Err()
	}
}

func (p *pyProc) stop() {
	p.stdin.Close()
	if p.cmd.ProcessState == nil {
		p.cmd.Process.Kill()
		p.cmd.Wait()
	}
}

// PythonDaemon is a Python Pyro4 daemon process serving echo as ObjectID.
type PythonDaemon struct {
	URI  string
	proc *pyProc
}

// StartPythonDaemon starts a Pyro4 daemon in a Python process and waits for its URI.
func StartPythonDaemon(ctx context.Context) (*PythonDaemon, error) {
	return startPythonDaemon(ctx, false, pythonDaemonScript)
}

// StartPythonMultiplexDaemon is StartPythonDaemon with Pyro4's multiplexed server (one
// thread, select), which takes any number of connections where the threaded one takes 40.
func StartPythonMultiplexDaemon(ctx context.Context) (*PythonDaemon, error) {
	return startPythonDaemon(ctx, false, pythonDaemonScript, "multiplex")
}

// StartPyro5Daemon starts a Pyro5 daemon in a Python process and waits for its URI.
func StartPyro5Daemon(ctx context.Context) (*PythonDaemon, error) {
	return startPythonDaemon(ctx, true, pyro5DaemonScript)
}

func startPythonDaemon(ctx context.Context, pyro5 bool, script string, args ...string) (*PythonDaemon, error) {
	p, err := startPython(pyro5, script, append([]string{ObjectID, PayloadID}, args...)...)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	line, err := p.readLine(ctx)
	if err != nil {
		return nil, err
	}
	uri, ok := strings.CutPrefix(line, "URI = ")
	if !ok {
		p.stop()
		return nil, fmt.Errorf("benchkit: python daemon printed %q, want its URI", line)
	}
	return &PythonDaemon{URI: uri, proc: p}, nil
}

// PID is the daemon process's id.
func (d *PythonDaemon) PID() int { return d.proc.cmd.Process.Pid }

// Close stops the daemon process.
func (d *PythonDaemon) Close() error {
	d.proc.stop()
	return nil
}

// PythonClient is a Python process calling echo(Message) through Pyro4 from a number of
// threads, one proxy each.
type PythonClient struct {
	proc *pyProc
	mu   sync.Mutex
}

// StartPythonClient starts the client process, which connects every caller and checks one
// call each before it reports ready.
func StartPythonClient(ctx context.Context, uri, serializer string, callers int) (*PythonClient, error) {
	return startPythonClient(ctx, false, uri, serializer, callers)
}

// StartPyro5Client is StartPythonClient with Python Pyro5.
func StartPyro5Client(ctx context.Context, uri, serializer string, callers int) (*PythonClient, error) {
	return startPythonClient(ctx, true, uri, serializer, callers)
}

func startPythonClient(ctx context.Context, pyro5 bool, uri, serializer string, callers int) (*PythonClient, error) {
	if callers < 1 {
		return nil, fmt.Errorf("benchkit: need at least one caller, got %d", callers)
	}
	script := pythonClientScript
	if pyro5 {
		script = pyro5ClientScript
	}
	p, err := startPython(pyro5, script, uri, serializer, strconv.Itoa(callers), Message)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	line, err := p.readLine(ctx)
	if err != nil {
		return nil, err
	}
	if why, ok := strings.CutPrefix(line, "refused "); ok {
		p.stop()
		return nil, &RefusedError{Reason: why}
	}
	if line != "ready" {
		p.stop()
		return nil, fmt.Errorf("benchkit: python client printed %q, want ready", line)
	}
	return &PythonClient{proc: p}, nil
}

// Run makes calls calls in all (when calls > 0) or calls for d. Elapsed is the wall time seen
// here, so it includes one pipe round trip to the process.
func (c *PythonClient) Run(ctx context.Context, calls int64, d time.Duration) (Sample, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cmd := fmt.Sprintf("t %g\n", d.Seconds())
	if calls > 0 {
		cmd = fmt.Sprintf("n %d\n", calls)
	}
	t0 := time.Now()
	if _, err := io.WriteString(c.proc.stdin, cmd); err != nil {
		return Sample{}, fmt.Errorf("benchkit: python client: %w", err)
	}
	line, err := c.proc.readLine(ctx)
	if err != nil {
		return Sample{}, err
	}
	elapsed := time.Since(t0)
	fields := strings.Fields(line)
	if len(fields) != 3 {
		return Sample{}, fmt.Errorf("benchkit: python client printed %q", line)
	}
	n, err := strconv.ParseInt(fields[0], 10, 64)
	if err != nil {
		return Sample{}, fmt.Errorf("benchkit: python client printed %q: %w", line, err)
	}
	if calls > 0 && n != calls {
		return Sample{}, fmt.Errorf("benchkit: python client made %d calls, want %d", n, calls)
	}
	lat, err := parseLatencies(fields[2])
	if err != nil {
		return Sample{}, fmt.Errorf("benchkit: python client printed %q: %w", line, err)
	}
	return Sample{Calls: n, Elapsed: elapsed, Latency: lat}, nil
}

// parseLatencies reads a Python client's "BUCKET:COUNT,..." ("-" for none).
func parseLatencies(s string) (*Latency, error) {
	lat := new(Latency)
	if s == "-" {
		return lat, nil
	}
	for pair := range strings.SplitSeq(s, ",") {
		b, c, ok := strings.Cut(pair, ":")
		i, err1 := strconv.Atoi(b)
		n, err2 := strconv.ParseUint(c, 10, 64)
		if !ok || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("bad latency bucket %q", pair)
		}
		lat.addBucket(i, n)
	}
	return lat, nil
}

// PID is the client process's id.
func (c *PythonClient) PID() int { return c.proc.cmd.Process.Pid }

// Close stops the client process.
func (c *PythonClient) Close() error {
	c.proc.stop()
	return nil
}

// RefusedError is StartPythonClient's error when the daemon refused a connection: a Python
// daemon serves at most its thread pool's size (Pyro4's THREADPOOL_SIZE, 40) at once.
type RefusedError struct{ Reason string }

func (e *RefusedError) Error() string {
	return "benchkit: the daemon refused a connection: " + e.Reason
}

// limitedBuffer keeps the first max bytes written to it (a subprocess's stderr).
type limitedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *limitedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// ErrNoPython is wrapped by CheckPython's error when Python with Pyro4 cannot run.
var ErrNoPython = errors.New("benchkit: Python Pyro4 is not usable")

// CheckPython reports whether Python with Pyro4 can run.
func CheckPython() error {
	out, err := exec.Command(Python, "-c", "import Pyro4").CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w: %s: %v %s", ErrNoPython, Python, err, bytes.TrimSpace(out))
	}
	return nil
}
