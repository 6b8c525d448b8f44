"""Currency master written with Python's Pyro4: asks MyWorker for exchange rates.

It looks the worker up by name through the name server (PYRONAME:MyWorker), asks for the
rates of the pairs one after another, and prints each and the time the batch took. The worker
may be Go's or Python's:

    python3 master.py --ns-host 127.0.0.1 --ns-port 9090 EURUSD USDJPY XXXYYY
"""
from __future__ import print_function

import argparse
import sys
import time

import Pyro4

DEFAULT_PAIRS = ["EURUSD", "USDJPY", "GBPUSD", "EURGBP", "USDCHF", "AUDUSD",
                 "USDCAD", "NZDUSD", "EURJPY", "EURCHF", "GBPJPY", "USDCNY"]


def main():
    parser = argparse.ArgumentParser(description="currency master (Python Pyro4)")
    parser.add_argument("-n", "--ns-host", default=None, help="name server host (default: locate it)")
    parser.add_argument("-p", "--ns-port", type=int, default=None, help="name server port")
    parser.add_argument("--name", default="MyWorker", help="name of the worker to ask")
    parser.add_argument("pairs", nargs="*", default=DEFAULT_PAIRS, help="pairs such as EURUSD")
    args = parser.parse_args()

    uri = "PYRONAME:" + args.name
    if args.ns_host:
        uri += "@" + args.ns_host
        if args.ns_port:
            uri += ":%d" % args.ns_port
    failed = 0
    with Pyro4.Proxy(uri) as worker:
        start = time.time()
        for pair in args.pairs:
            try:
                pair_, rate = worker.get_rate(pair)
                print("%s %r" % (pair_, rate))
            except ValueError as x:
                # the worker's exception, re-raised here; the worker carries on
                failed += 1
                print("%s error: %s: %s" % (pair, type(x).__name__, x))
        elapsed = time.time() - start
    print("sequential: %d pairs in %.3f seconds, %d failed" % (len(args.pairs), elapsed, failed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
