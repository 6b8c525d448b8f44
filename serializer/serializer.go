// Package serializer defines the codec interface that Pyro4's serializers share, the wire ids
// that name them, and how a remote call is laid out in each one.
//
// A codec turns canonical Python values (see package pyval) into bytes and back, with no I/O.
// The codecs live in sub-packages (serpent, json, marshal, msgpack) and register themselves
// here when imported; package pyro imports all four.
package serializer

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gopyro/pyro/pyval"
)

// Pyro4's serializer ids, as carried in the message header.
const (
	SerpentID     = 1
	JSONID        = 2
	MarshalID     = 3
	PickleID      = 4
	DillID        = 5
	MsgpackID     = 6
	CloudpickleID = 7
)

// Codec encodes canonical Python values to one wire format and decodes them back.
// Implementations are safe for concurrent use.
type Codec interface {
	// ID is the Pyro4 serializer id written in message headers.
	ID() int
	// Name is the Pyro4 name of the serializer ("serpent", "json", "marshal", "msgpack").
	Name() string
	// Marshal encodes v. Values that are not in canonical form are first converted with
	// pyval.FromGo, so ordinary Go values may be passed too.
	Marshal(v any) ([]byte, error)
	// Unmarshal decodes one value in canonical form. Malformed input, excessive nesting or
	// sizes beyond Limits give an error wrapping ErrMalformed or ErrLimit, never a panic.
	Unmarshal(data []byte) (any, error)
}

// Errors every codec wraps so callers can tell bad input from unsupported values.
var (
	// ErrMalformed means the input is not valid in the codec's format.
	ErrMalformed = errors.New("malformed data")
	// ErrLimit means the input exceeds a decoding limit (nesting depth, container or string size).
	ErrLimit = errors.New("decoding limit exceeded")
	// ErrUnsupported means a value cannot be represented in the codec (bytes in json, say).
	ErrUnsupported = errors.New("value not supported by serializer")
)

// Canonical converts a Go value that is not in canonical form with pyval.FromGo, as every
// codec's Marshal does. Its error keeps the *pyval.ConvertError, which says where the value
// sits (errors.As), and wraps ErrLimit for values nested too deep (a cycle, say) or
// ErrUnsupported for the rest.
func Canonical(v any) (any, error) {
	c, err := pyval.FromGo(v)
	if err == nil {
		return c, nil
	}
	sentinel := ErrUnsupported
	if errors.Is(err, pyval.ErrTooDeep) {
		sentinel = ErrLimit
	}
	return nil, fmt.Errorf("%w: %w", err, sentinel)
}

// CanonicalNoDates is Canonical for codecs whose wire has no datetime or date (serpent, json,
// marshal): a time.Time or pyval.Date becomes the text pyval.ISOFormat gives, which is what
// Pyro4's serpent and json serializers send for Python's datetimes and dates. Such values
// nested in a container stay as they are; the codec meets them, and calls this, in turn.
func CanonicalNoDates(v any) (any, error) {
	c, err := Canonical(v)
	if err != nil {
		return nil, err
	}
	switch c.(type) {
	case time.Time, pyval.Date:
		s, err := pyval.ISOFormat(c)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", err, ErrUnsupported)
		}
		return s, nil
	}
	return c, nil
}

// Limits bound what a decoder accepts, so hostile input cannot exhaust the stack or memory.
// Decoders never allocate more than the input's own size justifies, whatever a length prefix says.
const (
	// MaxDepth is the deepest nesting of containers a decoder accepts.
	MaxDepth = 1000
)

var (
	registryMu sync.RWMutex
	byID       = map[int]Codec{}
	byName     = map[string]Codec{}
)

// Register makes a codec available by id and name. Codec packages call it from init.
func Register(c Codec) {
	registryMu.Lock()
	defer registryMu.Unlock()
	byID[c.ID()] = c
	byName[c.Name()] = c
}

// ByID returns the codec registered for a Pyro4 serializer id.
func ByID(id int) (Codec, error) {
	registryMu.RLock()
	c, ok := byID[id]
	registryMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("serializer id %d: %w", id, ErrUnknown)
	}
	return c, nil
}

// ByName returns the codec registered under a Pyro4 serializer name.
func ByName(name string) (Codec, error) {
	registryMu.RLock()
	c, ok := byName[name]
	registryMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("serializer %q: %w", name, ErrUnknown)
	}
	return c, nil
}

