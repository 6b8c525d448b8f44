package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"
)

func openTestSQL(t *testing.T) (*SQL, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "group.db")
	s, err := OpenSQL(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

// holdWriter queues a write that blocks the writer goroutine until the returned function is
// called, and waits until the writer is inside it. It returns the write's outcome channel.
func holdWriter(t *testing.T, s *SQL) (release func(), result <-chan error) {
	t.Helper()
	inside, gate := make(chan struct{}), make(chan struct{})
	res := make(chan error, 1)
	go func() {
		res <- s.write(context.Background(), func(ctx context.Context, tx *sql.Tx) error {
			close(inside)
			<-gate
			return nil
		})
	}()
	<-inside
	return sync.OnceFunc(func() { close(gate) }), res
}

// waitQueued waits until n writes are queued behind the writer.
func waitQueued(t *testing.T, s *SQL, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s.mu.Lock()
		q := len(s.queue)
		s.mu.Unlock()
		if q == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d writes queued, want %d", q, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestGroupCommitIsolatesFailures queues writes that succeed and writes that fail behind a
// busy writer, so that one transaction applies them all, and checks that each caller gets its
// own outcome and that only the failed writes are undone.
func TestGroupCommitIsolatesFailures(t *testing.T) {
	s, _ := openTestSQL(t)
	ctx := context.Background()
	if err := s.Register(ctx, "taken", "PYRO:old@h:1", []string{"old"}, false); err != nil {
		t.Fatal(err)
	}
	release, held := holdWriter(t, s)
	defer release()
	before := s.commits.Load()

	canceled, cancel := context.WithCancel(ctx)
	defer cancel()
	selfCanceled, selfCancel := context.WithCancel(ctx)
	defer selfCancel()
	ops := []struct {
		name string
		do   func() error
		want error
	}{
		{"register a", func() error { return s.Register(ctx, "a", "PYRO:a@h:1", []string{"x"}, true) }, nil},
		{"safe register taken", func() error { return s.Register(ctx, "taken", "PYRO:new@h:1", []string{"new"}, true) }, ErrExists},
		{"canceled while queued", func() error { return s.Register(canceled, "c", "PYRO:c@h:1", nil, false) }, context.Canceled},
		{"set metadata of unknown", func() error { return s.SetMetadata(ctx, "nope", []string{"t"}) }, ErrNotFound},
		// Canceled during its own write: what it did is undone.
		{"canceled while applied", func() error {
			return s.write(selfCanceled, func(ctx context.Context, tx *sql.Tx) error {
				if _, err := tx.ExecContext(ctx, `INSERT INTO pyro_names(name, uri) VALUES ('undone', 'PYRO:u@h:1')`); err != nil {
					return err
				}
				selfCancel()
				return nil
			})
		}, context.Canceled},
		{"register b", func() error { return s.Register(ctx, "b", "PYRO:b@h:1", nil, false) }, nil},
		{"retag a", func() error { return s.SetMetadata(ctx, "a", []string{"y"}) }, nil},
	}
	results := make([]chan error, len(ops))
	for i, op := range ops {
		results[i] = make(chan error, 1)
		go func() { results[i] <- op.do() }()
		// One at a time, so that the queue holds them in this order.
		waitQueued(t, s, i+1)
	}
	cancel()
	release()
	if err := <-held; err != nil {
		t.Fatalf("held write: %v", err)
	}
	for i, op := range ops {
		if err := <-results[i]; !errors.Is(err, op.want) || (op.want == nil && err != nil) {
			t.Errorf("%s: %v, want %v", op.name, err, op.want)
		}
	}
	if n := s.commits.Load() - before; n != 2 {
		t.Errorf("%d transactions committed, want 2 (the held write, then the group)", n)
	}
	if e, err := s.Lookup(ctx, "a"); err != nil || e.Metadata[0] != "y" {
		t.Errorf("a = %+v, %v; want retagged y (the group applies in queue order)", e, err)
	}
	if _, err := s.Lookup(ctx, "b"); err != nil {
		t.Errorf("b: %v", err)
	}
	if e, _ := s.Lookup(ctx, "taken"); e.URI != "PYRO:old@h:1" || e.Metadata[0] != "old" {
		t.Errorf("refused register changed taken: %+v", e)
	}
	for _, name := range []string{"c", "undone", "nope"} {
		if _, err := s.Lookup(ctx, name); !errors.Is(err, ErrNotFound) {
			t.Errorf("failed write left %s behind: %v", name, err)
		}
	}
}

// TestGroupCommitBatches checks that concurrent writers share commits.
func TestGroupCommitBatches(t *testing.T) {
	s, _ := openTestSQL(t)
	const writers, each = 32, 10
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if err := s.Register(context.Background(), fmt.Sprintf("w%d.%d", w, i), "PYRO:x@h:1", nil, true); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	commits := s.commits.Load()
	t.Logf("%d writes in %d commits", writers*each, commits)
	if commits >= writers*each {
		t.Errorf("%d writes took %d commits: no grouping", writers*each, commits)
	}
	if n, _ := s.Count(context.Background()); n != writers*each {
		t.Errorf("Count = %d, want %d", n, writers*each)
	}
}

// TestCloseFlushesQueuedWrites closes the store while writes wait behind a busy writer: Close
// waits, the queued writes are committed, and writes that come after Close get ErrClosed.
func TestCloseFlushesQueuedWrites(t *testing.T) {
	s, path := openTestSQL(t)
	release, held := holdWriter(t, s)
	defer release()
	const queued = 5
	results := make(chan error, queued)
	for i := range queued {
		go func() { results <- s.Register(context.Background(), fmt.Sprint("q", i), "PYRO:q@h:1", nil, false) }()
	}
	waitQueued(t, s, queued)
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	// Close stops new writes at once, but returns only once the queue is flushed.
	deadline := time.Now().Add(10 * time.Second)
	for {
		s.mu.Lock()
		closing := s.closing
		s.mu.Unlock()
		if closing {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Close did not begin")
		}
		time.Sleep(time.Millisecond)
	}
	if err := s.Register(context.Background(), "late", "PYRO:l@h:1", nil, false); !errors.Is(err, ErrClosed) {
		t.Fatalf("write after Close began = %v, want ErrClosed", err)
	}
	select {
	case err := <-closed:
		t.Fatalf("Close returned %v before the queued writes were committed", err)
	case <-time.After(50 * time.Millisecond):
	}
	release()
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	for range queued {
		if err := <-results; err != nil {
			t.Errorf("queued write: %v", err)
		}
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	s2, err := OpenSQL(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if n, _ := s2.Count(context.Background()); n != queued {
		t.Errorf("after reopening, %d entries, want the %d flushed", n, queued)
	}
	if _, err := s2.Lookup(context.Background(), "late"); !errors.Is(err, ErrNotFound) {
		t.Errorf("write refused with ErrClosed was stored: %v", err)
	}
}

// TestCloseLeavesNoGoroutines closes stores in the middle of concurrent writes and checks that
// the writer (and database/sql's helpers) are gone afterwards, and that every acknowledged
// write is in the file.
func TestCloseLeavesNoGoroutines(t *testing.T) {
	base := runtime.NumGoroutine()
	dir := t.TempDir()
	for round := range 3 {
		path := filepath.Join(dir, fmt.Sprint(round, ".db"))
		s, err := OpenSQL(path)
		if err != nil {
			t.Fatal(err)
		}
		var (
			wg    sync.WaitGroup
			mu    sync.Mutex
			acked []string
		)
		for w := range 8 {
			wg.Go(func() {
				for i := 0; ; i++ {
					name := fmt.Sprintf("w%d.%d", w, i)
					err := s.Register(context.Background(), name, "PYRO:x@h:1", nil, false)
					if errors.Is(err, ErrClosed) {
						return
					}
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					acked = append(acked, name)
					mu.Unlock()
				}
			})
		}
		time.Sleep(30 * time.Millisecond)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		s, err = OpenSQL(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range acked {
			if _, err := s.Lookup(context.Background(), name); err != nil {
				t.Fatalf("acknowledged %s lost: %v", name, err)
			}
		}
		t.Logf("round %d: %d writes acknowledged", round, len(acked))
		s.Close()
	}
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines after Close, %d before:\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}
