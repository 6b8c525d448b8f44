# A Python Pyro4 client exercising an echo server (pyro4-test-echoserver or ours) through every
# feature, printing a JSON transcript. The interop test runs it against both servers and
# compares the transcripts: a Python client must not be able to tell them apart.
import datetime
import json
import sys
import time

import Pyro4
import Pyro4.errors

uri, ser = sys.argv[1], sys.argv[2]
Pyro4.config.SERIALIZER = ser
out = {}


def exc(e):
    return {"type": type(e).__module__ + "." + type(e).__name__, "str": str(e),
            "has_traceback": bool(getattr(e, "_pyroTraceback", None))}


def attempt(name, fn):
    try:
        out[name] = {"ok": fn()}
    except Exception as e:
        out[name] = {"error": exc(e)}


p = Pyro4.Proxy(uri)
p._pyroBind()
out["methods"] = sorted(p._pyroMethods)
out["oneway"] = sorted(p._pyroOneway)
out["attrs"] = sorted(p._pyroAttrs)

values = [None, True, False, 0, -1, 2**31, 2**63 - 1, -2**63, 1.5, -0.0, 1e300, "", "hello",
          "héllo € 😀 \n\t\\ 'q' \"dq\"", [], [1, [2, [3]]], {}, {"a": 1, "b": [1, 2]}, [None, "x", 2.5]]
if ser != "json":
    values += [(), (1,), (1, "a", (2, 3)), 2**70, -2**100]
if ser in ("serpent", "marshal"):
    values += [{1, 2, 3}, {(1, 2): "tuple key", 3: "int key"}, 1 + 2j, b"\x00\x01bytes\xff"]
if ser == "msgpack":
    values += [b"\x00\x01bytes\xff", 1 + 2j]
if ser != "marshal":
    # msgpack carries them as extension types and gives them back; serpent and json as str
    values += [datetime.datetime(2024, 6, 28, 12, 30, 15, 250000), datetime.datetime(1969, 7, 20, 20, 17),
               datetime.date(2024, 2, 29), [datetime.date(1, 1, 1), {"at": datetime.datetime(9999, 12, 31, 23, 59)}]]
echoed = []
for v in values:
    try:
        r = p.echo(v)
        echoed.append([repr(v), repr(r), type(r).__name__])
    except Exception as e:
        echoed.append([repr(v), "error", exc(e)])
out["echo"] = echoed
attempt("echo_kwargs", lambda: p.echo(message="by keyword"))
attempt("error", lambda: p.error())
attempt("error_with_text", lambda: p.error_with_text())
attempt("generator", lambda: list(p.generator()))
attempt("generator_partial", lambda: next(iter(p.generator())))
attempt("nan", lambda: repr(p.nan()))
attempt("inf", lambda: repr(p.inf()))
attempt("dunder", lambda: p.__dunder__())
attempt("private_remote", lambda: p._pyroInvoke("_private", (), {}))
attempt("unexposed_remote", lambda: p._pyroInvoke("nonexisting", (), {}))
attempt("unknown_local", lambda: p.nonexisting())
attempt("wrong_arg_count", lambda: p._pyroInvoke("echo", (1, 2), {}))
attempt("verbose_get", lambda: p.verbose)


def set_verbose():
    p.verbose = True
    v = p.verbose
    p.verbose = False
    return [v, p.verbose]


attempt("verbose_set", set_verbose)


def oneway():
    t = time.time()
    p.oneway_slow()
    r = p.oneway_echo("ignored")
    return [time.time() - t < 1.0, r]


attempt("oneway", oneway)
if ser != "marshal":  # a Python marshal client cannot send batches (Pyro4 bug)
    def batch():
        b = Pyro4.batch(p)
        b.echo(1)
        b.echo("two")
        b.error()
        b.echo("not run")
        results = []
        try:
            for r in b():
                results.append(r)
        except Exception as e:
            results.append(exc(e))
        return results
    attempt("batch", batch)


def ping():
    p._pyroConnection.send(Pyro4.message.Message(Pyro4.message.MSG_PING, b"ping", 42, 0, 99).to_bytes())
    m = Pyro4.message.Message.recv(p._pyroConnection, [Pyro4.message.MSG_PING])
    return [m.type, m.seq, m.data.decode(), m.serializer_id]


attempt("ping", ping)
d = Pyro4.Proxy("PYRO:Pyro.Daemon@" + uri.split("@", 1)[1])
attempt("daemon_ping", lambda: d.ping())
attempt("daemon_registered", lambda: sorted(d.registered()))
attempt("daemon_metadata", lambda: {k: sorted(v) for k, v in d.get_metadata("test.echoserver").items()})
attempt("daemon_metadata_unknown", lambda: d.get_metadata("nope"))
attempt("unknown_object", lambda: Pyro4.Proxy("PYRO:nope@" + uri.split("@", 1)[1])._pyroBind())
if len(sys.argv) > 3 and sys.argv[3] == "timeout":
    def timeout():
        p._pyroTimeout = 0.5
        t = time.time()
        try:
            p.slow()
        finally:
            p._pyroTimeout = None
        return time.time() - t
    attempt("timeout", timeout)
print(json.dumps(out, indent=1, sort_keys=True))
