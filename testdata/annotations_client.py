# A Pyro4 client that sends custom annotations (the proxy's _pyroAnnotations and the call
# context's) and prints the replies' in wire order. The annotation interop test runs it
# against testdata/annotations_server.py and against its Go twin and compares the output.
import sys

import Pyro4

uri = sys.argv[1]


class AnnotatingProxy(Pyro4.Proxy):
    def _pyroAnnotations(self):
        return {"USER": b"bob"}

    def _pyroResponseAnnotations(self, annotations, msgtype):
        print("response", msgtype, list(annotations))
        print("  custom", sorted((k, v) for k, v in annotations.items() if k not in ("CORR", "HMAC")))


for n in range(2):  # two proxies: two connections, one after the other
    with AnnotatingProxy(uri) as p:
        Pyro4.current_context.annotations = {"CALL": str(n).encode()}
        print("seen", sorted(p.seen().items()))
        print("context", sorted((k, v) for k, v in Pyro4.current_context.response_annotations.items() if k != "CORR"))
        print("seen", sorted(p.seen().items()))
        try:
            p.fail()
        except ValueError as e:
            print("fail", type(e).__name__, e)
        print("plain", p.plain())
        print("plain", p.plain())
