package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// The tables are Pyro4's (naming_storage.SqlStorage), column for column, so that Pyro4 can open
// a file this package wrote and the other way round. The indexes are additions Pyro4 ignores:
// without the one on pyro_metadata(object), every lookup and every delete (through the foreign
// key check) scans all the tags.
const (
	createNames = `CREATE TABLE pyro_names (
	id integer PRIMARY KEY,
	name nvarchar NOT NULL UNIQUE,
	uri nvarchar NOT NULL
)`
	createMetadata = `CREATE TABLE pyro_metadata (
	object integer NOT NULL,
	metadata nvarchar NOT NULL,
	FOREIGN KEY(object) REFERENCES pyro_names(id)
)`
	createIndexes = `CREATE INDEX IF NOT EXISTS pyro_metadata_object ON pyro_metadata(object);
CREATE INDEX IF NOT EXISTS pyro_metadata_metadata ON pyro_metadata(metadata)`
)

// errForeignLayout marks a database whose Pyro tables lack Pyro4's columns.
var errForeignLayout = errors.New("pyro tables of another layout")

// maxConns bounds the pool: enough readers for a busy name server, without one SQLite page
// cache per goroutine.
const maxConns = 8

// SQL is a durable Store in a SQLite file with Pyro4's table layout, Pyro4's "sql:FILE"
// storage. Every Register, SetMetadata and removal is committed (and synced to disk) before it
// returns. Reads run in parallel.
//
// List gives the order of Pyro4's SqlStorage: by row id, which is registration order. As in
// Pyro4, Register of an existing name and SetMetadata delete its row and insert a new one, so
// the name lists last afterwards; a regex's matches come in name order.
//
// Writes go through one writer goroutine that commits them in groups: writes that arrive while
// a commit is under way wait, and the next transaction applies them all, each in its own
// savepoint, so one sync makes a whole group durable and a write that fails is undone alone.
// A write's context is checked before and after it is applied; once applied, the write stands.
//
// The file is put in WAL journal mode, which Python's sqlite3 (and so Pyro4) reads and writes
// without trouble, but which needs a local file system. Other processes may use the file at
// the same time: each statement sees their committed changes.
type SQL struct {
	db     *sql.DB
	closed atomic.Bool
	lookup *sql.Stmt

	mu      sync.Mutex
	queue   []*writeReq   // writes waiting for the next transaction, in arrival order
	closing bool          // no more writes are queued; the writer stops when the queue is empty
	wake    chan struct{} // one slot: there is something in the queue, or closing is set
	stopped chan struct{} // closed when the writer goroutine returns

	closeOnce sync.Once
	closeErr  error
	commits   atomic.Int64 // transactions committed by the writer, for tests
}

// writeReq is one queued write; the writer sends its outcome on done.
type writeReq struct {
	ctx  context.Context
	fn   func(context.Context, *sql.Tx) error
	done chan error
}

// maxBatch bounds the writes one transaction applies, so that a long queue still commits,
// and answers its first callers, in steps.
const maxBatch = 256

var _ Store = (*SQL)(nil)

