package store_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gopyro/pyro/internal/pytest"
	"github.com/gopyro/pyro/naming/store"
)

// pyEntries is how the Python side reports a storage: name → [uri, sorted tags].
type pyEntries map[string][2]any

func (p pyEntries) entries() []store.Entry {
	var out []store.Entry
	for name, v := range p {
		e := store.Entry{Name: name, URI: v[0].(string)}
		for _, t := range v[1].([]any) {
			e.Metadata = append(e.Metadata, t.(string))
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b store.Entry) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// pyPrelude opens the file with Pyro4's own SqlStorage and a NameServer over it.
const pyPrelude = `
import sys, json
from Pyro4.naming import NameServer
from Pyro4.naming_storage import SqlStorage
storage = SqlStorage(sys.argv[1] if len(sys.argv) > 1 else sys.stdin.readline().strip())
ns = NameServer(storage)
def dump(d):
    return {k: [v[0], sorted(v[1])] for k, v in d.items()}
`

func runPy(t *testing.T, dbfile, body string) []byte {
	t.Helper()
	return pytest.Run(t, pyPrelude+body, []byte(dbfile+"\n"))
}

// sameEntries compares two listings' contents, whatever their order (TestListOrderMatchesPyro4
// checks the order).
func sameEntries(t *testing.T, what string, got, want []store.Entry) {
	t.Helper()
	byName := func(a, b store.Entry) int { return strings.Compare(a.Name, b.Name) }
	got, want = slices.SortedFunc(slices.Values(got), byName), slices.SortedFunc(slices.Values(want), byName)
	if len(got) != len(want) {
		t.Fatalf("%s: %d entries, want %d\ngot  %+v\nwant %+v", what, len(got), len(want), got, want)
	}
	for i := range got {
		if got[i].Name != want[i].Name || got[i].URI != want[i].URI || !slices.Equal(got[i].Metadata, want[i].Metadata) {
			t.Errorf("%s: entry %d = %+v, want %+v", what, i, got[i], want[i])
		}
	}
}

// TestSQLReadsPyro4File has Pyro4's name server fill a file through its SqlStorage, then
// checks that Go reads every entry, and that Go's filters answer what Pyro4's do.
func TestSQLReadsPyro4File(t *testing.T) {
	db := filepath.Join(t.TempDir(), "py.db")
	out := runPy(t, db, `
ns.register("Pyro.NameServer", "PYRO:Pyro.NameServer@localhost:9090", metadata={"class:Pyro4.naming.NameServer"})
ns.register("app.printer", "PYRO:obj_1@localhost:5000", metadata=["printer", "floor:1"])
ns.register("app.scanner", "PYRO:obj_2@[::1]:5001", metadata=("scanner", "floor:1"))
ns.register("app.copier", "PYRO:obj_3@./u:/tmp/sock", metadata={"printer", "scanner", "floor:2"})
ns.register("ünïcode.☃", "PYRONAME:elsewhere@nshost:9090")
ns.register("replaced", "PYRO:old@h:1", metadata=["old"])
ns.register("replaced", "PYRO:new@h:2", metadata=["new", "newer"])
ns.register("gone", "PYRO:gone@h:1", metadata=["x"])
ns.remove("gone")
ns.register("retagged", "PYRO:r@h:1", metadata=["a"])
ns.set_metadata("retagged", ["b", "c"])
ns.register("untagged", "PYRO:u@h:1", metadata=["a"])
ns.set_metadata("untagged", None)
for i in range(50):
    ns.register("bulk.%02d" % i, "PYRO:b%d@h:%d" % (i, 1000 + i), metadata=["bulk", "n%d" % (i % 3)])
queries = {
    "all": dump(ns.list(return_metadata=True)),
    "regex": dump(ns.list(regex=r"app\.(p|s)", return_metadata=True)),
    "prefix": dump(ns.list(prefix="bulk.1", return_metadata=True)),
    "meta_all": dump(ns.list(metadata_all=["bulk", "n1"], return_metadata=True)),
    "meta_any": dump(ns.list(metadata_any={"floor:1", "c"}, return_metadata=True)),
}
json.dump(queries, sys.stdout)
`)
	var py map[string]pyEntries
	if err := json.Unmarshal(out, &py); err != nil {
		t.Fatal(err)
	}
	s, err := store.OpenSQL(db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	filters := map[string]store.Filter{
		"all":      {},
		"regex":    {Regex: `app\.(p|s)`},
		"prefix":   {Prefix: "bulk.1"},
		"meta_all": {MetadataAll: []string{"bulk", "n1"}},
		"meta_any": {MetadataAny: []string{"floor:1", "c"}},
	}
	for q, f := range filters {
		got, err := s.List(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		sameEntries(t, q, got, py[q].entries())
	}
	if len(py["all"]) != 58 {
		t.Errorf("Python listed %d entries, want 58", len(py["all"]))
	}
	e, err := s.Lookup(ctx, "replaced")
	if err != nil || e.URI != "PYRO:new@h:2" || !slices.Equal(e.Metadata, []string{"new", "newer"}) {
		t.Errorf("Lookup(replaced) = %+v, %v", e, err)
	}
	if n, _ := s.Count(ctx); n != 58 {
		t.Errorf("Count = %d", n)
	}
}

// TestPyro4ReadsSQLFile has Go write a file and Pyro4's SqlStorage read it back, then Pyro4
// write to it and Go read that.
func TestPyro4ReadsSQLFile(t *testing.T) {
	db := filepath.Join(t.TempDir(), "go.db")
	s, err := store.OpenSQL(db)
	if err != nil {
		t.Fatal(err)
	}
	reg := func(name, uri string, meta ...string) { mustRegister(t, s, name, uri, meta...) }
	reg("Pyro.NameServer", "PYRO:Pyro.NameServer@localhost:9090", "class:Pyro4.naming.NameServer")
	reg("app.printer", "PYRO:obj_1@localhost:5000", "printer", "floor:1")
	reg("app.copier", "PYRO:obj_3@./u:/tmp/sock", "printer", "scanner", "floor:2")
	reg("ünïcode.☃", "PYRONAME:elsewhere@nshost:9090", "☃")
	reg("replaced", "PYRO:old@h:1", "old")
	reg("replaced", "PYRO:new@h:2", "new")
	reg("retagged", "PYRO:r@h:1", "a")
	if err := s.SetMetadata(ctx, "retagged", []string{"c", "b"}); err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		reg(fmt.Sprintf("bulk.%02d", i), fmt.Sprintf("PYRO:b%d@h:%d", i, 1000+i), "bulk", fmt.Sprintf("n%d", i%3))
	}
	if _, err := s.Remove(ctx, "bulk.00"); err != nil {
		t.Fatal(err)
	}
	if n, err := s.RemoveMatching(ctx, store.Filter{Regex: `bulk\.2`}); n != 10 || err != nil {
		t.Fatalf("RemoveMatching = %d, %v", n, err)
	}
	want, err := s.List(ctx, store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	wantAll, _ := s.List(ctx, store.Filter{MetadataAll: []string{"bulk", "n1"}})
	wantAny, _ := s.List(ctx, store.Filter{MetadataAny: []string{"scanner", "b"}})
	// Pyro4 reads the file while Go still has it open.
	out := runPy(t, db, `
json.dump({
    "all": dump(storage.everything(return_metadata=True)),
    "meta_all": dump(ns.list(metadata_all=["bulk", "n1"], return_metadata=True)),
    "meta_any": dump(ns.list(metadata_any=["scanner", "b"], return_metadata=True)),
    "lookup": [str(ns.lookup("app.copier")), sorted(ns.lookup("app.copier", return_metadata=True)[1])],
    "count": ns.count(),
}, sys.stdout)
ns.register("from.python", "PYRO:py@h:1", metadata=["snake"])
ns.remove(prefix="bulk.1")
`)
	var py struct {
		All     pyEntries `json:"all"`
		MetaAll pyEntries `json:"meta_all"`
		MetaAny pyEntries `json:"meta_any"`
		Lookup  []any     `json:"lookup"`
		Count   int       `json:"count"`
	}
	if err := json.Unmarshal(out, &py); err != nil {
		t.Fatal(err)
	}
	sameEntries(t, "everything", py.All.entries(), want)
	sameEntries(t, "metadata_all", py.MetaAll.entries(), wantAll)
	sameEntries(t, "metadata_any", py.MetaAny.entries(), wantAny)
	if py.Count != len(want) || fmt.Sprint(py.Lookup) != "[PYRO:obj_3@./u:/tmp/sock [floor:2 printer scanner]]" {
		t.Errorf("Pyro4 count %d lookup %v", py.Count, py.Lookup)
	}
	// Go, still open, sees what Pyro4 just wrote.
	e, err := s.Lookup(ctx, "from.python")
	if err != nil || e.URI != "PYRO:py@h:1" || !slices.Equal(e.Metadata, []string{"snake"}) {
		t.Errorf("Lookup of Pyro4's entry = %+v, %v", e, err)
	}
	if got, _ := s.List(ctx, store.Filter{Prefix: "bulk.1"}); len(got) != 0 {
		t.Errorf("Pyro4's removal not seen: %q", names(got))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// After Close, the file alone (no -wal left behind) holds everything.
	if _, err := os.Stat(db + "-wal"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("WAL file left after Close: %v", err)
	}
	out = runPy(t, db, `json.dump(ns.count(), sys.stdout)`)
	if n, _ := strconv.Atoi(string(out)); n != len(want)+1-10 {
		t.Errorf("Pyro4 counts %s entries after reopening, want %d", out, len(want)+1-10)
	}
}

func TestOpenSQLRefusesForeignFiles(t *testing.T) {
	dir := t.TempDir()
	random := make([]byte, 8192)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range random {
		random[i] = byte(r.Uint32())
	}
	for name, content := range map[string][]byte{
		"text":   []byte("PYRO:obj@localhost:9090\nthis is not a database\n"),
		"random": random,
		"header": append([]byte("SQLite format 3\x00"), random[:4000]...),
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, content, 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := store.OpenSQL(path)
		if !errors.Is(err, store.ErrNotDatabase) {
			t.Errorf("OpenSQL(%s file) = %v, want ErrNotDatabase", name, err)
			if s != nil {
				s.Close()
			}
			continue
		}
		t.Logf("%s file: %v", name, err)
		if !strings.Contains(err.Error(), path) {
			t.Errorf("error does not name the file: %v", err)
		}
		if after, _ := os.ReadFile(path); !bytes.Equal(after, content) {
			t.Errorf("OpenSQL changed the %s file", name)
		}
	}

	// A SQLite database with a pyro_names table of another shape.
	other := filepath.Join(dir, "other.db")
	pytest.Run(t, `
import sqlite3, sys
db = sqlite3.connect(sys.argv[1] if len(sys.argv) > 1 else sys.stdin.readline().strip())
db.execute("CREATE TABLE pyro_names (key text, value text)")
db.commit()
`, []byte(other+"\n"))
	if _, err := store.OpenSQL(other); !errors.Is(err, store.ErrNotDatabase) {
		t.Errorf("OpenSQL(table of another shape) = %v, want ErrNotDatabase", err)
	}

	for _, p := range []string{"", ":memory:"} {
		if _, err := store.OpenSQL(p); !errors.Is(err, store.ErrInvalidPath) {
			t.Errorf("OpenSQL(%q) = %v, want ErrInvalidPath", p, err)
		}
	}
	if _, err := store.OpenSQL(filepath.Join(dir, "missing", "dir", "x.db")); err == nil {
		t.Error("OpenSQL in a missing directory succeeded")
	}
	// Odd characters in the file name stay in the file name.
	odd := filepath.Join(dir, "we?ird#na%20me:memory:.db")
	s, err := store.OpenSQL(odd)
	if err != nil {
		t.Fatal(err)
	}
	mustRegister(t, s, "x", "PYRO:x@h:1")
	s.Close()
	if _, err := os.Stat(odd); err != nil {
		t.Errorf("database not at its odd name: %v", err)
	}
}

// TestOpenSQLMigratesOldPyro4File opens a file from a Pyro4 version before metadata (a single
// table) and checks the upgrade, which Pyro4 then reads.
func TestOpenSQLMigratesOldPyro4File(t *testing.T) {
	db := filepath.Join(t.TempDir(), "old.db")
	pytest.Run(t, `
import sqlite3, sys
db = sqlite3.connect(sys.stdin.readline().strip())
db.execute("CREATE TABLE pyro_names (id integer PRIMARY KEY, name nvarchar NOT NULL UNIQUE, uri nvarchar NOT NULL)")
db.execute("INSERT INTO pyro_names(name, uri) VALUES ('old.one', 'PYRO:o1@h:1'), ('old.two', 'PYRO:o2@h:2')")
db.commit()
`, []byte(db+"\n"))
	s, err := store.OpenSQL(db)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := s.List(ctx, store.Filter{})
	sameEntries(t, "migrated", got, []store.Entry{{Name: "old.one", URI: "PYRO:o1@h:1"}, {Name: "old.two", URI: "PYRO:o2@h:2"}})
	if err := s.SetMetadata(ctx, "old.one", []string{"tag"}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	// New metadata moved old.one last, as Pyro4's set_metadata would have.
	out := runPy(t, db, `json.dump(dump(ns.list(return_metadata=True)), sys.stdout)`)
	if string(out) != `{"old.two": ["PYRO:o2@h:2", []], "old.one": ["PYRO:o1@h:1", ["tag"]]}` {
		t.Errorf("Pyro4 reads the migrated file as %s", out)
	}
}

// TestSQLDurableAfterKill registers names in a child process, kills it with SIGKILL in the
// middle, and checks that every registration the child saw acknowledged is in the file.
func TestSQLDurableAfterKill(t *testing.T) {
	if os.Getenv("STORE_TEST_CHILD_DB") != "" {
		t.Skip("only the child runs this")
	}
	db := filepath.Join(t.TempDir(), "kill.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperRegisterForever$")
	cmd.Env = append(os.Environ(), "STORE_TEST_CHILD_DB="+db)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := -1
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if n, ok := strings.CutPrefix(sc.Text(), "ack "); ok {
			acked, _ = strconv.Atoi(n)
			if acked >= 150 {
				break
			}
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	if acked < 150 {
		t.Fatalf("child acknowledged only %d registrations", acked)
	}
	s, err := store.OpenSQL(db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := 0; i <= acked; i++ {
		if _, err := s.Lookup(ctx, fmt.Sprintf("durable.%05d", i)); err != nil {
			t.Fatalf("acknowledged registration %d lost: %v", i, err)
		}
	}
}

// TestHelperRegisterForever is the child of TestSQLDurableAfterKill.
func TestHelperRegisterForever(t *testing.T) {
	db := os.Getenv("STORE_TEST_CHILD_DB")
	if db == "" {
		t.Skip("run by TestSQLDurableAfterKill")
	}
	s, err := store.OpenSQL(db)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		if err := s.Register(ctx, fmt.Sprintf("durable.%05d", i), "PYRO:d@h:1", []string{"t"}, true); err != nil {
			t.Fatal(err)
		}
		fmt.Printf("ack %d\n", i)
	}
}