// ErrUnknown means no codec is registered under that id or name (pickle, dill, or a typo).
var ErrUnknown = errors.New("unknown serializer")

// Call is a remote method call as Pyro4 lays it out: object id, method name, positional and
// keyword arguments. Kwargs is nil when the wire carries None (the outer call of a batch).
type Call struct {
	Object string
	Method string
	Args   []any
	Kwargs *pyval.Dict
}

// MarshalCall encodes a call the way Pyro4's client does with codec c: a 4-tuple for serpent,
// marshal and msgpack, a {"object","method","params","kwargs"} object for json.
func MarshalCall(c Codec, call Call) ([]byte, error) {
	var kwargs any
	if call.Kwargs != nil {
		kwargs = call.Kwargs
	}
	args := call.Args
	if args == nil {
		args = []any{}
	}
	if e, ok := c.(CallEncoder); ok {
		call.Args = args
		return e.EncodeCall(call)
	}
	switch c.ID() {
	case JSONID:
		return c.Marshal(pyval.DictOf("object", call.Object, "method", call.Method, "params", args, "kwargs", kwargs))
	case SerpentID:
		return c.Marshal(pyval.Tuple{call.Object, call.Method, pyval.Tuple(args), kwargs})
	default:
		return c.Marshal(pyval.Tuple{call.Object, call.Method, args, kwargs})
	}
}

// CallEncoder is implemented by codecs that can write a call without building the generic
// tuple or dict first (MarshalCall uses it); the bytes must be what the generic path writes.
type CallEncoder interface {
	EncodeCall(call Call) ([]byte, error)
}

// CallDecoder is implemented by codecs that can decode a call in their usual layout without
// building the generic tuple or dict first. UnmarshalCall uses it, and decodes the general way
// when DecodeCall reports false: unusual layouts and all errors are handled there.
type CallDecoder interface {
	// DecodeCall returns what UnmarshalCall would, or false.
	DecodeCall(data []byte) (Call, bool)
}

// UnmarshalCall decodes a call written by MarshalCall or by any Pyro4 client.
func UnmarshalCall(c Codec, data []byte) (Call, error) {
	if d, ok := c.(CallDecoder); ok {
		if call, ok := d.DecodeCall(data); ok {
			return call, nil
		}
	}
	v, err := c.Unmarshal(data)
	if err != nil {
		return Call{}, err
	}
	return callFrom(v)
}

// callFrom reads a call from its generic decoded form: a 4-tuple, or json's dict.
func callFrom(v any) (Call, error) {
	var obj, method, args, kwargs any
	if d, ok := v.(*pyval.Dict); ok {
		obj, _ = d.GetString("object")
		method, _ = d.GetString("method")
		args, _ = d.GetString("params")
		kwargs, _ = d.GetString("kwargs")
	} else if parts, ok := pyval.Items(v); ok {
		if len(parts) != 4 {
			return Call{}, fmt.Errorf("call is a %s of %d, want 4: %w", pyval.TypeName(v), len(parts), ErrMalformed)
		}
		obj, method, args, kwargs = parts[0], parts[1], parts[2], parts[3]
	} else {
		return Call{}, fmt.Errorf("call is a %s, want a 4-tuple: %w", pyval.TypeName(v), ErrMalformed)
	}
	var call Call
	var ok bool
	if call.Object, ok = obj.(string); !ok {
		return Call{}, fmt.Errorf("call object id is a %s, want str: %w", pyval.TypeName(obj), ErrMalformed)
	}
	if call.Method, ok = method.(string); !ok {
		return Call{}, fmt.Errorf("call method is a %s, want str: %w", pyval.TypeName(method), ErrMalformed)
	}
	if args != nil {
		if call.Args, ok = pyval.Items(args); !ok {
			return Call{}, fmt.Errorf("call arguments are a %s, want a tuple: %w", pyval.TypeName(args), ErrMalformed)
		}
	}
	switch k := kwargs.(type) {
	case *pyval.Dict:
		call.Kwargs = k
	case nil:
	default:
		return Call{}, fmt.Errorf("call keyword arguments are a %s, want a dict: %w", pyval.TypeName(kwargs), ErrMalformed)
	}
	return call, nil
}
