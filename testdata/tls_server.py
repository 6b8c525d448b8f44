# A Python Pyro daemon over TLS, configured as Pyro's ssl example is: python3 tls_server.py
# 4|5 SERVERCERT SERVERKEY CACERTS REQUIRECLIENTCERT(0|1). Its object "tls.who" answers
# whoami() with the common name of the client's certificate, read as Pyro programs do
# (current_context.client.getpeercert()), or "" without one. Prints "uri: URI" when ready.
import sys

version, certfile, keyfile, cacerts, require = sys.argv[1:6]
if version == "4":
    import Pyro4 as api
    config = api.config
else:
    import Pyro5.api as api
    import Pyro5
    config = Pyro5.config

config.SSL = True
config.SSL_SERVERCERT = certfile
config.SSL_SERVERKEY = keyfile
config.SSL_CACERTS = cacerts
config.SSL_REQUIRECLIENTCERT = require == "1"


@api.expose
class Who(object):
    def whoami(self):
        peer = api.current_context.client.getpeercert()
        if not peer:
            return ""
        return dict(p[0] for p in peer["subject"])["commonName"]


d = api.Daemon(host="127.0.0.1", port=0)
print("uri:", d.register(Who, "tls.who"), flush=True)
d.requestLoop()
