package pyro_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gopyro/pyro/internal/pytest"
	"github.com/gopyro/pyro/pyrotest"
	"github.com/gopyro/pyro/pyval"
)

// calendar is a Go service taking and returning datetimes and dates as Go types.
type calendar struct{}

func (calendar) Later(t time.Time, hours int) time.Time {
	return t.Add(time.Duration(hours) * time.Hour)
}

func (calendar) NextDay(d pyval.Date) pyval.Date {
	return pyval.DateOf(d.In(time.UTC).AddDate(0, 0, 1))
}

func (calendar) DayOf(t time.Time) pyval.Date { return pyval.DateOf(t) }

// TestPythonDateTimesThroughGoMethods: a Python client passes datetimes and dates to Go methods
// with time.Time and pyval.Date parameters. With msgpack they come back as datetime and date,
// as from a Python server; with serpent and json as the isoformat text Pyro4 sends for them.
func TestPythonDateTimesThroughGoMethods(t *testing.T) {
	uri := pyrotest.Serve(t, calendar{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := pytest.Command(ctx, "-c", `
import sys, datetime, Pyro4
for ser in ("msgpack", "serpent", "json"):
    Pyro4.config.SERIALIZER = ser
    p = Pyro4.Proxy(sys.argv[1])
    print(ser, repr(p.later(datetime.datetime(2024, 3, 30, 23, 15, 0, 500), 3)),
          repr(p.next_day(datetime.date(2024, 2, 28))), repr(p.next_day(datetime.date(2024, 2, 29))),
          repr(p.day_of(datetime.datetime(1999, 12, 31, 23, 59))))
`, uri.String())
	cmd.Env = append(cmd.Env, "TZ=Europe/Amsterdam") // summer time starts 2024-03-31 02:00
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	// msgpack: 23:15 in Amsterdam is 22:15 UTC; three hours later is 01:15 UTC, which is
	// 03:15 in Amsterdam, summer time having begun at 02:00: the instant travels. serpent and
	// json send naive text, which Go reads as UTC (Go cannot know the client's zone). day_of
	// gives the day in the daemon's own zone, the host's.
	day := pyval.DateOf(time.Date(1999, 12, 31, 23, 59, 0, 0, time.FixedZone("", 3600)).Local())
	const iso = "2024-03-31T02:15:00.000500+00:00"
	want := []string{
		"msgpack datetime.datetime(2024, 3, 31, 3, 15, 0, 500) datetime.date(2024, 2, 29) datetime.date(2024, 3, 1) " + pyval.Repr(day),
		"serpent '" + iso + "' '2024-02-29' '2024-03-01' '1999-12-31'",
		"json '" + iso + "' '2024-02-29' '2024-03-01' '1999-12-31'",
	}
	got := strings.Split(strings.TrimSpace(string(out)), "\n")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("python printed:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
