# BenchmarkScalePyro4's Python side: Pyro4's own NameServer object over its memory or SQL
# storage, in process (no network), measured as BenchmarkScale measures ours. Prints
# "metric value" lines. Usage: scale_pyro4.py memory|sql N DBFILE
import sys, time, resource
import Pyro4
from Pyro4.naming import NameServer
from Pyro4.naming_storage import SqlStorage

kind, n, dbfile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ns = NameServer(SqlStorage(dbfile) if kind == "sql" else None)

def name(i):
    return "example.group%05d.object%07d" % (i // 100, i)

def tags(i):
    t = {"kind:%d" % (i % 10)}
    if i % 1000 == 0:
        t.add("rare")
    return t

t0 = time.perf_counter()
for i in range(n):
    ns.register(name(i), "PYRO:obj_0123456789abcdef@localhost:45678", metadata=tags(i))
print("reg/s", n / (time.perf_counter() - t0))

lat = []
for i in range(2000):
    nm = name((i * 7919) % n)
    t = time.perf_counter()
    ns.lookup(nm)
    lat.append(time.perf_counter() - t)
lat.sort()
print("lookup-p50-ns", lat[len(lat) // 2] * 1e9)
print("lookup-p99-ns", lat[len(lat) * 99 // 100] * 1e9)

def query(unit, want, **kw):
    times = []
    for _ in range(3):
        t = time.perf_counter()
        got = ns.list(**kw)
        times.append(time.perf_counter() - t)
        if len(got) != want:
            sys.exit("%s: %d entries, want %d" % (kw, len(got), want))
    times.sort()
    print(unit, times[len(times) // 2] * 1e6)

group = name(n // 2)
group = group[:group.index(".object") + 1]
query("list-prefix-µs", 100, prefix=group)
query("regex-µs", 100, regex=group.replace(".", r"\.") + r"object\d+")
query("meta-rare-µs", n // 1000, metadata_all={"rare"})
query("meta-any-µs", n // 1000, metadata_any={"rare"})
print("maxrss-MB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3)
if kind == "sql":
    t = time.perf_counter()
    ns2 = NameServer(SqlStorage(dbfile))
    ns2.lookup(name(n // 2))
    print("reopen-µs", (time.perf_counter() - t) * 1e6)
