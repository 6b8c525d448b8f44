package pyval

import (
	"errors"
	"testing"
	"time"
)

func TestISOFormat(t *testing.T) {
	for _, c := range []struct {
		in   any
		want string
	}{
		{time.Date(2024, 1, 2, 3, 4, 5, 600000, time.UTC), "2024-01-02T03:04:05.000600+00:00"},
		{time.Date(2024, 1, 2, 3, 4, 5, 999, time.UTC), "2024-01-02T03:04:05+00:00"},
		{time.Date(2024, 7, 1, 12, 0, 0, 0, time.FixedZone("", -(5*3600+30*60))), "2024-07-01T12:00:00-05:30"},
		{time.Date(1900, 1, 1, 0, 0, 0, 0, time.FixedZone("LMT", 1172)), "1900-01-01T00:00:00+00:19:32"},
		{time.Time{}, "0001-01-01T00:00:00+00:00"},
		{Date{2024, 6, 28}, "2024-06-28"},
		{Date{1, 1, 1}, "0001-01-01"},
		{Date{9999, 12, 31}, "9999-12-31"},
	} {
		got, err := ISOFormat(c.in)
		if err != nil || got != c.want {
			t.Errorf("ISOFormat(%v) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	for _, in := range []any{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), Date{2023, 2, 29}, Date{}, Date{10000, 1, 1}, "2024-01-01"} {
		var ce *ConvertError
		if _, err := ISOFormat(in); !errors.As(err, &ce) {
			t.Errorf("ISOFormat(%v) error = %v, want a *ConvertError", in, err)
		}
	}
}

func TestDate(t *testing.T) {
	for _, c := range []struct {
		d       Date
		ordinal int64
	}{
		{Date{1, 1, 1}, 1},
		{Date{1970, 1, 1}, 719163},
		{Date{2020, 1, 2}, 737426},
		{Date{9999, 12, 31}, 3652059},
	} {
		if got := c.d.Ordinal(); got != c.ordinal {
			t.Errorf("%v.Ordinal() = %d, want %d (Python's toordinal)", c.d, got, c.ordinal)
		}
		if back, err := DateFromOrdinal(c.ordinal); err != nil || back != c.d {
			t.Errorf("DateFromOrdinal(%d) = %v, %v; want %v", c.ordinal, back, err, c.d)
		}
	}
	for _, n := range []int64{0, -1, 3652060} {
		if _, err := DateFromOrdinal(n); !errors.Is(err, errDate) {
			t.Errorf("DateFromOrdinal(%d) error = %v", n, err)
		}
	}
	if d, err := ParseDate("2024-02-29"); err != nil || d != (Date{2024, 2, 29}) {
		t.Errorf("ParseDate(2024-02-29) = %v, %v", d, err)
	}
	for _, s := range []string{"2023-02-29", "0000-01-01", "2024-1-01", "2024-01-01T00:00", "", "2024-13-01"} {
		if _, err := ParseDate(s); !errors.Is(err, errDate) {
			t.Errorf("ParseDate(%q) error = %v", s, err)
		}
	}
	var d Date
	if err := d.UnmarshalText([]byte("1999-12-31")); err != nil || d != (Date{1999, 12, 31}) {
		t.Errorf("UnmarshalText = %v, %v", d, err)
	}
	if b, err := d.MarshalText(); err != nil || string(b) != "1999-12-31" {
		t.Errorf("MarshalText = %s, %v", b, err)
	}
	if _, err := (Date{}).MarshalText(); err == nil {
		t.Error("MarshalText of the zero Date succeeded")
	}
	if got := DateOf(time.Date(2024, 6, 28, 23, 30, 0, 0, time.FixedZone("", -3600))); got != (Date{2024, 6, 28}) {
		t.Errorf("DateOf = %v, want the day in the time's own zone", got)
	}
}

func TestDateTimeValues(t *testing.T) {
	utc := time.Date(2024, 6, 28, 12, 30, 0, 0, time.UTC)
	east := utc.In(time.FixedZone("", 2*3600))
	// Repr is Python's repr of the naive datetime with the time's wall clock.
	for _, c := range []struct {
		v    any
		want string
	}{
		{utc, "datetime.datetime(2024, 6, 28, 12, 30)"},
		{time.Date(2024, 6, 28, 0, 0, 5, 0, time.UTC), "datetime.datetime(2024, 6, 28, 0, 0, 5)"},
		{time.Date(2024, 6, 28, 1, 2, 0, 7999, time.UTC), "datetime.datetime(2024, 6, 28, 1, 2, 0, 7)"},
		{Date{1, 1, 1}, "datetime.date(1, 1, 1)"},
	} {
		if got := Repr(c.v); got != c.want {
			t.Errorf("Repr = %s, want %s", got, c.want)
		}
	}
	if TypeName(utc) != "datetime" || TypeName(Date{}) != "date" {
		t.Errorf("TypeName: %s %s", TypeName(utc), TypeName(Date{}))
	}
	// The same instant is the same value and the same dict key, whatever the zone.
	if !Equal(utc, east) || Equal(utc, utc.Add(time.Microsecond)) || !Equal(Date{1, 2, 3}, Date{1, 2, 3}) || Equal(utc, Date{2024, 6, 28}) {
		t.Error("Equal of datetimes and dates")
	}
	d := DictOf(utc, "a", Date{2024, 6, 28}, "b")
	if v, ok := d.Get(east); !ok || v != "a" {
		t.Errorf("Get(same instant) = %v, %v", v, ok)
	}
	for range 10 { // past the indexed size
		d.Set(time.Now(), nil)
	}
	if v, ok := d.Get(east); !ok || v != "a" {
		t.Errorf("Get(same instant), indexed = %v, %v", v, ok)
	}
	if v, ok := d.Get(Date{2024, 6, 28}); !ok || v != "b" {
		t.Errorf("Get(date) = %v, %v", v, ok)
	}
}

func TestToGoDateTime(t *testing.T) {
	utc := time.Date(2024, 6, 28, 12, 30, 0, 250000000, time.UTC)
	var tm time.Time
	if err := ToGo(utc, &tm); err != nil || !tm.Equal(utc) {
		t.Errorf("datetime into time.Time = %v, %v", tm, err)
	}
	if err := ToGo(Date{2024, 6, 28}, &tm); err != nil || !tm.Equal(time.Date(2024, 6, 28, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("date into time.Time = %v, %v", tm, err)
	}
	var d Date
	for _, in := range []any{Date{2024, 6, 28}, utc, "2024-06-28"} {
		d = Date{}
		if err := ToGo(in, &d); err != nil || d != (Date{2024, 6, 28}) {
			t.Errorf("%s into Date = %v, %v", Repr(in), d, err)
		}
	}
	d = Date{2024, 6, 28}
	if err := ToGo(nil, &d); err != nil || d != (Date{}) {
		t.Errorf("None into Date = %v, %v; want the zero Date, as for every type", d, err)
	}
	for _, in := range []any{"2024-06-28T00:00:00", int64(5), 1.5, Date{2024, 2, 30}} {
		var ce *ConvertError
		if err := ToGo(in, &d); !errors.As(err, &ce) {
			t.Errorf("%s into Date: error %v, want a *ConvertError", Repr(in), err)
		}
	}
	var s string
	if err := ToGo(utc, &s); err != nil || s != "2024-06-28T12:30:00.250000+00:00" {
		t.Errorf("datetime into string = %q, %v", s, err)
	}
	if err := ToGo(Date{2024, 6, 28}, &s); err != nil || s != "2024-06-28" {
		t.Errorf("date into string = %q, %v", s, err)
	}
	var a any
	if err := ToGo([]any{utc, Date{2024, 6, 28}}, &a); err != nil || !Equal(a, []any{utc, Date{2024, 6, 28}}) {
		t.Errorf("into any = %#v, %v", a, err)
	}
	var st struct {
		When time.Time
		Day  *Date
	}
	if err := ToGo(DictOf("when", utc, "day", utc), &st); err != nil || !st.When.Equal(utc) || st.Day == nil || *st.Day != (Date{2024, 6, 28}) {
		t.Errorf("into a struct = %+v, %v", st, err)
	}
}

// FuzzParseDate: ParseDate never panics, accepts only valid dates, and what it accepts is
// exactly what String writes back.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2024-02-29", "2023-02-29", "0001-01-01", "9999-12-31", "0000-00-00", "2024-1-1", "+024-01-01", "2024-01-01\n", "２０２４-01-01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			if !errors.Is(err, errDate) {
				t.Fatalf("ParseDate(%q) error %v does not wrap errDate", s, err)
			}
			return
		}
		if !d.Valid() || d.String() != s {
			t.Fatalf("ParseDate(%q) = %v (valid %v), which writes %q", s, d, d.Valid(), d.String())
		}
		if back, err := DateFromOrdinal(d.Ordinal()); err != nil || back != d {
			t.Fatalf("%v: ordinal %d reads back as %v, %v", d, d.Ordinal(), back, err)
		}
	})
}
