package pyval

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Date is Python's datetime.date: a day of the proleptic Gregorian calendar, without a time
// of day or a zone. It is the canonical form of a date; a datetime.datetime is a time.Time.
// The msgpack codec carries both as Pyro4's extension types; serpent, json and marshal write
// them as the text isoformat() gives, as Pyro4 does, so they arrive as str.
//
// Python's dates run from 0001-01-01 to 9999-12-31; Valid reports whether a Date is one of
// them. The zero Date is not.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the day t falls on in its own location, as Python's datetime.date() does for
// a datetime.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// errDate is wrapped by the errors about malformed or out-of-range dates.
var errDate = errors.New("not a date between 0001-01-01 and 9999-12-31")

// ParseDate reads a date as Python's date.isoformat() writes it: YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	p := isoParser{s: s, ok: true}
	y := p.digits(4)
	p.expect('-')
	m := p.digits(2)
	p.expect('-')
	d := p.digits(2)
	date := Date{y, time.Month(m), d}
	if !p.ok || p.i != len(s) || !date.Valid() {
		return Date{}, fmt.Errorf("pyval: %q: %w", s, errDate)
	}
	return date, nil
}

// Valid reports whether d is a real day within Python's date range (years 1 to 9999).
func (d Date) Valid() bool {
	if d.Year < 1 || d.Year > 9999 || d.Month < time.January || d.Month > time.December || d.Day < 1 {
		return false
	}
	return d.Day <= time.Date(d.Year, d.Month+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// String returns the date as Python's date.isoformat() writes it: 2024-06-28.
func (d Date) String() string {
	b := make([]byte, 0, 10)
	b = appendPadded(b, d.Year, 4)
	b = append(b, '-')
	b = appendPadded(b, int(d.Month), 2)
	b = append(b, '-')
	return string(appendPadded(b, d.Day, 2))
}

// In returns midnight at the start of d in loc.
func (d Date) In(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// ordinalEpoch is the Unix day of 0001-01-01, Python's ordinal 1.
var ordinalEpoch = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).Unix() / 86400

// Ordinal returns Python's date.toordinal(): 1 for 0001-01-01. It is meaningful only for a
// valid date.
func (d Date) Ordinal() int64 {
	return d.In(time.UTC).Unix()/86400 - ordinalEpoch + 1
}

// DateFromOrdinal is Python's date.fromordinal(n), for n from 1 (0001-01-01) to 3652059
// (9999-12-31).
func DateFromOrdinal(n int64) (Date, error) {
	if n < 1 || n > maxOrdinal {
		return Date{}, fmt.Errorf("pyval: ordinal %d: %w", n, errDate)
	}
	return DateOf(time.Unix((n-1+ordinalEpoch)*86400, 0).UTC()), nil
}

// maxOrdinal is date(9999, 12, 31).toordinal().
const maxOrdinal = 3652059

// MarshalText returns String's text, so a Date works with encoding/json and flag.TextVar.
func (d Date) MarshalText() ([]byte, error) {
	if !d.Valid() {
		return nil, fmt.Errorf("pyval: date %d-%d-%d: %w", d.Year, d.Month, d.Day, errDate)
	}
	return []byte(d.String()), nil
}

// UnmarshalText reads what MarshalText writes, with ParseDate.
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// ISOFormat returns the text Python's isoformat() writes for a datetime or date value:
// time.Time as an aware datetime, with microseconds only when not zero and always the UTC
// offset (2024-01-02T03:04:05.000600+00:00), a Date as YYYY-MM-DD. Codecs without a datetime
// type (serpent, json, marshal) send these values as that text, as Pyro4 does. Other values,
// and years outside Python's 1..9999, give an error.
func ISOFormat(v any) (string, error) {
	switch x := v.(type) {
	case time.Time:
		return isoformat(x)
	case Date:
		if !x.Valid() {
			return "", &ConvertError{Value: "pyval.Date", Type: dateType,
				Msg: "cannot convert pyval.Date " + strconv.Quote(x.String()) + ": " + errDate.Error()}
		}
		return x.String(), nil
	}
	return "", &ConvertError{Value: TypeName(v), Type: timeType, Msg: "not a datetime or date: " + TypeName(v)}
}
