# A Python Pyro5 client exercising an echo server (Pyro5.utils.echoserver or ours) through every
# feature, printing a JSON transcript: the Pyro5 twin of echo_client.py. The interop test runs
# it against both servers and compares the transcripts: a Pyro5 client must not be able to
# tell them apart.
import datetime
import decimal
import json
import sys
import time
import uuid

import Pyro5.api
import Pyro5.errors
import Pyro5.protocol
from Pyro5.callcontext import current_context

uri, ser = sys.argv[1], sys.argv[2]
Pyro5.config.SERIALIZER = ser
out = {}


def exc(e):
    text = str(e)
    if isinstance(e, Pyro5.errors.ConnectionClosedError):
        # "not enough data" or "connection lost: ... reset by peer": a race of the OS, either way
        text = "(connection closed)"
    return {"type": type(e).__module__ + "." + type(e).__name__, "str": text,
            "has_traceback": bool(getattr(e, "_pyroTraceback", None))}


def attempt(name, fn):
    try:
        out[name] = {"ok": fn()}
    except Exception as e:
        out[name] = {"error": exc(e)}


def describe(r):
    """A value's repr, or a stable description of what has an address in its repr."""
    if isinstance(r, Pyro5.api.Proxy):
        return ["Proxy", str(r._pyroUri), sorted(r._pyroMethods), sorted(r._pyroOneway),
                sorted(r._pyroAttrs), r._pyroHandshake, r._pyroSerializer]
    if isinstance(r, Pyro5.api.URI):
        return ["URI", str(r)]
    if isinstance(r, BaseException):
        attrs = {k: repr(v) for k, v in sorted(vars(r).items())}
        return ["exception", type(r).__module__ + "." + type(r).__name__, repr(r.args), attrs]
    if isinstance(r, (list, tuple)) and any(isinstance(x, (Pyro5.api.Proxy, Pyro5.api.URI, BaseException)) for x in r):
        return [type(r).__name__] + [describe(x) for x in r]
    if isinstance(r, (set, frozenset)):
        return [type(r).__name__, sorted(repr(x) for x in r)]
    return repr(r)


p = Pyro5.api.Proxy(uri)
p._pyroBind()
out["methods"] = sorted(p._pyroMethods)
out["oneway"] = sorted(p._pyroOneway)
out["attrs"] = sorted(p._pyroAttrs)


class Thing(object):
    def __init__(self):
        self.a = 1


Thing.__module__ = "mymodule"


class Secret(object):
    def __init__(self):
        self.b = 2


values = [None, True, False, 0, -1, 2**31, 2**63 - 1, -2**63, 1.5, -0.0, 1e300, "", "hello",
          "héllo € 😀 \n\t\\ 'q' \"dq\"", [], [1, [2, [3]]], {}, {"a": 1, "b": [1, 2]}, [None, "x", 2.5],
          uuid.UUID("12345678-1234-5678-1234-567812345678"), decimal.Decimal("3.14159265358979323846"),
          {1, 2, 3}, frozenset({"x"}), set(),
          Pyro5.api.URI("PYRO:some.object@example.com:4321"), Pyro5.api.URI("PYRONAME:some.name"),
          Pyro5.api.URI("PYRO:obj@./u:/tmp/sock"),
          ValueError("a value error", 42), Pyro5.errors.NamingError("no such name"),
          [KeyError("k"), Pyro5.errors.CommunicationError("down")],
          {"__class__": "notaclass", "x": 1}, Thing(), Secret(), [1, Thing()],
          {"__class__": "builtins.ValueError", "__exception__": True, "args": ("made by hand",), "attributes": {}}]
if ser != "json":
    values += [(), (1,), (1, "a", (2, 3)), 2**70, -2**100, b"\x00\x01bytes\xff", bytearray(b"ba")]
if ser in ("serpent", "marshal"):
    values += [{(1, 2): "tuple key", 3: "int key"}, 1 + 2j]
if ser == "msgpack":
    values += [1 + 2j]
