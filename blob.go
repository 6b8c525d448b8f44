package pyro

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/gopyro/pyro/internal/wire"
	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

// SerializedBlob is Pyro4's SerializedBlob: a payload that a dispatcher passes on without
// decoding it, so routing costs no serialization and the dispatcher needs no knowledge of the
// payload's types (Pyro4's blob-dispatch example). Only the final receiver decodes it.
//
// On the wire a blob is a call made with the KEEPSERIALIZED flag: the payload is serialized
// as the call's arguments would be, and Info travels apart, marshal-encoded with the object
// id and method name in the message's BLBI annotation.
//
//   - To send one, pass it as the only argument of a call: p.Call(ctx, "process", nil, blob).
//   - To receive one, give a method one parameter of type *SerializedBlob (after an optional
//     context): a KEEPSERIALIZED call passes the blob there undecoded. Passing that blob on
//     to another object forwards the original bytes, in their original serializer.
//   - Decode (or Deserialized) reads the payload where it is finally needed.
type SerializedBlob struct {
	// Info describes the payload (a topic, a name, an id) for dispatchers to route by. It
	// must be something Python's marshal writes: None, bool, int, float, str, bytes, or
	// tuples, lists, sets and dicts of those.
	Info any

	data  any              // the payload, as given to NewSerializedBlob
	raw   []byte           // the payload as received: a call serialized by codec
	codec serializer.Codec // nil unless received
}

// NewSerializedBlob makes a blob of data described by info, for sending. data is what Pyro4
// calls the blob's data: any value (a Python peer gets it back from blob.deserialized()).
func NewSerializedBlob(info, data any) *SerializedBlob {
	return &SerializedBlob{Info: info, data: data}
}

// Deserialized returns the payload: for a received blob, decoded as ToGo decodes into an
// any (maps, slices, ...); for a blob made by NewSerializedBlob, the data it was given.
func (b *SerializedBlob) Deserialized() (any, error) {
	if b.codec == nil {
		return b.data, nil
	}
	var out any
	err := b.Decode(&out)
	return out, err
}

// Decode decodes the payload into out, a pointer, as Proxy.Call decodes a result. A payload
// that cannot be decoded is an *Error of class Pyro4.errors.SerializeError (returned by a
// method, the caller gets that exception), wrapping the codec's error.
func (b *SerializedBlob) Decode(out any) error {
	v, err := b.payload()
	if err != nil {
		return err
	}
	if err := pyval.ToGo(v, out); err != nil {
		return fmt.Errorf("pyro: SerializedBlob payload: %w", err)
	}
	return nil
}

// payload is the blob's data in canonical form.
func (b *SerializedBlob) payload() (any, error) {
	if b.codec == nil {
		v, err := anyDaemon.FromGo(b.data)
		if err != nil {
			return nil, fmt.Errorf("pyro: SerializedBlob payload: %w", err)
		}
		return v, nil
	}
	v, err := b.codec.Unmarshal(b.raw)
	if err != nil {
		return nil, NewError(classSerializeError, "SerializedBlob payload (%s): %w", b.codec.Name(), err)
	}
	// The payload is a serialized call whose arguments are the data: a (object, method,
	// data, kwargs) sequence, or json's {"object", "method", "params", "kwargs"} object.
	if d, ok := v.(*pyval.Dict); ok {
		if params, ok := d.GetString("params"); ok {
			return params, nil
		}
	} else if items, ok := pyval.Items(v); ok && len(items) == 4 {
		return items[2], nil
	}
	return nil, NewError(classSerializeError, "SerializedBlob payload is a %s, not a serialized call", pyval.TypeName(v))
}

// errBlobNotAlone is Pyro4's refusal of a blob among other arguments.
var errBlobNotAlone = NewError(classSerializeError, "if SerializedBlob is used, it must be the only argument")

// MarshalPython refuses to serialize a blob as an ordinary value: a blob travels only as the
// only argument of a call.
func (b *SerializedBlob) MarshalPython() (any, error) { return nil, errBlobNotAlone }

