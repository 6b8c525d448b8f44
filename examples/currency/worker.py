"""Currency worker written with Python's Pyro4: answers get_rate(pair) with (pair, rate).

It registers with the name server as MyWorker (or --name), with the metadata
"currency.worker", and serves until interrupted. Any master, Go or Python, can use it:

    python3 worker.py --ns-host 127.0.0.1 --ns-port 9090 --name MyWorker.2
"""
from __future__ import print_function

import argparse
import os

import Pyro4

TABLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "eurofxref-2024-06-28.txt")


def read_table(path):
    """Units of each currency per euro, from the file the Go worker embeds."""
    rates = {"EUR": 1.0}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                code, rate = line.split()
                rates[code] = float(rate)
    return rates


@Pyro4.expose
@Pyro4.behavior(instance_mode="percall")
class Worker(object):
    rates = read_table(TABLE)

    def get_rate(self, pair):
        print("get_rate request received for", repr(pair))
        if not isinstance(pair, str) or len(pair) != 6 or not pair.isalpha() or not pair.isascii():
            raise ValueError("unknown currency pair: %r (want six letters such as EURUSD)" % (pair,))
        pair = pair.upper()
        base, quote = pair[:3], pair[3:]
        for code in (base, quote):
            if code not in self.rates:
                raise ValueError("unknown currency pair: %r (no reference rate for %s)" % (pair, code))
        if base == "EUR":
            rate = self.rates[quote]
        else:
            # cross rate via EUR, rounded to 6 significant digits like the Go worker
            rate = float("%.6g" % (self.rates[quote] / self.rates[base]))
        return pair, rate


def main():
    parser = argparse.ArgumentParser(description="currency worker (Python Pyro4)")
    parser.add_argument("--host", default="127.0.0.1", help="host the worker's daemon listens on")
    parser.add_argument("-n", "--ns-host", default=None, help="name server host (default: locate it)")
    parser.add_argument("-p", "--ns-port", type=int, default=None, help="name server port")
    parser.add_argument("--name", default="MyWorker", help="name to register under")
    args = parser.parse_args()

    with Pyro4.Daemon(host=args.host) as daemon:
        uri = daemon.register(Worker)
        with Pyro4.locateNS(args.ns_host, args.ns_port) as ns:
            ns.register(args.name, uri, metadata={"currency.worker"})
        print("worker ready:", args.name, uri, flush=True)
        try:
            daemon.requestLoop()
        finally:
            with Pyro4.locateNS(args.ns_host, args.ns_port) as ns:
                ns.remove(args.name)


if __name__ == "__main__":
    main()
