# A Python Pyro4 client printing what it sees of remote exceptions, returned exception
# objects and empty results: the interop test runs it against testdata/exceptions_server.py
# and against the Go twin (exceptions_test.go) and compares the output. Traceback frame
# lines (local "  File ..." and remote " |   ...") are left out: they name files.
import sys

import Pyro4
import Pyro4.errors
import Pyro4.util

uri, ser = sys.argv[1], sys.argv[2]
Pyro4.config.SERIALIZER = ser
t = Pyro4.Proxy(uri)


def frameless(text):
    return "".join(l for l in text.splitlines(True) if not l.startswith("  ") and not l.startswith(" |   "))


for name in ["value_error", "key_error", "naming_error", "empty_error", "two_args", "boom"]:
    print("---", name)
    try:
        getattr(t, name)()
    except Exception as x:
        print("%s.%s | %s | %r | %s" % (type(x).__module__, type(x).__name__, x, x, sorted(vars(x))))
        print(frameless("".join(Pyro4.util.getPyroTraceback())), end="")

print("--- returned")
r = t.returned()
print("%s | %r, %s | %s" % (type(r).__name__, r, r, sorted(vars(r))))
if ser != "marshal":  # Pyro4's marshal serializer converts only a top-level exception
    n = t.returned_nested()
    print(repr(n["err"]), type(n["list"][0]).__name__, n["list"][0])
print("--- nothing")
print([x for x in t.nothing()], list(t.nothing_map().items()))
print("--- None into values")
print(t.greet(None), t.total({"x": None, "y": 2}))
