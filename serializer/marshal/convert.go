package marshal

import (
	"fmt"

	"github.com/gopyro/pyro/serializer"
)

// fromGo converts a Go value that is not in canonical form.
func fromGo(v any) (any, error) {
	return nil, fmt.Errorf("marshal: Go type %T has no Python form: %w", v, serializer.ErrUnsupported)
}
