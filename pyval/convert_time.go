package pyval

import (
	"errors"
	"strconv"
	"time"
)

// isoformat writes t as Python's datetime.isoformat() does for an aware datetime:
// microseconds only when non-zero (Go's extra nanoseconds are truncated, Python has none) and
// the UTC offset always, with seconds only when the zone has them.
func isoformat(t time.Time) (string, error) {
	if y := t.Year(); y < 1 || y > 9999 {
		return "", &ConvertError{Value: "time.Time", Type: timeType,
			Msg: "cannot convert time.Time: year " + strconv.Itoa(y) + " is outside Python's 1..9999"}
	}
	b := make([]byte, 0, 38)
	b = t.AppendFormat(b, "2006-01-02T15:04:05")
	if us := t.Nanosecond() / 1000; us != 0 {
		b = append(b, '.')
		b = appendPadded(b, us, 6)
	}
	_, off := t.Zone()
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	b = append(b, sign)
	b = appendPadded(b, off/3600, 2)
	b = append(b, ':')
	b = appendPadded(b, off/60%60, 2)
	if s := off % 60; s != 0 {
		b = append(b, ':')
		b = appendPadded(b, s, 2)
	}
	return string(b), nil
}

func appendPadded(b []byte, n, width int) []byte {
	var buf [12]byte
	s := strconv.AppendInt(buf[:0], int64(n), 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

var errISO = errors.New("not an ISO 8601 date/time as Python's isoformat() writes it")

// parseISO reads what Python's date.isoformat() and datetime.isoformat() write:
// YYYY-MM-DD[(T| )HH:MM[:SS[.f{1,9}]]][Z|±HH:MM[:SS[.ffffff]]]. A value without an offset (a
// naive datetime) is taken as UTC.
func parseISO(s string) (time.Time, error) {
	p := isoParser{s: s, ok: true}
	year := p.digits(4)
	p.expect('-')
	month := p.digits(2)
	p.expect('-')
	day := p.digits(2)
	var hour, minute, sec, nsec int
	loc := time.UTC
	if p.ok && p.i < len(s) {
		if c := s[p.i]; c == 'T' || c == ' ' {
			p.i++
		} else {
			p.ok = false
		}
		hour = p.digits(2)
		p.expect(':')
		minute = p.digits(2)
		if p.peek(':') {
			p.i++
			sec = p.digits(2)
			if p.peek('.') || p.peek(',') {
				p.i++
				nsec = p.fraction()
			}
		}
		if p.ok && p.i < len(s) {
			switch s[p.i] {
			case 'Z':
				p.i++
			case '+', '-':
				neg := s[p.i] == '-'
				p.i++
				off := p.digits(2) * 3600
				p.expect(':')
				off += p.digits(2) * 60
				if p.peek(':') {
					p.i++
					off += p.digits(2)
					if p.peek('.') {
						p.i++
						p.fraction() // sub-second offsets exist in Python, not in Go zones
					}
				}
				if neg {
					off = -off
				}
				if off != 0 {
					loc = time.FixedZone("", off)
				}
			default:
				p.ok = false
			}
		}
	}
	if !p.ok || p.i != len(s) || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, errISO
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, loc)
	if t.Day() != day { // February 30th and the like
		return time.Time{}, errISO
	}
	return t, nil
}

type isoParser struct {
	s  string
	i  int
	ok bool
}

func (p *isoParser) digits(n int) int {
	if !p.ok || p.i+n > len(p.s) {
		p.ok = false
		return 0
	}
	v := 0
	for _, c := range []byte(p.s[p.i : p.i+n]) {
		if c < '0' || c > '9' {
			p.ok = false
			return 0
		}
		v = v*10 + int(c-'0')
	}
	p.i += n
	return v
}

func (p *isoParser) expect(c byte) {
	if !p.ok || p.i >= len(p.s) || p.s[p.i] != c {
		p.ok = false
		return
	}
	p.i++
}

func (p *isoParser) peek(c byte) bool { return p.ok && p.i < len(p.s) && p.s[p.i] == c }

// fraction reads 1 to 9 digits of a second as nanoseconds.
func (p *isoParser) fraction() int {
	start := p.i
	v := 0
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		if p.i-start < 9 {
			v = v*10 + int(p.s[p.i]-'0')
		}
		p.i++
	}
	n := p.i - start
	if n == 0 || n > 9 {
		p.ok = false
		return 0
	}
	for ; n < 9; n++ {
		v *= 10
	}
	return v
}
