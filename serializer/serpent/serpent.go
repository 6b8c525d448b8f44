// Package serpent is Pyro4's default serializer (id 1): the text format of Python's serpent 1.41,
// a header comment line followed by one Python literal expression that ast.literal_eval can read.
//
// Marshal writes exactly what serpent.dumps(v, module_in_classname=True) writes for the same
// Python value (Pyro4's SerpentSerializer), so a Python peer reads it with no surprises:
//
//	None True False 42 1180591620717411303424 1.5 1e+16 -0.0
//	1e30000 -1e30000                          (+inf, -inf)
//	{'__class__':'float','value':'nan'}       (NaN; Pyro4 turns it back into a float)
//	(1.0+2.0j)                                (complex)
//	'it\'s "q"' "it's" 'h\xe9\u2028'          (str, as Python's repr)
//	{'data': 'AAFh', 'encoding': 'base64'}    (bytes)
//	() (1,) [1,2] {'a':1,(1,2):None} {1,2}    (tuple, list, dict, set; an empty set is ())
//
// Other Go values (int32, []string, maps, structs, ...) go through pyval.FromGo first; nil
// slices, maps and pointers are None. A datetime (time.Time) or date (pyval.Date) is written
// as the str isoformat() gives, as serpent writes Python's.
//
// Unmarshal reads any Python literal expression ast.literal_eval accepts (all string prefixes
// and escapes, triple quotes, implicit concatenation, comments, hex/octal/binary and big ints,
// underscores, complex sums, set()), and applies the two conversions a Go reader wants:
// the exact bytes dict {'data': <base64 str>, 'encoding': 'base64'} becomes []byte, and a
// {'__class__': 'float', 'value': <str>} dict becomes that float (Pyro4 does the same for NaN).
//
// Where Python and Go disagree, the choices are:
//   - A Go string is bytes; a Python str is code points. Invalid UTF-8 is written with Python's
//     surrogateescape convention (byte 0xff becomes '\udcff'), a WTF-8 encoded surrogate
//     (bytes ED A0 80) as that surrogate ('\ud800'). Decoding reverses both, so every Go
//     string survives a round trip and a Python str with lone surrogates arrives losslessly.
//     Escaped surrogate pairs ('\ud83d\ude00', as Java/.NET serpent write them) are merged into
//     one character.
//   - Python cannot read serpent's own text for a NaN complex part or a -0.0 imaginary part;
//     Marshal refuses the first (ErrUnsupported) and writes the second as 0.0. Python's
//     arithmetic also drops the sign of a -0.0 real part unless the imaginary part is negative.
//   - Dict keys and set elements must be hashable in Python: list, dict, set and NaN keys are
//     refused (ErrUnsupported). A bytes key is written as a b'...' literal and a None key as
//     None, which Python reads, where serpent would write an unreadable dict or refuse.
//   - Ints beyond Python's 4300-digit decimal conversion limit are written in hex, which
//     Python reads; the decoder refuses longer decimal literals (ErrLimit), as Python does.
//   - \N{name} escapes are not supported (ErrUnsupported): Go has no Unicode name table.
//     Neither is Ellipsis (...), which has no Go form.
package serpent

import (
	"github.com/gopyro/pyro/internal/pyrepr"
	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

// Header is the first line of every serpent document Pyro4 writes. Readers treat it as a
// comment; "python3.2" tells them set literals may follow.
const Header = "# serpent utf-8 python3.2\n"

// Codec is the serpent serializer. The zero value is ready to use and safe for concurrent use.
type Codec struct{}

// ID returns Pyro4's serializer id for serpent, 1.
func (Codec) ID() int { return serializer.SerpentID }

// Name returns "serpent".
func (Codec) Name() string { return "serpent" }

// Marshal encodes v, in canonical pyval form or any Go value pyval converts, as serpent text.
func (Codec) Marshal(v any) ([]byte, error) { return Marshal(v) }

// AppendMarshal is Marshal into dst (serializer.AppendMarshaler).
func (Codec) AppendMarshal(dst []byte, v any) ([]byte, error) { return appendMarshal(dst, v) }

// Unmarshal decodes serpent text into canonical pyval form.
func (Codec) Unmarshal(data []byte) (any, error) { return Unmarshal(data) }

// EncodeCall encodes a Pyro call, (object, method, args, kwargs), without first building the
// tuple, which saves five allocations a call; the text is the same as Marshal's.
func (c Codec) EncodeCall(call serializer.Call) ([]byte, error) {
	return c.AppendEncodeCall(make([]byte, 0, 128), call)
}

// AppendEncodeCall is EncodeCall into dst (serializer.CallAppender).
func (Codec) AppendEncodeCall(dst []byte, call serializer.Call) ([]byte, error) {
	e := encoder{buf: dst}
	e.buf = append(e.buf, Header...)
	e.buf = append(e.buf, '(')
	e.buf = pyrepr.AppendStr(e.buf, call.Object)
	e.buf = append(e.buf, ',')
	e.buf = pyrepr.AppendStr(e.buf, call.Method)
	e.buf = append(e.buf, ',')
	if err := e.tuple(pyval.Tuple(call.Args), 1, false); err != nil {
		return nil, err
	}
	e.buf = append(e.buf, ',')
	if call.Kwargs == nil {
		e.buf = append(e.buf, "None"...)
	} else if err := e.value(call.Kwargs, 1); err != nil {
		return nil, err
	}
	e.buf = append(e.buf, ')')
	return e.buf, nil
}

func init() { serializer.Register(Codec{}) }
