package msgpack

import (
	"errors"
	"fmt"

	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

// fromGo converts a non-canonical Go value (a struct, a map, a time.Time...) with
// pyval.FromGo before encoding. Its errors keep the *pyval.ConvertError and add the
// serializer sentinel: ErrLimit for cyclic or too deep values, ErrUnsupported otherwise.
func fromGo(v any) (any, error) {
	c, err := pyval.FromGo(v)
	if err == nil {
		return c, nil
	}
	sentinel := serializer.ErrUnsupported
	if errors.Is(err, pyval.ErrTooDeep) {
		sentinel = serializer.ErrLimit
	}
	return nil, fmt.Errorf("msgpack: %w: %w", err, sentinel)
}
