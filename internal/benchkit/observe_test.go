package benchkit_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/gopyro/pyro/internal/benchkit"
)

// The observed rows call through observed proxies and daemons: tracing every call makes
// spans, so its row allocates more per call than the unobserved Go row.
func TestSuiteObservedRows(t *testing.T) {
	rep, err := benchkit.Run(context.Background(), benchkit.Options{Callers: []int{2}, Calls: 400, Rounds: 2,
		NoPayloads: true, Batch: -1, Observe: true})
	if err != nil {
		t.Fatal(err)
	}
	goRow, ok := rep.Find(benchkit.RowGoGo, 2)
	if !ok {
		t.Fatal("no Go row")
	}
	for _, name := range []string{benchkit.RowGoMetrics, benchkit.RowGoMetricsDaemon, benchkit.RowGoTraced} {
		row, ok := rep.Find(name, 2)
		if !ok {
			t.Fatalf("no row %s", name)
		}
		if row.Total.Calls != 400 || row.Base != benchkit.RowGoGo {
			t.Errorf("%s: %d calls, base %q", name, row.Total.Calls, row.Base)
		}
	}
	traced, _ := rep.Find(benchkit.RowGoTraced, 2)
	if traced.Total.AllocsPerCall() <= goRow.Total.AllocsPerCall()+5 {
		t.Errorf("traced calls allocate %.1f times, unobserved %.1f: are spans made?", traced.Total.AllocsPerCall(), goRow.Total.AllocsPerCall())
	}
	var out bytes.Buffer
	if err := rep.WriteTable(&out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), benchkit.RowGoTraced) {
		t.Errorf("table lacks the traced row:\n%s", out.String())
	}
}
