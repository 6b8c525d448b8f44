package benchkit_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/gopyro/pyro/internal/benchkit"
	"github.com/gopyro/pyro/internal/pytest"
)

// Payload rows move their bytes both ways with each codec beside a raw row of their size;
// batch rows count the calls inside their batches.
func TestSuitePayloadAndBatchRows(t *testing.T) {
	rep, err := benchkit.Run(context.Background(), benchkit.Options{Callers: []int{1}, Calls: 20, Rounds: 1,
		Payloads: []int{1 << 10, 64 << 10}, Batch: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{1 << 10, 64 << 10} {
		for _, dir := range []benchkit.Direction{benchkit.Result, benchkit.Argument} {
			raw := benchkit.PayloadRow(dir, size, "raw TCP")
			for _, who := range []string{"raw TCP", "Go → Go, msgpack", "Go → Go, marshal", "Go → Go, serpent"} {
				row, ok := rep.Find(benchkit.PayloadRow(dir, size, who), 1)
				if !ok {
					t.Fatalf("no row %q", benchkit.PayloadRow(dir, size, who))
				}
				if row.Total.Calls != 20 || row.Bytes != size || row.Base != raw {
					t.Errorf("%s: %d calls, %d bytes, base %q", row.Name, row.Total.Calls, row.Bytes, row.Base)
				}
			}
		}
	}
	for _, name := range []string{benchkit.RowGoBatch, benchkit.RowNetRPCBatch} {
		if row, ok := rep.Find(name, 1); !ok || row.Total.Calls != 20 {
			t.Errorf("batch row %s: %+v", name, row)
		}
	}
	var out bytes.Buffer
	if err := rep.WriteTable(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"MB/s", "bytes argument 64 KB: Go → Go, serpent", benchkit.RowGoBatch} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
}

// A Python daemon refuses callers beyond its 40 threads: the row says so and the others run,
// the multiplexed daemon's among them.
func TestSuitePythonRefused(t *testing.T) {
	pytest.Require(t)
	rep, err := benchkit.Run(context.Background(), benchkit.Options{Callers: []int{48}, Calls: 96, Rounds: 1,
		Python: true, NoPayloads: true, Batch: -1})
	if err != nil {
		t.Fatal(err)
	}
	row, ok := rep.Find(benchkit.RowPyPy, 48)
	if !ok || !strings.Contains(row.Refused, "no free workers") {
		t.Fatalf("Python daemon row with 48 callers: %+v", row)
	}
	for _, name := range []string{benchkit.RowPyGo, benchkit.RowPyPyMux, benchkit.RowGoPyMux} {
		if row, ok := rep.Find(name, 48); !ok || row.Total.Calls != 96 || row.Total.Latency.Count() != 96 {
			t.Errorf("%s: %+v", name, row)
		}
	}
	var out bytes.Buffer
	if err := rep.WriteTable(&out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "refused") {
		t.Errorf("table:\n%s", out.String())
	}
}
