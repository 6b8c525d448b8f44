# A Pyro5 object whose methods return the Python values a gateway must render as Pyro5's
# json serializer does: tuples, sets, datetimes, decimals, uuids, class-dicts, big ints,
# floats, non-ASCII text. Registered as test.values in the name server (PYRO_NS_HOST/PORT).
import datetime, decimal, uuid
from Pyro5.api import Daemon, current_context, expose, locate_ns, oneway


class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y


class Oops(Exception):
    def __init__(self, msg):
        super().__init__(msg)
        self.code = 42


@expose
class Values:
    def tuple(self):
        return (1, "two", (3.5, None))

    def set(self):
        return {"only"}

    def datetime(self):
        return datetime.datetime(2026, 12, 2, 4, 30, 15, 123456)

    def date(self):
        return datetime.date(2026, 12, 2)

    def decimal(self):
        return decimal.Decimal("3.14159265358979323846")

    def uuid(self):
        return uuid.UUID("12345678-1234-5678-1234-567812345678")

    def point(self):
        return Point(1, [2, 3])

    def bigint(self):
        return 2 ** 100

    def floats(self):
        return [0.1, 1e22, 1.0, -0.0, 1e-7, 123456789.125]

    def text(self):
        return {"ascii": "plain", "accents": "héllo wörld", "emoji": "\U0001F600", "quote": "a\"b\\c\n\t\x01"}

    def nested(self):
        return {"b": [1, {"z": None, "a": True}], "a": {}}

    def correlation(self):
        return str(current_context.correlation_id)

    def add(self, a, b):
        return a + b

    def greet(self, name, greeting="hello"):
        return greeting + " " + name

    def custom_error(self):
        raise Oops("custom failure")

    @property
    def answer(self):
        return 42

    @oneway
    def fire(self, x=None):
        pass


d = Daemon(host="127.0.0.1")
uri = d.register(Values, "test.values")
locate_ns().register("test.values", uri, metadata={"kind:values", "lang:python"})
print("values ready", uri, flush=True)
d.requestLoop()
