package main

import (
	"strings"
	"testing"
)

// TestNoEtcdServerLinked: `pyro ns -s etcd:` links etcd's client only; the embedded etcd
// server the tests run (internal/etcdtest) stays out of the command.
func TestNoEtcdServerLinked(t *testing.T) {
	client := false
	for _, p := range goList(t) {
		switch {
		case strings.HasPrefix(p, "go.etcd.io/etcd/server/"), p == "github.com/gopyro/pyro/internal/etcdtest":
			t.Errorf("go list -deps ./cmd/pyro includes %s", p)
		case p == "go.etcd.io/etcd/client/v3":
			client = true
		}
	}
	if !client {
		t.Error("./cmd/pyro does not link go.etcd.io/etcd/client/v3: no etcd storage")
	}
}
