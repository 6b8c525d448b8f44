package msgpack

import (
	"fmt"

	"github.com/gopyro/pyro/serializer"
)

// fromGo converts a non-canonical Go value before encoding.
func fromGo(v any) (any, error) {
	return nil, fmt.Errorf("msgpack: cannot encode Go %T: %w", v, serializer.ErrUnsupported)
}