// OpenSQL opens or creates the SQLite name server database at path, creating Pyro4's tables if
// they are missing and upgrading a pre-metadata Pyro4 file the way Pyro4 does. A file that is
// not a SQLite database, or whose Pyro tables have other columns, gives an error wrapping
// ErrNotDatabase and is left untouched. ":memory:" is refused, as Pyro4 refuses it: use
// NewMemory.
func OpenSQL(path string) (*SQL, error) {
	if path == "" || path == ":memory:" {
		return nil, fmt.Errorf("%w %q: give a file name (NewMemory makes a volatile store)", ErrInvalidPath, path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %w", ErrInvalidPath, path, err)
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Set("_txlock", "immediate")
	// A file: URI lets the name hold any character: '%', '?' and '#' are escaped.
	dsn := "file:" + (&url.URL{Path: abs}).EscapedPath() + "?" + q.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	s := &SQL{db: db, wake: make(chan struct{}, 1), stopped: make(chan struct{})}
	if err := s.init(context.Background()); err != nil {
		db.Close()
		if isNotADB(err) || errors.Is(err, errForeignLayout) {
			return nil, fmt.Errorf("%w: %s: %w", ErrNotDatabase, path, err)
		}
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	go s.writer()
	return s, nil
}

func isNotADB(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_NOTADB
}

// init creates or checks the schema and prepares the hot statements.
func (s *SQL) init(ctx context.Context) error {
	// Reading the schema first means a foreign file fails before anything is written to it.
	var names, meta int
	err := s.db.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name='pyro_names'),
		(SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name='pyro_metadata')`).Scan(&names, &meta)
	if err != nil {
		return err
	}
	err = inTx(ctx, s.db, func(tx *sql.Tx) error {
		// A same-named table of another shape is not ours to use, or to migrate.
		if names > 0 {
			if _, err := tx.ExecContext(ctx, `SELECT name, uri FROM pyro_names LIMIT 0`); err != nil {
				return fmt.Errorf("%w: %w", errForeignLayout, err)
			}
		}
		switch {
		case names == 0:
			if _, err := tx.ExecContext(ctx, createNames); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, createMetadata); err != nil {
				return err
			}
		case meta == 0:
			// A Pyro4 file from before metadata existed: move the names into the new layout.
			for _, stmt := range []string{
				`ALTER TABLE pyro_names RENAME TO pyro_names_old`,
				createNames,
				createMetadata,
				`INSERT INTO pyro_names(name, uri) SELECT name, uri FROM pyro_names_old`,
				`DROP TABLE pyro_names_old`,
			} {
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return err
				}
			}
		}
		for _, check := range []string{
			`SELECT id, name, uri FROM pyro_names LIMIT 0`,
			`SELECT object, metadata FROM pyro_metadata LIMIT 0`,
		} {
			if _, err := tx.ExecContext(ctx, check); err != nil {
				return fmt.Errorf("%w: %w", errForeignLayout, err)
			}
		}
		_, err := tx.ExecContext(ctx, createIndexes)
		return err
	})
	if err != nil {
		return err
	}
	s.lookup, err = s.db.PrepareContext(ctx, `SELECT n.uri, m.metadata FROM pyro_names n
		LEFT JOIN pyro_metadata m ON m.object = n.id WHERE n.name = ?`)
	return err
}

// inTx runs fn in an immediate transaction and commits.
func inTx(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// write queues fn for the writer goroutine and returns its outcome once the transaction that
// holds it has committed (or fn's error, fn's changes undone).
func (s *SQL) write(ctx context.Context, fn func(context.Context, *sql.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := &writeReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return ErrClosed
	}
	s.queue = append(s.queue, r)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default: // the writer is already due to look at the queue
	}
	// Not abandoned on ctx.Done: the write may be in a transaction already, and its caller
	// must learn whether it was committed. The wait is at most one transaction.
	return <-r.done
}

// writer applies the queued writes, a group per transaction, until Close.
func (s *SQL) writer() {
	defer close(s.stopped)
	for {
		s.mu.Lock()
		batch := s.queue
		if len(batch) > maxBatch {
			batch, s.queue = batch[:maxBatch:maxBatch], batch[maxBatch:]
		} else {
			s.queue = nil
		}
		closing := s.closing
		s.mu.Unlock()
		if len(batch) > 0 {
			s.commit(batch)
			continue
		}
		if closing {
			return
		}
		<-s.wake
	}
}

// commit applies batch in one transaction, each write in a savepoint, and answers every
// caller after the commit.
func (s *SQL) commit(batch []*writeReq) {
	errs := make([]error, len(batch))
	fail := func(err error) {
		for _, r := range batch {
			r.done <- err
		}
	}
	tx, err := s.db.BeginTx(context.Background(), nil)
	if err != nil {
		fail(err)
		return
	}
	for i, r := range batch {
		errs[i], err = apply(tx, r)
		if err != nil {
			// The transaction itself broke: nothing in it will be committed.
			tx.Rollback()
			fail(err)
			return
		}
	}
	if err := tx.Commit(); err != nil {
		fail(err)
		return
	}
	s.commits.Add(1)
	for i, r := range batch {
		r.done <- errs[i]
	}
}

// apply runs one write in a savepoint of tx, undoing it if it fails or its context ends.
// writeErr is the write's own outcome; txErr means tx can no longer be used.
func apply(tx *sql.Tx, r *writeReq) (writeErr, txErr error) {
	// The statements run to the end whatever r.ctx does: interrupting one can abort the
	// whole transaction, and with it the other callers' writes.
	ctx := context.WithoutCancel(r.ctx)
	if err := r.ctx.Err(); err != nil {
		return err, nil
	}
	if _, err := tx.ExecContext(ctx, `SAVEPOINT write`); err != nil {
		return nil, err
	}
	writeErr = r.fn(ctx, tx)
	if writeErr == nil {
		writeErr = r.ctx.Err()
	}
	if writeErr != nil {
		if _, err := tx.ExecContext(ctx, `ROLLBACK TO write`); err != nil {
			return nil, err
		}
	}
	if _, err := tx.ExecContext(ctx, `RELEASE write`); err != nil {
		return nil, err
	}
	return writeErr, nil
}

// Register implements Store.
func (s *SQL) Register(ctx context.Context, name, uri string, metadata []string, safe bool) error {
	if err := checkText(name, uri, metadata); err != nil {
		return err
	}
	tags := normalizeTags(metadata)
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		id, found, err := idOf(ctx, tx, name)
		if err != nil {
			return err
		}
		if found && safe {
			return exists(name)
		}
		return replace(ctx, tx, id, found, name, uri, tags)
	})
}

// replace writes a registration as Pyro4's SqlStorage does: an existing row is deleted and the
// name inserted anew, so that it gets a new, highest id and lists last.
func replace(ctx context.Context, tx *sql.Tx, oldID int64, found bool, name, uri string, tags []string) error {
	if found {
		if err := deleteIDs(ctx, tx, []int64{oldID}); err != nil {
			return err
		}
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO pyro_names(name, uri) VALUES (?, ?)`, name, uri)
	if err != nil {
		return err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return err
	}
	return insertTags(ctx, tx, id, tags)
}

func idOf(ctx context.Context, tx *sql.Tx, name string) (id int64, found bool, err error) {
	err = tx.QueryRowContext(ctx, `SELECT id FROM pyro_names WHERE name = ?`, name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return id, err == nil, err
}

func insertTags(ctx context.Context, tx *sql.Tx, id int64, tags []string) error {
	if len(tags) == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO pyro_metadata(object, metadata) SELECT ?, value FROM json_each(?)`,
		id, jsonArray(tags))
	return err
}

// jsonArray passes a list of any length as a single parameter, for json_each.
func jsonArray[T any](v []T) string {
	b, _ := json.Marshal(v) // strings and ints cannot fail
	return string(b)
}

// Lookup implements Store.
func (s *SQL) Lookup(ctx context.Context, name string) (Entry, error) {
	if s.closed.Load() {
		return Entry{}, ErrClosed
	}
	rows, err := s.lookup.QueryContext(ctx, name)
	if err != nil {
		return Entry{}, s.closedOr(err)
	}
	defer rows.Close()
	e := Entry{Name: name}
	found := false
	for rows.Next() {
		var tag sql.NullString
		if err := rows.Scan(&e.URI, &tag); err != nil {
			return Entry{}, err
		}
		found = true
		if tag.Valid {
			e.Metadata = append(e.Metadata, tag.String)
		}
	}
	if err := rows.Err(); err != nil {
		return Entry{}, err
	}
	if !found {
		return Entry{}, notFound(name)
	}
	e.Metadata = normalizeTags(e.Metadata)
	return e, nil
}

// closedOr turns database/sql's complaint about a closed pool into ErrClosed.
func (s *SQL) closedOr(err error) error {
	if s.closed.Load() {
		return ErrClosed
	}
	return err
}

// SetMetadata implements Store.
func (s *SQL) SetMetadata(ctx context.Context, name string, metadata []string) error {
	if err := checkText("", "", metadata); err != nil {
		return err
	}
	tags := normalizeTags(metadata)
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var (
			id  int64
			uri string
		)
		err := tx.QueryRowContext(ctx, `SELECT id, uri FROM pyro_names WHERE name = ?`, name).Scan(&id, &uri)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound(name)
		}
		if err != nil {
			return err
		}
		return replace(ctx, tx, id, true, name, uri, tags)
	})
}

// Remove implements Store.
func (s *SQL) Remove(ctx context.Context, name string) (bool, error) {
	var removed bool
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		id, found, err := idOf(ctx, tx, name)
		if err != nil || !found {
			return err
		}
		removed = true
		return deleteIDs(ctx, tx, []int64{id})
	})
	return removed && err == nil, err
}

// deleteIDs removes entries, tags first as the foreign key demands.
func deleteIDs(ctx context.Context, tx *sql.Tx, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	list := jsonArray(ids)
	if _, err := tx.ExecContext(ctx, `DELETE FROM pyro_metadata WHERE object IN (SELECT value FROM json_each(?))`, list); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM pyro_names WHERE id IN (SELECT value FROM json_each(?))`, list)
	return err
}

// RemoveMatching implements Store.
func (s *SQL) RemoveMatching(ctx context.Context, f Filter, keep ...string) (int, error) {
	m, err := compileFilter(f)
	if err != nil {
		return 0, err
	}
	if m.empty() || m.none {
		return 0, nil
	}
	var n int
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var ids []int64
		err := scan(ctx, tx, m, func(id int64, e Entry) {
			if !slices.Contains(keep, e.Name) {
				ids = append(ids, id)
			}
		})
		if err != nil {
			return err
		}
		n = len(ids)
		return deleteIDs(ctx, tx, ids)
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// List implements Store.
func (s *SQL) List(ctx context.Context, f Filter) ([]Entry, error) {
	m, err := compileFilter(f)
	if err != nil {
		return nil, err
	}
	if s.closed.Load() {
		return nil, ErrClosed
	}
	if m.none {
		return nil, nil
	}
	var out []Entry
	err = scan(ctx, s.db, m, func(_ int64, e Entry) { out = append(out, e) })
	if err != nil {
		return nil, s.closedOr(err)
	}
	return out, nil
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// scan calls fn for every entry m selects, in the order Pyro4's SqlStorage lists them: by id,
// which is registration order (a name registered again, or given new metadata, gets a new
// row), except for a regex, which Pyro4 matches against the names as SQLite reads them from
// the name index: in name order. SQLite's BINARY collation orders names as Go compares strings.
func scan(ctx context.Context, q querier, m *matcher, fn func(id int64, e Entry)) error {
	const sel = `SELECT n.id, n.name, n.uri, m.metadata FROM pyro_names n
		LEFT JOIN pyro_metadata m ON m.object = n.id `
	var (
		rows *sql.Rows
		err  error
	)
	switch {
	case m.prefix != "":
		// The names with a prefix are the ones from the prefix up to the first that lacks it;
		// the loop below stops there, so this reads only them, through the name index. They
		// are put in id order afterwards.
		rows, err = q.QueryContext(ctx, sel+`WHERE n.name >= ? ORDER BY n.name`, m.prefix)
	case m.hasRegex:
		// From the pattern's literal prefix on, if it has one; the loop stops at the first
		// name past it.
		rows, err = q.QueryContext(ctx, sel+`WHERE n.name >= ? ORDER BY n.name`, m.rePrefix)
	case m.all != nil:
		rows, err = q.QueryContext(ctx, sel+`WHERE n.id IN (SELECT object FROM pyro_metadata
			WHERE metadata IN (SELECT value FROM json_each(?))
			GROUP BY object HAVING COUNT(DISTINCT metadata) = ?) ORDER BY n.id`, jsonArray(m.all), len(m.all))
	case m.any != nil:
		rows, err = q.QueryContext(ctx, sel+`WHERE n.id IN (SELECT object FROM pyro_metadata
			WHERE metadata IN (SELECT value FROM json_each(?))) ORDER BY n.id`, jsonArray(m.any))
	default:
		rows, err = q.QueryContext(ctx, sel+`ORDER BY n.id`)
	}
	if err != nil {
		return err
	}
	defer rows.Close()
	type row struct {
		id int64
		e  Entry
	}
	var byName []row // a prefix's entries, to be put in id order
	var (
		cur    Entry
		curID  int64
		have   bool
		finish = func() {
			if !have || !m.matchName(cur.Name) {
				return
			}
			cur.Metadata = normalizeTags(cur.Metadata)
			if m.prefix != "" {
				byName = append(byName, row{curID, cur})
				return
			}
			fn(curID, cur)
		}
	)
	for rows.Next() {
		var (
			id   int64
			name string
			uri  string
			tag  sql.NullString
		)
		if err := rows.Scan(&id, &name, &uri, &tag); err != nil {
			return err
		}
		if !have || id != curID {
			finish()
			if p := m.rangePrefix(); p != "" && !strings.HasPrefix(name, p) {
				have = false
				break
			}
			cur, curID, have = Entry{Name: name, URI: uri}, id, true
		}
		if tag.Valid {
			cur.Metadata = append(cur.Metadata, tag.String)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	finish()
	slices.SortFunc(byName, func(a, b row) int { return cmp.Compare(a.id, b.id) })
	for _, r := range byName {
		fn(r.id, r.e)
	}
	return nil
}

// Count implements Store.
func (s *SQL) Count(ctx context.Context) (int, error) {
	if s.closed.Load() {
		return 0, ErrClosed
	}
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM pyro_names`).Scan(&n); err != nil {
		return 0, s.closedOr(err)
	}
	return n, nil
}

// Close implements Store. Writes already queued are committed first; writes that come later
// get ErrClosed.
func (s *SQL) Close() error {
	first := false
	s.closeOnce.Do(func() {
		first = true
		s.mu.Lock()
		s.closing = true
		s.mu.Unlock()
		select {
		case s.wake <- struct{}{}:
		default:
		}
		<-s.stopped
		s.closed.Store(true)
		s.lookup.Close()
		s.closeErr = s.db.Close()
	})
	if !first {
		return nil
	}
	return s.closeErr
}