if ser != "marshal":
    values += [datetime.datetime(2024, 6, 28, 12, 30, 15, 250000), datetime.datetime(1969, 7, 20, 20, 17),
               datetime.date(2024, 2, 29), [datetime.date(1, 1, 1), {"at": datetime.datetime(9999, 12, 31, 23, 59)}]]
echoed = []
for v in values:
    try:
        r = p.echo(v)
        echoed.append([describe(v), describe(r), type(r).__name__])
    except Exception as e:
        echoed.append([describe(v), "error", exc(e)])
out["echo"] = echoed


def echo_proxy():
    q = Pyro5.api.Proxy("PYRO:other.object@example.com:1234")
    q._pyroMethods = {"m1", "m2"}
    q._pyroOneway = {"m2"}
    q._pyroAttrs = {"a"}
    q._pyroHandshake = {"token": 7}
    q._pyroSerializer = "json"
    return describe(p.echo(q))


attempt("echo_proxy", echo_proxy)
attempt("echo_proxy_nested", lambda: describe(p.echo([Pyro5.api.Proxy("PYRO:x@localhost:1"), {"p": 1}])))
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


def batch():
    with Pyro5.api.BatchProxy(p) as b:
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


def batch_oneway():
    with Pyro5.api.BatchProxy(p) as b:
        b.echo(1)
        return [b(oneway=True), p.echo("after")]


attempt("batch_oneway", batch_oneway)


def raw(method, args, corr=None):
    """The reply to a call as it came off the wire: flags, correlation id, annotations."""
    current_context.correlation_id = corr
    p._pyroRawWireResponse = True
    try:
        m = p._pyroInvoke(method, args, {})
    finally:
        p._pyroRawWireResponse = False
        current_context.correlation_id = None
    cid = uuid.UUID(bytes=bytes(m.corr_id))
    return {"type": m.type, "flags": m.flags, "seq_ok": m.seq == p._pyroSeq, "serializer": m.serializer_id,
            "corr_flag": bool(m.flags & Pyro5.protocol.FLAGS_CORR_ID),
            "corr_echoed": corr is not None and cid == corr, "corr_v4": cid.version == 4,
            "annotations": sorted(m.annotations)}


attempt("raw_result", lambda: raw("echo", ("x",)))
attempt("raw_result_corr", lambda: raw("echo", ("x",), uuid.UUID("0f0e0d0c-0b0a-4908-8706-050403020100")))
attempt("raw_exception", lambda: raw("error", (), uuid.uuid4()))
attempt("raw_stream", lambda: raw("generator", ()))


def ping():
    conn = p._pyroConnection
    conn.send(Pyro5.protocol.SendingMessage(Pyro5.protocol.MSG_PING, 0, 99, 42, b"ping").data)
    m = Pyro5.protocol.recv_stub(conn, [Pyro5.protocol.MSG_PING])
    return [m.type, m.seq, bytes(m.data).decode(), m.serializer_id, bool(m.flags & Pyro5.protocol.FLAGS_CORR_ID)]


attempt("ping", ping)
loc = uri.split("@", 1)[1]
d = Pyro5.api.Proxy("PYRO:Pyro.Daemon@" + loc)
attempt("daemon_ping", lambda: d.ping())
attempt("daemon_meta", lambda: [sorted(d._pyroMethods), sorted(d._pyroOneway), sorted(d._pyroAttrs)])
attempt("daemon_registered", lambda: sorted(d.registered()))
attempt("daemon_metadata", lambda: {k: [type(v).__name__, sorted(v)] for k, v in d.get_metadata("test.echoserver").items()})
attempt("daemon_metadata_unknown", lambda: d.get_metadata("nope"))
attempt("daemon_next_unknown_stream", lambda: d.get_next_stream_item("no-such-stream"))
attempt("unknown_object", lambda: Pyro5.api.Proxy("PYRO:nope@" + loc)._pyroBind())


def handshake_refused_class():
    q = Pyro5.api.Proxy(uri)
    q._pyroHandshake = Thing()
    q._pyroBind()


attempt("handshake_unsupported_class", handshake_refused_class)
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