// UnmarshalPython takes the blob of a KEEPSERIALIZED call, and refuses anything else: a
// *SerializedBlob parameter is only filled by a caller that sent a blob.
func (b *SerializedBlob) UnmarshalPython(v any) error {
	if o, ok := v.(*SerializedBlob); ok {
		*b = *o
		return nil
	}
	return errors.New("pyro: a SerializedBlob parameter needs a call made with a SerializedBlob (KEEPSERIALIZED), not a " + pyval.TypeName(v))
}

// blobArgument returns the call's blob when it has one, and an error when a blob is not the
// call's only argument.
func blobArgument(args []any, kwargs *pyval.Dict) (*SerializedBlob, error) {
	for _, a := range args {
		if b, ok := a.(*SerializedBlob); ok {
			if len(args) != 1 || kwargs.Len() > 0 || b == nil {
				return nil, errBlobNotAlone
			}
			return b, nil
		}
	}
	return nil, nil
}

// blobRequest makes the KEEPSERIALIZED request that sends b to objectID.method, as Pyro4's
// proxy does: a received blob's bytes as they came, in their codec; a new blob's data
// serialized as the call's arguments in the proxy's codec. The reply comes in that codec.
func (p *Proxy) blobRequest(proto WireProtocol, objectID, method string, b *SerializedBlob, flags uint16) (wire.Message, serializer.Codec, error) {
	marshal, err := serializer.ByID(serializer.MarshalID)
	if err != nil {
		return wire.Message{}, nil, err
	}
	info, err := marshal.Marshal(pyval.Tuple{b.Info, objectID, method})
	if err != nil {
		return wire.Message{}, nil, fmt.Errorf("SerializedBlob info must be marshallable: %w", err)
	}
	codec, data := b.codec, b.raw
	if codec == nil {
		codec = p.codec
		d, err := withProxies(b.data, anyDaemon)
		if err == nil && proto == Pyro5 {
			d, err = toPyro5Values(d)
		}
		if err != nil {
			return wire.Message{}, nil, err
		}
		var call any = pyval.Tuple{objectID, method, d, pyval.NewDict(0)}
		if codec.ID() == serializer.JSONID {
			call = pyval.DictOf("object", objectID, "method", method, "params", d, "kwargs", pyval.NewDict(0))
		}
		if data, err = codec.Marshal(call); err != nil {
			return wire.Message{}, nil, err
		}
	}
	msg := wire.Message{Type: wire.Invoke, Flags: flags | wire.FlagKeepSerialized, SerializerID: uint16(codec.ID()), Data: data}
	msg.SetAnnotation(wire.AnnBlobInfo, info)
	return msg, codec, nil
}

// blobCall reads a KEEPSERIALIZED request: the target and info from its BLBI annotation, the
// payload kept as it is, as the call's only argument.
func blobCall(msg *wire.Message, codec serializer.Codec) (serializer.Call, error) {
	ann, ok := msg.Annotation(wire.AnnBlobInfo)
	if !ok {
		return serializer.Call{}, errors.New("KEEPSERIALIZED call without its BLBI annotation")
	}
	marshal, err := serializer.ByID(serializer.MarshalID)
	if err != nil {
		return serializer.Call{}, err
	}
	v, err := marshal.Unmarshal(ann)
	if err != nil {
		return serializer.Call{}, fmt.Errorf("BLBI annotation: %w", err)
	}
	parts, _ := pyval.Items(v)
	if len(parts) != 3 {
		return serializer.Call{}, fmt.Errorf("BLBI annotation is a %s, want (info, object, method)", pyval.TypeName(v))
	}
	obj, ok1 := parts[1].(string)
	method, ok2 := parts[2].(string)
	if !ok1 || !ok2 {
		return serializer.Call{}, errors.New("BLBI annotation: object and method must be str")
	}
	var info any
	if err := pyval.ToGo(parts[0], &info); err != nil {
		return serializer.Call{}, fmt.Errorf("BLBI annotation: %w", err)
	}
	b := &SerializedBlob{Info: info, raw: msg.Data, codec: codec}
	return serializer.Call{Object: obj, Method: method, Args: []any{b}, Kwargs: pyval.NewDict(0)}, nil
}

// blobType is the parameter type that receives blobs.
var blobType = reflect.TypeFor[*SerializedBlob]()
