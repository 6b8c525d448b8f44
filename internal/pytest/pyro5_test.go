package pytest

import (
	"strings"
	"testing"
)

// Pyro5 is found from any package directory, runs with Pyro4's PYRO_* settings in the
// caller's environment (which it would refuse), and sees none of them.
func TestPyro5(t *testing.T) {
	t.Setenv("PYRO_HMAC_KEY", "secret")
	t.Setenv("PYRO_SERIALIZERS_ACCEPTED", "serpent")
	out := string(RunPyro5(t, nil, "-c", "import os, Pyro5.api; print([k for k in os.environ if k.startswith('PYRO_')], Pyro5.api.config.SERIALIZER)"))
	if strings.TrimSpace(out) != "[] serpent" {
		t.Fatalf("python said %q", out)
	}
	if v := Pyro5Version(t); !strings.HasPrefix(v, "5.") {
		t.Fatalf("version %q", v)
	}
	for _, kv := range Pyro5Env(t) {
		if strings.HasPrefix(kv, "PYRO_") {
			t.Fatalf("%s in the environment", kv)
		}
	}
}
