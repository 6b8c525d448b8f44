package nameserver_test

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/internal/pytest"
	"github.com/gopyro/pyro/naming/nameserver"
)

// nsMetadataExample is Pyro4's own ns-metadata example, run unchanged.
const nsMetadataExample = "/usr/share/doc/pyro4/examples/ns-metadata"

var (
	objIDRE    = regexp.MustCompile(`obj_[0-9a-f]+@localhost:\d+`)
	proxyAtRE  = regexp.MustCompile(`Proxy at 0x[0-9a-f]+`)
	metaListRE = regexp.MustCompile(`(?m)^   meta: (.*)$`)
)

// runNSMetadataExample runs the example's client against the name server at ns and returns
// what it printed, with object ids, ports and addresses masked and the tags of each "meta:"
// line sorted (pyro4-ns sends them in its own set order).
func runNSMetadataExample(t *testing.T, ns pyro.URI) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := pytest.Command(ctx, "example.py")
	cmd.Dir = nsMetadataExample
	cmd.Env = append(cmd.Env, "PYRO_NS_HOST="+ns.Host, "PYRO_NS_PORT="+strconv.Itoa(ns.Port), "PYTHONHASHSEED=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("example.py: %v\n%s", err, out)
	}
	return normaliseNSMetadata(string(out))
}

// normaliseNSMetadata masks what differs between any two runs of an ns-metadata example
// (object ids, addresses) and sorts each printed tag list, which comes from a set.
func normaliseNSMetadata(s string) string {
	s = objIDRE.ReplaceAllString(s, "OBJ")
	s = portRE.ReplaceAllString(s, "ADDR")
	s = proxyAtRE.ReplaceAllString(s, "Proxy at ADDR")
	return metaListRE.ReplaceAllStringFunc(s, func(line string) string {
		tags := strings.Split(metaListRE.FindStringSubmatch(line)[1], ", ")
		slices.Sort(tags)
		return "   meta: " + strings.Join(tags, ", ")
	})
}

// TestPyro4NSMetadataExample runs Pyro4's ns-metadata example client, unchanged, against
// pyro4-ns and against ours, with memory and with SQL storage, and compares what it prints:
// its listings come in the name server's order.
func TestPyro4NSMetadataExample(t *testing.T) {
	for _, storage := range []string{"memory", "sql"} {
		t.Run(storage, func(t *testing.T) {
			var pyArgs []string
			var cfg nameserver.Config
			if storage == "sql" {
				dir := t.TempDir()
				pyArgs = []string{"-s", "sql:" + dir + "/py.db"}
				cfg.Storage = "sql:" + dir + "/go.db"
			}
			pyNS, err := pyro.ParseURI(pytest.StartNameServer(t, pyArgs...))
			if err != nil {
				t.Fatal(err)
			}
			want := runNSMetadataExample(t, pyNS)
			got := runNSMetadataExample(t, startNS(t, cfg).URI())
			if got != want {
				t.Errorf("the ns-metadata example printed, against pyro4-ns:\n%s\nagainst ours:\n%s", want, got)
			}
			if !strings.Contains(want, "all FAST printers (after photoprinter upgrade):") {
				t.Errorf("the example did not run through:\n%s", want)
			}
		})
	}
}
