package msgpack

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopyro/pyro/internal/codectest"
	"github.com/gopyro/pyro/pyval"
	"github.com/gopyro/pyro/serializer"
)

// FuzzUnmarshal feeds arbitrary bytes to the decoder, seeded with python-msgpack's output
// for the interop vectors and with the table tests' inputs. Decoding must never panic, and
// a decoding error must wrap a serializer sentinel, and whatever decodes must re-encode,
// decode again and re-encode to the same bytes.
func FuzzUnmarshal(f *testing.F) {
	addSeeds(f)
	codectest.FuzzRoundTrip(f, Codec{}, serializer.ErrMalformed, serializer.ErrLimit, serializer.ErrUnsupported)
}

// FuzzUnmarshalMetered checks UnmarshalMetered against UnmarshalOwned on arbitrary bytes (the
// seeds of FuzzUnmarshal): with a meter that never refuses, the same value or the same error;
// with meters refusing beyond a few bytes, no panic, and either the meter's error or what
// UnmarshalOwned gives. Values are compared by their encodings, as FuzzRoundTrip compares
// them, so that a NaN, even as a dict key, counts as itself.
func FuzzUnmarshalMetered(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		want, wantErr := Codec{}.UnmarshalOwned(bytes.Clone(data))
		same := func(what string, got any, err error) {
			t.Helper()
			if err != nil || wantErr != nil {
				if err == nil || wantErr == nil || err.Error() != wantErr.Error() {
					t.Fatalf("%s of %q: error %v, UnmarshalOwned's %v", what, data, err, wantErr)
				}
				return
			}
			a, errA := Codec{}.Marshal(got)
			b, errB := Codec{}.Marshal(want)
			if string(a) != string(b) || (errA == nil) != (errB == nil) {
				t.Fatalf("%s of %q = %s, UnmarshalOwned = %s", what, data, pyval.Repr(got), pyval.Repr(want))
			}
		}
		m := counting()
		got, err := Codec{}.UnmarshalMetered(bytes.Clone(data), m)
		same("UnmarshalMetered", got, err)
		if m.negative {
			t.Fatalf("UnmarshalMetered of %q charged a negative amount", data)
		}
		for _, limit := range []int{0, 1, 16, 100, m.total / 2, m.total - 1} {
			if limit < 0 {
				continue
			}
			lm := limited(limit)
			got, err := Codec{}.UnmarshalMetered(bytes.Clone(data), lm)
			if lm.refused() {
				if !errors.Is(err, errBudget) {
					t.Fatalf("UnmarshalMetered of %q under a budget of %d: error %v after the meter refused", data, limit, err)
				}
				continue
			}
			if errors.Is(err, errBudget) {
				t.Fatalf("UnmarshalMetered of %q under a budget of %d: %v, but the meter never refused", data, limit, err)
			}
			same("UnmarshalMetered under a budget", got, err)
		}
	})
}

// addSeeds adds the fuzz seed corpus: python-msgpack's output for the interop vectors, the
// table tests' inputs and a few more.
func addSeeds(f *testing.F) {
	file, err := os.Open(filepath.Join("testdata", "python_vectors.txt"))
	if err != nil {
		f.Fatal(err)
	}
	defer file.Close()
	sc := bufio.NewScanner(file)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		_, h, _ := strings.Cut(sc.Text(), " ")
		data, err := hex.DecodeString(h)
		if err != nil {
			f.Fatalf("python_vectors.txt: %v", err)
		}
		f.Add(data)
	}
	if err := sc.Err(); err != nil {
		f.Fatal(err)
	}
	for _, tc := range roundTrips {
		f.Add(codectest.MustHex(f, tc.hex))
	}
	for _, s := range []string{
		"ca3fc00000", "c708 31 092b315f303030 0a", "d732 b8e607685783d741", "d733 dbb9370000000000",
		"81 92 91 01 a161 c0", "83a16101a16202a16103", "df7fffffff c0c0c0", "d40500", "a3eda080",
		"81 cb7ff8000000000000 01", // NaN key
		// datetimes: -1.5 s, a half microsecond (rounded to even), the last microsecond of 9999,
		// before 0001, a datetime key, a date key, and ext 0x33 of the wrong length
		"d732 000000000000f8bf", "d732 8dedb5a0f7c6a03e", "d732 0000c020fa7f4d42", "d732 0000003429ef2cc2",
		"81 d7320000000000000000 c0", "81 d73392400b0000000000 a0", "d633 92400b00",
	} {
		f.Add(codectest.MustHex(f, s))
	}
	// bytes large enough to be left in owned data (serializer.AliasMin), alone and in a call
	big := make([]byte, serializer.AliasMin)
	for _, v := range []any{big, pyval.Tuple{"obj", "put", pyval.Tuple{big, big[:10]}, pyval.NewDict(0)}} {
		b, err := Codec{}.Marshal(v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}
