package marshal

import (
	"errors"
	"runtime"
	"testing"

	"github.com/gopyro/pyro/internal/codectest"
	"github.com/gopyro/pyro/internal/pyvaltest"
	"github.com/gopyro/pyro/serializer"
)

// UnmarshalMetered charges for lists, dicts and strs at every level.
func TestUnmarshalMeteredCharges(t *testing.T) { codectest.CheckMeterCharges(t, Codec{}) }

// A meter refusing beyond 1 MiB stops a list of 5 million ints before it is allocated.
func TestUnmarshalMeteredStops(t *testing.T) { codectest.CheckMeterStops(t, Codec{}) }

// The other things marshal makes are charged: copied bytes (not those left in owned data),
// Latin-1 strs at their UTF-8 length, big ints, sets and tuples.
func TestUnmarshalMeteredScalars(t *testing.T) {
	big := make([]byte, serializer.AliasMin)
	for _, tc := range []struct {
		name string
		hex  string
		data []byte
		want int
	}{
		{name: "bytes of 5", hex: "73 05000000 6162636465", want: 5},
		{name: "aliased bytes", data: append([]byte{'s', 0, 0x10, 0, 0}, big...), want: 0},
		{name: "ASCII str, Latin-1 é", hex: "61 03000000 e96162", want: 4},
		{name: "short ASCII str", hex: "7a 03 616263", want: 3},
		{name: "str", hex: "75 02000000 c3a9", want: 2},
		{name: "int of 5 digits", hex: "6c 05000000 0100 0000 0000 0000 0100", want: 16},
		{name: "tuple of 3", hex: "29 03 4e 4e 4e", want: 3 * serializer.SlotSize},
		{name: "frozenset of 2", hex: "3e 02000000 e9 01000000 e9 02000000", want: 2 * serializer.SlotSize},
		{name: "dict of 1", hex: "7b 4e 4e 30", want: serializer.EntrySize},
		// the referenced str is charged once
		{name: "list of a str twice", hex: "5b 02000000 fa 03 616263 72 00000000", want: 2*serializer.SlotSize + 3},
	} {
		data := tc.data
		if data == nil {
			data = codectest.MustHex(t, tc.hex)
		}
		codectest.CheckCharge(t, Codec{}, tc.name, data, tc.want)
	}
}

// A list header claiming more items than the data holds allocates nothing for them, and one
// the data can hold is charged before its items are allocated.
func TestUnmarshalMeteredHugeHeader(t *testing.T) {
	allocated := func(data []byte, m serializer.Meter) (uint64, error) {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := UnmarshalMetered(data, m)
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc, err
	}
	// 2**30 items claimed, 16 bytes of them
	data := append([]byte{'[', 0, 0, 0, 0x40}, make([]byte, 16)...)
	n, err := allocated(data, &codectest.LimitMeter{Limit: 1 << 20})
	if !errors.Is(err, serializer.ErrMalformed) && !errors.Is(err, codectest.ErrMeter) {
		t.Errorf("a list of 2**30 in %d bytes: %v", len(data), err)
	}
	if n > 64<<10 {
		t.Errorf("a list of 2**30 in %d bytes allocated %d bytes", len(data), n)
	}
	// 5 million Nones: 80 MB of items from 5 MB of data
	data = make([]byte, 5+5_000_000)
	copy(data, []byte{'[', 0x40, 0x4b, 0x4c, 0x00})
	for i := 5; i < len(data); i++ {
		data[i] = 'N'
	}
	m := &codectest.LimitMeter{Limit: 1 << 20}
	n, err = allocated(data, m)
	if !errors.Is(err, codectest.ErrMeter) {
		t.Fatalf("a list of 5000000 Nones with a meter of 1 MiB: %v", err)
	}
	if n > 64<<10 || m.N != 5_000_000*serializer.SlotSize {
		t.Errorf("a list of 5000000 Nones: allocated %d bytes, charged %d", n, m.N)
	}
}

// UnmarshalMetered decodes the test values as UnmarshalOwned does, and nothing panics with
// a meter that refuses everything.
func TestUnmarshalMeteredEqual(t *testing.T) {
	var datas [][]byte
	for _, c := range pyCases {
		b, err := Marshal(c.want)
		if err != nil {
			t.Fatal(err)
		}
		datas = append(datas, b)
	}
	for _, v := range codectest.RandomValues(11, pyvaltest.All, 200) {
		b, err := Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		datas = append(datas, b)
	}
	// Python's output with references, and malformed input
	for _, h := range []string{
		"2904da017872000000005b0100000072000000007b7200000000720000000030",
		"fbda076d6574686f64733c03000000da046563686fda0470696e67da086765745f72617465da066f6e657761793c010000007203000000da0561747472733c0000000030",
		"78 01 31 03 2d322e", "66 04 2d4e614e", "49 0100000000000080", "7a 02 e961",
		"db 01000000 72 00000000", "e3 00000000", "5b 02000000 69", "7b 5b 00000000 4e 30",
	} {
		datas = append(datas, codectest.MustHex(t, h))
	}
	for _, data := range datas {
		codectest.CheckMetered(t, Codec{}, data)
	}
}
