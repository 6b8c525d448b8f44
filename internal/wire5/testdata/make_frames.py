"""Writes Pyro5 protocol 502 frames with Pyro5's own SendingMessage, as a JSON list.

Each entry holds the frame (hex) and what it carries: type, flags (without COMPRESSED),
seq, serializer id, correlation id, annotations and the plain payload. The Go tests in
internal/wire5 read the frames and compare; `go test -run Interop -update` stores the frames
of up to 4 KiB in pyro5_frames.json, the golden file the other tests and the fuzz seeds use.

Run with Pyro5 importable and no PYRO_* environment variables:
    PYTHONPATH=../shared/pyro5 /usr/bin/python3 make_frames.py
"""

import json
import random
import sys
import uuid

from Pyro5 import config, protocol as P, serializers
from Pyro5.callcontext import current_context

out = []


def emit(name, mtype, payload, ser, flags, seq, anns=None, corr=None):
    current_context.correlation_id = corr
    msg = P.SendingMessage(mtype, flags, seq, ser, payload, annotations=dict(anns or {}))
    compressed = bool(msg.flags & P.FLAGS_COMPRESSED)
    out.append(dict(name=name, frame=msg.data.hex(), type=mtype, flags=msg.flags & ~P.FLAGS_COMPRESSED,
                    seq=seq, ser=ser, corr=msg.corr_id.hex(), compressed=compressed,
                    anns=[[k, bytes(v).hex()] for k, v in (anns or {}).items()], data=payload.hex()))


serpent = serializers.serializers["serpent"]
marshal = serializers.serializers["marshal"]
js = serializers.serializers["json"]
msgpack = serializers.serializers["msgpack"]
corr = uuid.UUID("12345678-1234-5678-1234-567812345678")

# Messages as client.py and server.py send them.
handshake = {"handshake": "hello", "object": "Pyro.Daemon"}
emit("connect", P.MSG_CONNECT, serpent.dumps(handshake), serpent.serializer_id, 0, 0)
emit("connect corr", P.MSG_CONNECT, js.dumps(handshake), js.serializer_id, 0, 0, corr=corr)
emit("connectok", P.MSG_CONNECTOK, marshal.dumps({"handshake": "hello", "meta": {}}), marshal.serializer_id, 0, 0, corr=corr)
emit("connectfail", P.MSG_CONNECTFAIL, msgpack.dumps("rejected"), msgpack.serializer_id, 0, 0, corr=uuid.UUID(int=1))
call = serpent.dumpsCall("obj_1", "method", (1, "two", 3.0), {"k": None})
emit("invoke", P.MSG_INVOKE, call, serpent.serializer_id, 0, 1)
emit("invoke corr annotations", P.MSG_INVOKE, call, serpent.serializer_id, 0, 2, anns={"XTRA": b"extra", "AAAA": b""}, corr=corr)
emit("invoke oneway", P.MSG_INVOKE, call, serpent.serializer_id, P.FLAGS_ONEWAY, 3)
emit("invoke batch", P.MSG_INVOKE, call, serpent.serializer_id, P.FLAGS_BATCH | P.FLAGS_ONEWAY, 4)
emit("blob", P.MSG_INVOKE, call, serpent.serializer_id, P.FLAGS_KEEPSERIALIZED, 5,
     anns={"BLBI": b"\xa9\x03\xda\x04info\xda\x05obj_1\xda\x06method"})
emit("ping", P.MSG_PING, b"ping", 42, 0, 0)
emit("pong", P.MSG_PING, b"pong", 42, 0, 0, corr=corr)
emit("result", P.MSG_RESULT, serpent.dumps([1, 2, 3]), serpent.serializer_id, 0, 65535, corr=corr)
emit("empty result", P.MSG_RESULT, b"", js.serializer_id, 0, 7)
emit("exception", P.MSG_RESULT, serpent.dumps({"__class__": "builtins.ValueError", "__exception__": True, "args": ["x"], "attributes": {}}),
     serpent.serializer_id, P.FLAGS_EXCEPTION, 8, corr=corr)
emit("stream", P.MSG_RESULT, serpent.dumps(None), serpent.serializer_id, P.FLAGS_EXCEPTION | P.FLAGS_ITEMSTREAMRESULT, 9,
     anns={"STRM": str(uuid.UUID(int=7)).encode()}, corr=corr)
emit("annotation order", P.MSG_INVOKE, b"abc", 1, 0, 10,
     anns={"ZZZZ": b"z", "AAAA": b"", "mid1": b"m" * 300, "BBBB": b"b"})
# Pyro4 caps all annotations at 65535 bytes; Pyro5 counts in 32 bits.
emit("big annotation", P.MSG_RESULT, b"small", 4, 0, 11, anns={"HUGE": bytes(range(256)) * 257})
# Without a correlation id in the context, a CORR_ID flag goes out with a zero id.
emit("flag without corr", P.MSG_INVOKE, b"x", 2, P.FLAGS_CORR_ID, 12)
for t in range(1, 7):
    for fl in (0, 1, 4, 8, 16, 32, 64, 127 & ~2, 0x80, 0xff00):
        emit("type %d flags %d" % (t, fl), t, b"d%d" % fl, 1 + (fl % 4), fl, (t * 1000 + fl) & 0xffff)
for ser in (0, 1, 2, 3, 4, 42, 255):
    emit("serializer %d" % ser, P.MSG_RESULT, b"s", ser, 0, ser)

# Compression as Pyro5 does it: with COMPRESSION on, every payload over 100 bytes, whether it
# shrinks or not; annotations are never compressed.
config.COMPRESSION = True
big = list(range(500)) + ["text"] * 100
for sname, s in (("serpent", serpent), ("marshal", marshal), ("json", js), ("msgpack", msgpack)):
    emit("compressed " + sname, P.MSG_RESULT, s.dumps(big), s.serializer_id, 0, 20, corr=corr)
emit("compressed with annotations", P.MSG_INVOKE, serpent.dumps(big), 1, P.FLAGS_ONEWAY, 21,
     anns={"XTRA": b"x" * 200, "BBBB": b"b"})
emit("100 bytes, not compressed", P.MSG_RESULT, b"a" * 100, 1, 0, 22)
emit("101 bytes, compressed", P.MSG_RESULT, b"a" * 101, 1, 0, 23)
rnd = random.Random(5)
emit("incompressible, compressed anyway", P.MSG_RESULT, bytes(rnd.randrange(256) for _ in range(300)), 1, 0, 24)
emit("compressed 100k", P.MSG_RESULT, b"".join(b"line %d\n" % i for i in range(12000))[:100000], 1, P.FLAGS_BATCH, 25, corr=corr)
config.COMPRESSION = False

# One frame a line, so that the golden file diffs well.
sys.stdout.write("[\n" + ",\n".join(json.dumps(e) for e in out) + "\n]\n")
