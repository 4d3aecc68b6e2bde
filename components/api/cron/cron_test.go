package cron

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestNext(t *testing.T) {
	tests := []struct {
		name, spec, from string
		want             []string // successive activations
	}{
		{"every minute", "* * * * *", "2026-01-01T00:00:00Z", []string{"2026-01-01T00:01:00Z", "2026-01-01T00:02:00Z"}},
		{"strictly after a whole minute", "* * * * *", "2026-01-01T00:00:30Z", []string{"2026-01-01T00:01:00Z"}},
		{"every 15 minutes", "*/15 * * * *", "2026-01-01T00:07:00Z", []string{"2026-01-01T00:15:00Z", "2026-01-01T00:30:00Z", "2026-01-01T00:45:00Z", "2026-01-01T01:00:00Z"}},
		{"N/step is N-max/step", "50/5 * * * *", "2026-01-01T00:00:00Z", []string{"2026-01-01T00:50:00Z", "2026-01-01T00:55:00Z", "2026-01-01T01:50:00Z"}},
		{"list and range", "0 9-10,17 * * *", "2026-01-01T09:30:00Z", []string{"2026-01-01T10:00:00Z", "2026-01-01T17:00:00Z", "2026-01-02T09:00:00Z"}},
		{"month and weekday names", "0 0 * FEB mon-wed", "2026-01-15T00:00:00Z", []string{"2026-02-02T00:00:00Z", "2026-02-03T00:00:00Z", "2026-02-04T00:00:00Z", "2026-02-09T00:00:00Z"}},
		{"day of month OR day of week when both are restricted", "0 0 13 * 5", "2026-02-01T00:00:00Z", []string{"2026-02-06T00:00:00Z", "2026-02-13T00:00:00Z", "2026-02-20T00:00:00Z"}},
		{"a starred day of week leaves day of month alone", "0 0 13 * *", "2026-02-01T00:00:00Z", []string{"2026-02-13T00:00:00Z", "2026-03-13T00:00:00Z"}},
		{"question mark is a star", "0 0 ? * 1", "2026-02-01T00:00:00Z", []string{"2026-02-02T00:00:00Z", "2026-02-09T00:00:00Z"}},
		{"*/2 day of month is not a star: OR applies", "0 0 */10 * 0", "2026-02-02T00:00:00Z", []string{"2026-02-08T00:00:00Z", "2026-02-11T00:00:00Z", "2026-02-15T00:00:00Z"}},
		{"@hourly", "@hourly", "2026-01-01T00:10:00Z", []string{"2026-01-01T01:00:00Z", "2026-01-01T02:00:00Z"}},
		{"@daily", "@daily", "2026-01-01T00:10:00Z", []string{"2026-01-02T00:00:00Z"}},
		{"@midnight", "@midnight", "2026-01-01T00:00:00Z", []string{"2026-01-02T00:00:00Z"}},
		{"@weekly is Sunday", "@weekly", "2026-01-01T00:00:00Z", []string{"2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z"}},
		{"@monthly", "@monthly", "2026-01-01T00:00:00Z", []string{"2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"}},
		{"@yearly", "@yearly", "2026-01-01T00:00:00Z", []string{"2027-01-01T00:00:00Z"}},
		{"@annually", "@annually", "2026-06-01T00:00:00Z", []string{"2027-01-01T00:00:00Z"}},
		{"@every from the time asked", "@every 90s", "2026-01-01T00:00:10Z", []string{"2026-01-01T00:01:40Z", "2026-01-01T00:03:10Z"}},
		{"leap day", "0 0 29 2 *", "2026-01-01T00:00:00Z", []string{"2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"}},
		{"never: February 30th", "0 0 30 2 *", "2026-01-01T00:00:00Z", []string{"0001-01-01T00:00:00Z"}},
		{"a TZ prefix reads the fields in that zone", "TZ=Asia/Seoul 0 9 * * *", "2026-01-01T00:00:00Z", []string{"2026-01-02T00:00:00Z"}},
		{"CRON_TZ prefix", "CRON_TZ=America/New_York 0 9 * * *", "2026-01-01T00:00:00Z", []string{"2026-01-01T14:00:00Z", "2026-01-02T14:00:00Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse(tt.spec)
			require.NoError(t, err)
			cur := at(tt.from)
			for i, w := range tt.want {
				cur = s.Next(cur)
				assert.Equal(t, at(w).UTC().Format(time.RFC3339), cur.UTC().Format(time.RFC3339), "activation %d", i)
			}
		})
	}
}

