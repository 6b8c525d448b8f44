# Name server throughput as a Python Pyro4 program sees it: CALLERS threads, each with its own
# proxy (a Pyro4 proxy makes one call at a time), call lookup for SECONDS, then register for
# SECONDS, against the name server at NS_URI. Prints one JSON object with the counts and rates.
#
#   ns_bench.py NS_URI CALLERS SECONDS
import json
import sys
import threading
import time

import Pyro4

ns_uri, callers, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
Pyro4.config.SERIALIZER = "serpent"
NAMES = 100  # a fixed set: registrations replace, so the store does not grow with the run
TARGET = "PYRO:pybench.object@127.0.0.1:9999"
META = ["class:bench.Thing", "floor:3"]
lookup_names = ["pybench.lookup.%03d" % i for i in range(NAMES)]
register_names = ["pybench.register.%03d" % i for i in range(NAMES)]

proxies = [Pyro4.Proxy(ns_uri) for _ in range(callers)]
for name in lookup_names:
    proxies[0].register(name, TARGET, metadata=META)
# Connect every proxy and check the answers before timing anything.
for p in proxies:
    got = p.lookup(lookup_names[-1])
    if str(got) != TARGET:
        sys.exit("lookup returned %r, want %s" % (got, TARGET))


def timed(call):
    counts = [0] * callers
    errors = []
    stop = threading.Event()

    def work(i):
        p, n = proxies[i], 0
        try:
            while not stop.is_set():
                call(p, n + i)
                n += 1
        except Exception as e:  # reported, so the Go side fails instead of printing a rate
            errors.append(repr(e))
            stop.set()
        counts[i] = n

    threads = [threading.Thread(target=work, args=(i,)) for i in range(callers)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    stop.wait(seconds)
    stop.set()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    if errors:
        sys.exit("call failed: " + errors[0])
    return sum(counts), elapsed


lookups, lookup_s = timed(lambda p, k: p.lookup(lookup_names[k % NAMES]))
registrations, register_s = timed(lambda p, k: p.register(register_names[k % NAMES], TARGET, metadata=META))

last = proxies[0].lookup(register_names[0], return_metadata=True)
if str(last[0]) != TARGET or sorted(last[1]) != sorted(META):
    sys.exit("registration not visible: %r" % (last,))
for p in proxies:
    p._pyroRelease()

print(json.dumps({
    "callers": callers,
    "lookups": lookups,
    "lookup_seconds": lookup_s,
    "lookups_per_s": lookups / lookup_s,
    "registrations": registrations,
    "register_seconds": register_s,
    "registrations_per_s": registrations / register_s,
}))
