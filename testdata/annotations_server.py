# A Pyro4 daemon that reads its callers' custom annotations and annotates its replies: per
# call (current_context.response_annotations) and daemon-wide (Daemon.annotations). The
# annotation interop test calls it, and its Go twin, from Go and from Python.
import Pyro4


class AnnotatingDaemon(Pyro4.Daemon):
    def annotations(self):
        return {"DAEM": b"daemon-wide"}


@Pyro4.expose
class Annotated(object):
    def seen(self):
        ctx = Pyro4.current_context
        ctx.response_annotations["RESP"] = b"re:" + ctx.annotations.get("USER", b"")
        return {k: v.decode() for k, v in ctx.annotations.items() if k not in ("CORR", "HMAC")}

    def fail(self):
        Pyro4.current_context.response_annotations["RESP"] = b"lost"  # goes with the next reply
        raise ValueError("failed on purpose")

    def plain(self):
        return "ok"


with AnnotatingDaemon(host="127.0.0.1") as daemon:
    print("URI", daemon.register(Annotated, "annotated"), flush=True)
    daemon.requestLoop()
