# A Python Pyro5 program using a name server through Pyro5's API (register, lookup, list,
# yplookup, set_metadata, remove, count, ping; metadata, safe, prefix and regex), printing a
# JSON transcript. The interop test runs it against Pyro5's name server and against ours and
# compares.
import json
import sys

import Pyro5.api
import Pyro5.core
import Pyro5.errors

host, port, echo_uri, ser = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
Pyro5.config.SERIALIZER = ser
out = {}


def norm(v):
    if isinstance(v, Pyro5.core.URI):
        return "URI:" + str(v)
    if isinstance(v, (set, frozenset)):
        return ["set"] + sorted((norm(x) for x in v), key=repr)
    if isinstance(v, (list, tuple)):
        items = [norm(x) for x in v]
        # json and marshal send sets as lists: their order is arbitrary
        if all(isinstance(x, str) for x in v):
            return ["strs"] + sorted(items)
        return items
    if isinstance(v, dict):
        # in the order the name server sent: list() keeps registration order
        return [[k, norm(x)] for k, x in v.items()]
    return v


def attempt(name, fn):
    try:
        out[name] = {"ok": norm(fn())}
    except Exception as e:
        out[name] = {"error": type(e).__module__ + "." + type(e).__name__, "str": str(e)}


ns = Pyro5.api.locate_ns(host, port)
attempt("ping", ns.ping)
attempt("count0", ns.count)
attempt("lookup_self", lambda: ns.lookup("Pyro.NameServer", return_metadata=True))
attempt("lookup_self_plain", lambda: ns.lookup("Pyro.NameServer"))
attempt("register_str", lambda: ns.register("example.one", "PYRO:obj1@localhost:5001", metadata={"red", "blue"}))
attempt("register_uri", lambda: ns.register("example.two", Pyro5.core.URI("PYRO:obj2@localhost:5002")))
attempt("register_unix", lambda: ns.register("example.three", "PYRO:obj3@./u:/tmp/sock", safe=True, metadata=["green"]))
attempt("register_ipv6", lambda: ns.register("other.six", "PYRO:obj6@[::1]:5006", metadata=("red",)))
attempt("register_safe_dup", lambda: ns.register("example.one", "PYRO:x@localhost:1", safe=True))
attempt("register_positional", lambda: ns.register("example.four", "PYRO:obj4@localhost:5004", False, ["blue"]))
attempt("register_invalid_uri", lambda: ns.register("bad.uri", "not a uri"))
attempt("register_name_not_str", lambda: ns.register(42, "PYRO:x@localhost:1"))
attempt("register_meta_str", lambda: ns.register("bad.meta", "PYRO:x@localhost:1", metadata="red"))
attempt("lookup", lambda: ns.lookup("example.one"))
attempt("lookup_meta", lambda: ns.lookup("example.one", return_metadata=True))
attempt("lookup_meta_positional", lambda: ns.lookup("example.two", True))
attempt("lookup_uri_fields", lambda: [ns.lookup("example.three").sockname, ns.lookup("other.six").host])
attempt("lookup_unknown", lambda: ns.lookup("nope"))
attempt("list_all", lambda: ns.list())
attempt("list_all_meta", lambda: ns.list(return_metadata=True))
attempt("list_prefix", lambda: ns.list(prefix="example."))
attempt("list_prefix_positional_meta", lambda: ns.list("other", None, True))
attempt("list_regex", lambda: ns.list(regex=r"example\.t"))
attempt("list_regex_meta", lambda: ns.list(regex=r"example\.t", return_metadata=True))
attempt("list_regex_invalid_open", lambda: ns.list(regex="[unclosed"))
attempt("list_two_filters", lambda: ns.list(prefix="a", regex="b"))
attempt("list_empty_prefix", lambda: ns.list(prefix=""))
attempt("yp_all", lambda: ns.yplookup(meta_all=["red"]))
attempt("yp_all2", lambda: ns.yplookup(meta_all={"red", "blue"}))
attempt("yp_all_plain", lambda: ns.yplookup(meta_all={"red"}, return_metadata=False))
attempt("yp_any", lambda: ns.yplookup(meta_any=["green", "blue"]))
attempt("yp_any_positional", lambda: ns.yplookup(None, ["green"], False))
attempt("yp_self", lambda: ns.yplookup(meta_any=["class:Pyro5.nameserver.NameServer"]))
attempt("yp_none", lambda: ns.yplookup())
attempt("yp_empty", lambda: ns.yplookup(meta_all=[]))
attempt("yp_both", lambda: ns.yplookup(meta_all=["red"], meta_any=["blue"]))
attempt("yp_str", lambda: ns.yplookup(meta_all="red"))
attempt("yp_any_str", lambda: ns.yplookup(meta_any="red"))
attempt("yp_nomatch", lambda: ns.yplookup(meta_any=["nothing"]))
attempt("set_metadata", lambda: ns.set_metadata("example.two", ["yellow"]))
attempt("after_set_metadata", lambda: ns.lookup("example.two", return_metadata=True))
attempt("clear_metadata", lambda: [ns.set_metadata("example.two", None), ns.lookup("example.two", return_metadata=True)])
attempt("set_metadata_unknown", lambda: ns.set_metadata("nope", ["x"]))
attempt("set_metadata_str", lambda: ns.set_metadata("example.two", "x"))
for name in ("order.zeta", "order.alpha", "order.mid", "order.beta"):
    attempt("register_" + name, lambda name=name: ns.register(name, "PYRO:%s@localhost:1" % name, metadata=["order"]))
