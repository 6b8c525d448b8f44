# A Python Pyro client over TLS, configured as Pyro's ssl example is: python3 tls_client.py
# 4|5 URI CACERTS [CLIENTCERT CLIENTKEY]. It checks the daemon's certificate in the handshake
# hook, as the example does, calls whoami() and prints JSON: what it saw, or the error.
import json
import sys

version, uri, cacerts = sys.argv[1:4]
cert, key = (sys.argv[4:6] + ["", ""])[:2]
if version == "4":
    import Pyro4 as api
    import Pyro4.errors as errors
    config = api.config
else:
    import Pyro5.api as api
    import Pyro5.errors as errors
    import Pyro5
    config = Pyro5.config

config.SSL = True
config.SSL_CACERTS = cacerts
config.SSL_CLIENTCERT = cert
config.SSL_CLIENTKEY = key

seen = {}


class CertCheckingProxy(api.Proxy):
    def _pyroValidateHandshake(self, response):
        peer = self._pyroConnection.getpeercert()
        if not peer:
            raise errors.CommunicationError("server cert missing")
        seen["server"] = dict(p[0] for p in peer["subject"])["commonName"]


try:
    with CertCheckingProxy(uri) as p:
        seen["whoami"] = p.whoami()
        seen["again"] = p.whoami()
except Exception as e:
    seen["error"] = type(e).__name__
    seen["message"] = str(e)
print(json.dumps(seen))
