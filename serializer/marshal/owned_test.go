package marshal

import (
	"testing"

	"github.com/gopyro/pyro/internal/codectest"
)

// Owned data keeps its large bytes values in place; small ones, and anything Unmarshal
// decodes, are copies.
func TestUnmarshalOwnedAliases(t *testing.T) { codectest.OwnedAliases(t, Codec{}) }
