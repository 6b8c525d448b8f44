package pyrepr

import (
	"math"
	"strconv"
	"strings"
)

// FormatFloat formats f like Python's repr(float): the shortest text that reads back as the
// same value, always with a '.' or an exponent, "inf", "-inf" and "nan" for the specials.
func FormatFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	abs := math.Abs(f)
	if abs != 0 && (abs < 1e-4 || abs >= 1e16) {
		// Go writes 1e+16 and 1e-05 just as Python does; nothing to adjust.
		return strconv.FormatFloat(f, 'e', -1, 64)
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s
}
