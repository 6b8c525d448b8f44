package gateway_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gopyro/pyro"
	"github.com/gopyro/pyro/gateway"
	"github.com/gopyro/pyro/internal/pytest"
)

// TestPyro4Objects: behind Python's pyro4-ns and Pyro4's echo server, which speak only Pyro4,
// the gateway falls back from Pyro5 to Pyro4 for both (Pyro's own gateways reach only their
// own protocol's objects).
func TestPyro4Objects(t *testing.T) {
	u, err := pyro.ParseURI(pytest.StartNameServer(t))
	if err != nil {
		t.Fatal(err)
	}
	ns := nsAddr{u.Host, u.Port}
	pytest.Start(t, ns.env(), "echoserver running", "-m", "Pyro4.test.echoserver", "-H", "127.0.0.1", "-n")
	base := startGoGateway(t, ns, gateway.Config{Expose: `test\.|Pyro\.`})

	if a := get(t, base+"pyro/test.echoserver/echo?message=from+Pyro4"); a.status != 200 || a.body != `"from Pyro4"` {
		t.Errorf("echo: %d %s", a.status, a.body)
	}
	a := get(t, base+"pyro/test.echoserver/error")
	var exc struct {
		Class      string   `json:"__class__"`
		Args       []string `json:"args"`
		Attributes struct {
			Traceback []string `json:"_pyroTraceback"`
		} `json:"attributes"`
	}
	if err := json.Unmarshal([]byte(a.body), &exc); err != nil || a.status != 500 || exc.Class != "builtins.ValueError" ||
		len(exc.Attributes.Traceback) == 0 || !strings.Contains(strings.Join(exc.Attributes.Traceback, ""), "ValueError") {
		t.Errorf("error: %d %s (%v)", a.status, a.body, err)
	}
	if a := get(t, base+"pyro/test.echoserver/$meta"); a.status != 200 || !strings.Contains(a.body, `"echo"`) || !strings.Contains(a.body, `"oneway": ["oneway_echo", "oneway_slow"]`) {
		t.Errorf("$meta: %d %s", a.status, a.body)
	}
	// Pyro4's name server spells its errors in Pyro4's namespace.
	if a := get(t, base+"pyro/test.nobody/x"); a.status != 404 || !strings.Contains(a.body, `"Pyro4.errors.NamingError"`) {
		t.Errorf("unknown name: %d %s", a.status, a.body)
	}
	if a := get(t, base+"api/names"); a.status != 200 || !strings.Contains(a.body, `"name": "test.echoserver"`) {
		t.Errorf("names: %d %s", a.status, a.body)
	}
}
