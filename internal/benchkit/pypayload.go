package benchkit

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// pythonPayloadScript is one Pyro4 proxy moving a bytes value to or from PayloadID, answering
// the commands of pythonClientScript ("n N", "t SECONDS"), without latencies.
const pythonPayloadScript = `
import sys, time, Pyro4
uri, serializer, size, direction = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
Pyro4.config.SERIALIZER = serializer
p = Pyro4.Proxy(uri)
data = bytes(size)
def call():
    if direction == "argument":
        if p.put(data) != size:
            sys.exit("put returned the wrong length")
    else:
        b = p.blob(size)
        if isinstance(b, dict):  # serpent's bytes, as Pyro4 documents
            import serpent
            b = serpent.tobytes(b)
        if len(b) != size:
            sys.exit("blob returned the wrong length")
call()
print("ready", flush=True)
for line in sys.stdin:
    cmd, arg = line.split()
    n = 0
    t0 = time.perf_counter()
    if cmd == "n":
        for _ in range(int(arg)):
            call()
            n += 1
    else:
        end = t0 + float(arg)
        while time.perf_counter() < end:
            call()
            n += 1
    print(n, time.perf_counter() - t0, "-", flush=True)
`

// StartPythonPayloadClient starts a Python Pyro4 process moving size bytes per call through
// one proxy to the Payload object at uri (a Python daemon's: its URI with PayloadID).
func StartPythonPayloadClient(ctx context.Context, uri, serializer string, size int, dir Direction) (*PythonClient, error) {
	p, err := startPython(false, pythonPayloadScript, uri, serializer, strconv.Itoa(size), dir.String())
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	line, err := p.readLine(ctx)
	if err != nil {
		return nil, err
	}
	if line != "ready" {
		p.stop()
		return nil, fmt.Errorf("benchkit: python payload client printed %q, want ready", line)
	}
	return &PythonClient{proc: p}, nil
}
