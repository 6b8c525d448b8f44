# The Python twin of exceptionsTwin (exceptions_test.go): methods that raise, return
# exceptions and "nothing". The interop test runs testdata/exceptions_client.py against
# this server and against the Go twin and compares what the client prints.
import sys

import Pyro4
import Pyro4.errors


@Pyro4.expose
class Thrower(object):
    def value_error(self):
        raise ValueError("bad value")

    def key_error(self):
        raise KeyError("k")

    def naming_error(self):
        raise Pyro4.errors.NamingError("no such name")

    def empty_error(self):
        raise ValueError()

    def two_args(self):
        raise ValueError("a", 2)

    def boom(self):
        # what a Go method that panics with "kaboom" raises
        raise RuntimeError("panic in boom: kaboom")

    def returned(self):
        return ValueError("a valueerror! Great!")

    def returned_nested(self):
        return {"err": KeyError("k"), "list": [Pyro4.errors.NamingError("x")]}

    def nothing(self):
        return []

    def nothing_map(self):
        return {}

    def greet(self, name):
        return "hello " + (name or "")

    def total(self, point):
        return (point.get("x") or 0) + (point.get("y") or 0)


daemon = Pyro4.Daemon(host="127.0.0.1")
print("uri:", daemon.register(Thrower, "thrower"))
sys.stdout.flush()
daemon.requestLoop()
