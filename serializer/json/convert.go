package json

import (
	"fmt"

	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

// fromGo converts a Go value that is not in canonical form. The error wraps both the
// *pyval.ConvertError, which says where the value sits, and serializer.ErrUnsupported.
func fromGo(v any) (any, error) {
	c, err := pyval.FromGo(v)
	if err != nil {
		return nil, fmt.Errorf("json: %w: %w", err, serializer.ErrUnsupported)
	}
	return c, nil
}
