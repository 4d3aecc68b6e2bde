package cron

import (
	"testing"
	"time"
)

// FuzzCronSchedule: any schedule text gives a schedule or an error with a
// message, never a panic; a five-field schedule's activations are whole
// minutes, strictly increasing, and each one matches its fields.
func FuzzCronSchedule(f *testing.F) {
	for _, s := range []string{
		"* * * * *", "*/5 * * * *", "0 0 13 * 5", "0 9-17/2 * JAN-MAR mon-fri", "@hourly", "@every 1h30m",
		"@every -1s", "TZ=UTC * * * * *", "CRON_TZ=Asia/Seoul 0 9 * * *", "TZ=", "59 23 31 2 *", "1,,2 ? ? * ?",
		"5/999999999999999999 * * * *", "59/9223372036854775807 * * * *", "", " ", "@", "*-5/2 * * * *",
	} {
		f.Add(s)
	}
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, spec string) {
		s, err := Parse(spec)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("%q: an error without a message", spec)
			}
			return
		}
		sp, ok := s.(*Spec)
		cur := from
		for i := 0; i < 3; i++ {
			next := s.Next(cur)
			if next.IsZero() {
				return
			}
			if !next.After(cur) {
				t.Fatalf("%q: Next(%v) = %v, not after", spec, cur, next)
			}
			if ok {
				l := next.In(sp.Location)
				if l.Second() != 0 || l.Nanosecond() != 0 || !has(sp.Minute, l.Minute()) || !has(sp.Hour, l.Hour()) ||
					!has(sp.Month, int(l.Month())) || !sp.dayMatches(l) {
					t.Fatalf("%q: Next(%v) = %v does not match the fields", spec, cur, l)
				}
			}
			cur = next
		}
	})
}