func TestNextInTimeZone(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	s, err := ParseIn("30 2 * * *", ny)
	require.NoError(t, err)
	// 2026-03-08: clocks go from 02:00 to 03:00 in New York; 02:30 does
	// not exist that day, so that day does not run.
	got := s.Next(at("2026-03-07T12:00:00Z"))
	assert.Equal(t, "2026-03-09T06:30:00Z", got.UTC().Format(time.RFC3339))
	// Seoul has no DST: 09:00 KST is 00:00 UTC.
	seoul, err := time.LoadLocation("Asia/Seoul")
	require.NoError(t, err)
	s, err = ParseIn("0 9 * * *", seoul)
	require.NoError(t, err)
	assert.Equal(t, "2026-07-02T00:00:00Z", s.Next(at("2026-07-01T00:00:00Z")).UTC().Format(time.RFC3339))
	// The answer is in the caller's location.
	assert.Equal(t, time.UTC, s.Next(at("2026-07-01T00:00:00Z")).Location())
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ spec, want string }{
		{"", "empty spec string"},
		{"* * * *", "expected exactly 5 fields, found 4: [* * * *]"},
		{"* * * * * *", "expected exactly 5 fields, found 6: [* * * * * *]"},
		{"hello", "expected exactly 5 fields, found 1: [hello]"},
		{"60 * * * *", "end of range (60) above maximum (59): 60"},
		{"* 24 * * *", "end of range (24) above maximum (23): 24"},
		{"* * 0 * *", "beginning of range (0) below minimum (1): 0"},
		{"* * 32 * *", "end of range (32) above maximum (31): 32"},
		{"* * * 13 *", "end of range (13) above maximum (12): 13"},
		{"* * * * 7", "end of range (7) above maximum (6): 7"},
		{"5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1"},
		{"*/0 * * * *", "step of range should be a positive number: */0"},
		{"1-2-3 * * * *", "too many hyphens: 1-2-3"},
		{"*/2/3 * * * *", "too many slashes: */2/3"},
		{"x * * * *", `failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax`},
		{"* * * FOO *", `failed to parse int from FOO: strconv.Atoi: parsing "FOO": invalid syntax`},
		{"* * * * MON-FOO", `failed to parse int from FOO: strconv.Atoi: parsing "FOO": invalid syntax`},
		{"@fortnightly", "unrecognized descriptor: @fortnightly"},
		{"@every", "unrecognized descriptor: @every"},
		{"@every forever", `failed to parse duration @every forever: time: invalid duration "forever"`},
		{"TZ=Mars/Olympus * * * * *", "provided bad location Mars/Olympus: unknown time zone Mars/Olympus"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			_, err := Parse(tt.spec)
			require.Error(t, err)
			assert.Equal(t, tt.want, err.Error())
		})
	}
}

func TestEveryRoundsToSeconds(t *testing.T) {
	s, err := Parse("@every 1500ms")
	require.NoError(t, err)
	assert.Equal(t, Every{Delay: time.Second}, s)
	s, err = Parse("@every 0s")
	require.NoError(t, err)
	assert.Equal(t, Every{Delay: time.Second}, s)
}

func TestEmptyListItemsAreSkipped(t *testing.T) {
	a, err := Parse("1,,2 * * * *")
	require.NoError(t, err)
	b, err := Parse("1,2 * * * *")
	require.NoError(t, err)
	assert.Equal(t, b, a)
}

func BenchmarkNextYearly(b *testing.B) {
	s, _ := Parse("0 0 29 2 *")
	t := at("2026-03-01T00:00:00Z")
	for i := 0; i < b.N; i++ {
		s.Next(t)
	}
}
