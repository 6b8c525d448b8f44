"""Reads frames with Pyro5's own recv_stub and ReceivingMessage, and says what they hold.

Input (stdin): a JSON list of {"name", "frame" (hex), "max" (optional MAX_MESSAGE_SIZE)}.
Output (stdout): a JSON list, for each frame either its fields as make_frames.py writes them
(flags without COMPRESSED, "compressed" telling whether it was set, "rest" the bytes left
unread) or "error": "ExceptionType: message".

Run with Pyro5 importable and no PYRO_* environment variables.
"""

import json
import sys

from Pyro5 import config, protocol as P


class Conn:
    """A connection whose recv returns the frame's bytes, as socketutil's does: all that was
    asked for, or an error."""

    def __init__(self, data):
        self.data, self.pos = data, 0

    def recv(self, n):
        if self.pos + n > len(self.data):
            raise ConnectionError("receiving: not enough data")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk


default_max = config.MAX_MESSAGE_SIZE
out = []
for case in json.load(sys.stdin):
    config.MAX_MESSAGE_SIZE = case.get("max") or default_max
    conn = Conn(bytes.fromhex(case["frame"]))
    try:
        msg = P.recv_stub(conn)
        # add_payload inflated the data and cleared the flag; the raw header still has it.
        raw_flags = int.from_bytes(conn.data[8:10], "big")
        out.append(dict(name=case["name"], type=msg.type, flags=msg.flags, seq=msg.seq, ser=msg.serializer_id,
                        corr=bytes(msg.corr_id).hex(), compressed=bool(raw_flags & P.FLAGS_COMPRESSED),
                        anns=[[k, bytes(v).hex()] for k, v in msg.annotations.items()],
                        data=bytes(msg.data).hex(), rest=len(conn.data) - conn.pos))
    except Exception as x:
        out.append(dict(name=case["name"], error="%s: %s" % (type(x).__name__, x)))
json.dump(out, sys.stdout)
