# One side of the Pyro4 + Pyro5 test: a Python client of either protocol (argv[1] "4" or
# "5") that opens its name server and echo server connections at start, keeps them, and
# answers one command per stdin line with one repr() line on stdout.
import sys

ver, host, port, echo_uri = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
if ver == "4":
    import Pyro4 as P
    ns = P.locateNS(host, port)
else:
    import Pyro5.api as P
    ns = P.locate_ns(host, port)
ns._pyroBind()
echo = P.Proxy(echo_uri)
echo._pyroBind()
print("ready", flush=True)


def tagged(tag):
    if ver == "4":
        return ns.list(metadata_any=[tag])
    return ns.yplookup(meta_any={tag}, return_metadata=False)


for line in sys.stdin:
    cmd, *args = line.split()
    try:
        if cmd == "register":
            ns.register(args[0], echo_uri, metadata={"by" + ver, args[1]})
            r = "registered"
        elif cmd == "lookup":
            r = str(ns.lookup(args[0]))
        elif cmd == "list":
            r = sorted(ns.list(prefix=args[0]))
        elif cmd == "tagged":
            r = sorted(tagged(args[0]))
        elif cmd == "call":
            with P.Proxy("PYRONAME:%s@%s:%d" % (args[0], host, port)) as p:
                r = p.echo("Pyro%s via %s" % (ver, args[0]))
        elif cmd == "echo":
            r = echo.echo("Pyro%s still connected" % ver)
        elif cmd == "connected":
            r = [ns._pyroConnection is not None, echo._pyroConnection is not None]
        else:
            r = "unknown command " + cmd
    except Exception as e:
        r = "error %s.%s: %s" % (type(e).__module__, type(e).__name__, e)
    print(repr(r), flush=True)
