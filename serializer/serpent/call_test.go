package serpent

import (
	"testing"

	"github.com/gopyro/pyro/internal/codectest"
	"github.com/gopyro/pyro/internal/pyvaltest"
)

// FuzzDecodeCall: DecodeCall agrees with the general path wherever it accepts an input.
func FuzzDecodeCall(f *testing.F) {
	codectest.FuzzDecodeCall(f, Codec{}, pyvaltest.All,
		[]byte("# serpent utf-8 python3.2\n('o','m',('hello',),{})"),
		[]byte("# serpent utf-8 python3.2\n('o' 'x','m',(),None,)"),              // implicit concatenation
		[]byte("# serpent utf-8 python3.2\n(r'o',b'm',(1,),{'k':[1]}) "),         // prefixes
		[]byte("# serpent utf-8 python3.2\n('o','m',(((((((1,),),),),),),),{})"), // nesting
		[]byte("('o','m',[1],{})"),                                               // a list of arguments
		[]byte("('o','m',(1),{})"))                                               // grouping, no tuple
}

// The typical call takes DecodeCall's path.
func TestDecodeCallTypical(t *testing.T) { codectest.CheckDecodeCall(t, Codec{}, 'x') }

// Decoding the typical call: its values, without the outer tuple, the boxing of its names or
// a copy per str (26 allocations before DecodeCall and the shared copy of a small input).
func TestUnmarshalCallAllocs(t *testing.T) { codectest.CheckCallAllocs(t, Codec{}, 17) }
