# A Python Pyro5 server that calls back the callback objects it is given, alone, nested in a
# list or a dict, or as a keyword argument: a Go client passes its own registered objects
# (autoproxy) to it. The Pyro5 twin of callback_server.py.
import sys

import Pyro5.api


@Pyro5.api.expose
class Caller(object):
    def call(self, cb, msg):
        return "%s %s" % (type(cb).__name__, cb.notify(msg))

    def call_all(self, cbs):
        return [cb.notify("all") for cb in cbs]

    def call_dict(self, d):
        return d["cb"].notify(d["msg"])

    def call_kw(self, msg, cb=None):
        return cb.notify(msg)

    def describe(self, cb):
        return [type(cb).__name__, str(cb._pyroUri), sorted(cb._pyroMethods)]


daemon = Pyro5.api.Daemon(host="127.0.0.1")
print("uri:", daemon.register(Caller(), "caller"))
sys.stdout.flush()
daemon.requestLoop()
