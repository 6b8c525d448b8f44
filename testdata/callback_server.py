# A Python Pyro4 server that calls back the callback objects it is given, alone or nested in
# a list or a dict: a Go client passes its own registered objects (autoproxy) to it.
import sys

import Pyro4


@Pyro4.expose
class Caller(object):
    def call(self, cb, msg):
        return "%s %s" % (type(cb).__name__, cb.notify(msg))

    def call_all(self, cbs):
        return [cb.notify("all") for cb in cbs]

    def call_dict(self, d):
        return d["cb"].notify(d["msg"])

    def call_kw(self, msg, cb=None):
        return cb.notify(msg)


Pyro4.config.SERIALIZERS_ACCEPTED.add("msgpack")
daemon = Pyro4.Daemon(host="127.0.0.1")
print("uri:", daemon.register(Caller(), "caller"))
sys.stdout.flush()
daemon.requestLoop()
