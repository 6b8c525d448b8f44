package serializer_test

import (
	"errors"
	"testing"
	"time"

	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
	"github.com/gopyro/pyro/serializer/json"
	"github.com/gopyro/pyro/serializer/marshal"
	"github.com/gopyro/pyro/serializer/msgpack"
	"github.com/gopyro/pyro/serializer/serpent"
)

// TestDateTimesPerCodec: msgpack carries datetimes and dates as such; serpent, json and
// marshal send the text isoformat() gives, as Pyro4 does, wherever the values sit.
func TestDateTimesPerCodec(t *testing.T) {
	at := time.Date(2024, 6, 28, 12, 30, 15, 250000000, time.FixedZone("", 2*3600))
	on := pyval.Date{Year: 2024, Month: 2, Day: 29}
	in := struct {
		At   time.Time
		On   pyval.Date
		List []any
	}{at, on, []any{at, &on}}
	text := pyval.DictOf("At", "2024-06-28T12:30:15.250000+02:00", "On", "2024-02-29",
		"List", []any{"2024-06-28T12:30:15.250000+02:00", "2024-02-29"})
	for _, c := range []serializer.Codec{serpent.Codec{}, json.Codec{}, marshal.Codec{}, msgpack.Codec{}} {
		data, err := c.Marshal(in)
		if err != nil {
			t.Fatalf("%s: Marshal: %v", c.Name(), err)
		}
		got, err := c.Unmarshal(data)
		if err != nil {
			t.Fatalf("%s: Unmarshal: %v", c.Name(), err)
		}
		want := any(text)
		if c.Name() == "msgpack" {
			want = pyval.DictOf("At", at, "On", on, "List", []any{at, on})
		}
		if !pyval.Equal(got, want) {
			t.Errorf("%s: %s came back as %s, want %s", c.Name(), pyval.Repr(in), pyval.Repr(got), pyval.Repr(want))
		}
		for _, bad := range []any{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), pyval.Date{Year: 2023, Month: 2, Day: 29}, []any{pyval.Date{}}} {
			if _, err := c.Marshal(bad); !errors.Is(err, serializer.ErrUnsupported) {
				t.Errorf("%s: Marshal(%s) = %v, want ErrUnsupported", c.Name(), pyval.Repr(bad), err)
			}
		}
	}
}
