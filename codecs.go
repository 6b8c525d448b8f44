package pyro

// The four codecs Pyro4 peers speak register themselves on import.
import (
	_ "github.com/gopyro/pyro/serializer/json"
	_ "github.com/gopyro/pyro/serializer/marshal"
	_ "github.com/gopyro/pyro/serializer/msgpack"
	_ "github.com/gopyro/pyro/serializer/serpent"
)