attempt("order_reregister", lambda: ns.register("order.zeta", "PYRO:again@localhost:1", metadata=["order", "again"]))
attempt("order_retag", lambda: ns.set_metadata("order.alpha", ["order", "retagged"]))
attempt("order_remove", lambda: ns.remove("order.mid"))
attempt("order_register_again", lambda: ns.register("order.mid", "PYRO:mid@localhost:1", metadata=["order"]))
attempt("list_order_all", lambda: ns.list())
attempt("list_order_prefix_meta", lambda: ns.list(prefix="order.", return_metadata=True))
attempt("list_order_regex", lambda: ns.list(regex=r"order\.[a-z]+"))
attempt("yp_order_all", lambda: ns.yplookup(meta_all=["order"], return_metadata=False))
attempt("yp_order_any", lambda: ns.yplookup(meta_any=["again", "retagged"]))
attempt("order_remove_prefix", lambda: ns.remove(prefix="order."))
attempt("remove_self", lambda: ns.remove("Pyro.NameServer"))
attempt("remove_unknown", lambda: ns.remove("nope"))
attempt("remove_unknown_with_prefix", lambda: ns.remove("nope", prefix="example."))
attempt("remove_one", lambda: ns.remove("example.one"))
attempt("count1", ns.count)
attempt("register_echo", lambda: ns.register("test.echo", echo_uri, metadata=["echo.tag", "other"]))
attempt("pyroname", lambda: Pyro5.api.Proxy("PYRONAME:test.echo@%s:%d" % (host, port)).echo("via name"))
attempt("pyrometa", lambda: Pyro5.api.Proxy("PYROMETA:echo.tag@%s:%d" % (host, port)).echo("via meta"))
attempt("pyrometa_none", lambda: Pyro5.api.Proxy("PYROMETA:no.such.tag@%s:%d" % (host, port)).echo("x"))
attempt("pyroname_unknown", lambda: Pyro5.api.Proxy("PYRONAME:no.such.name@%s:%d" % (host, port)).echo("x"))
attempt("resolve", lambda: Pyro5.core.resolve("PYRONAME:test.echo@%s:%d" % (host, port)))
attempt("remove_prefix", lambda: ns.remove(prefix="example."))
attempt("remove_regex", lambda: ns.remove(regex="oth"))
attempt("remove_regex_all", lambda: ns.remove(regex=".*"))
attempt("count2", ns.count)
attempt("list_end", lambda: ns.list(return_metadata=True))
attempt("pyro4_list_kwarg", lambda: ns.list(metadata_all=["red"]))
print(json.dumps(out, indent=1, sort_keys=True))
