// Package cron parses the schedule of a batch/v1 CronJob and computes its
// activation times, as kube-controller-manager's CronJob controller and
// kube-apiserver's validation read spec.schedule (v1.32, which parse it
// with the "standard" cron dialect):
//
//   - five fields: minute (0-59), hour (0-23), day of month (1-31), month
//     (1-12 or JAN-DEC) and day of week (0-6 or SUN-SAT), each a
//     comma-separated list of "*", "?", a value, a range "a-b", and an
//     optional step "/n" ("*/15", "1-30/5", "5/10" meaning "5-max/10");
//     names are case-insensitive;
//   - the descriptors @yearly (@annually), @monthly, @weekly, @daily
//     (@midnight), @hourly and "@every <duration>" (a Go duration, at least
//     a second);
//   - a "TZ=<zone> " or "CRON_TZ=<zone> " prefix, which the parser accepts
//     but kube-apiserver's validation rejects (use spec.timeZone).
//
// As in standard cron, when both day of month and day of week are
// restricted (neither is "*" or "?"), a day matches if either matches;
// when one of them is "*" the other alone decides.
//
// Error texts are the ones kube-apiserver prints after
// `spec.schedule: Invalid value: "...": `.
//
// Time zones come from Go's time.LoadLocation, with the standard library's
// embedded tzdata (time/tzdata) as the fallback on machines without
// /usr/share/zoneinfo. The system database is preferred when present, so
// two machines with different tzdata releases may disagree about a zone
// whose rules changed between them; on one machine, results are always
// the same.
//
// The package holds no state and reads no clock: Next is a pure function
// of its argument.
package cron

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // zones on machines without a zoneinfo database
)

// Schedule computes activation times.
type Schedule interface {
	// Next is the first activation strictly after t, in t's location, or
	// the zero time if there is none within five years.
	Next(t time.Time) time.Time
}

// field bounds.
type bounds struct {
	name     string
	min, max int
	names    map[string]int
}

var (
	minutes = bounds{"minute", 0, 59, nil}
	hours   = bounds{"hour", 0, 23, nil}
	doms    = bounds{"day of month", 1, 31, nil}
	months  = bounds{"month", 1, 12, map[string]int{
		"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
		"jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
	}}
	dows = bounds{"day of week", 0, 6, map[string]int{
		"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6,
	}}
)

// Spec is a parsed five-field schedule: one bit per allowed value.
type Spec struct {
	Minute, Hour, Dom, Month, Dow uint64
	// DomStar and DowStar record a "*" or "?" day field: the other day
	// field then decides alone.
	DomStar, DowStar bool
	// Location is the zone the fields are read in.
	Location *time.Location
}

// Every runs at a fixed interval from the time it is asked about.
type Every struct {
	Delay time.Duration
}

// Next implements Schedule: t plus the delay, on a whole second.
func (e Every) Next(t time.Time) time.Time {
	return t.Add(e.Delay - time.Duration(t.Nanosecond()))
}

// Parse reads a schedule evaluated in UTC unless it carries a TZ= prefix.
// kubesim's kube-controller-manager runs in UTC, so a CronJob without
// spec.timeZone is read in UTC.
func Parse(spec string) (Schedule, error) { return ParseIn(spec, time.UTC) }

// ParseIn reads a schedule evaluated in loc (a TZ= prefix overrides it).
func ParseIn(spec string, loc *time.Location) (Schedule, error) {
	if spec == "" {
		return nil, fmt.Errorf("empty spec string")
	}
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		eq := strings.Index(spec, "=")
		sp := strings.Index(spec, " ")
		if sp < 0 {
			return nil, fmt.Errorf("expected exactly 5 fields, found 0: []")
		}
		name := spec[eq+1 : sp]
		l, err := time.LoadLocation(name)
		if err != nil {
			return nil, fmt.Errorf("provided bad location %s: %v", name, err)
		}
		loc = l
		spec = strings.TrimSpace(spec[sp:])
	}
	if strings.HasPrefix(spec, "@") {
		return descriptor(spec, loc)
	}
	fields := strings.Fields(spec)
	if len(fields) != 5 {
		return nil, fmt.Errorf("expected exactly 5 fields, found %d: %v", len(fields), fields)
	}
	s := &Spec{Location: loc}
	var err error
	var star bool
	if s.Minute, _, err = parseField(fields[0], minutes); err != nil {
		return nil, err
	}
	if s.Hour, _, err = parseField(fields[1], hours); err != nil {
		return nil, err
	}
	if s.Dom, star, err = parseField(fields[2], doms); err != nil {
		return nil, err
	}
	s.DomStar = star
	if s.Month, _, err = parseField(fields[3], months); err != nil {
		return nil, err
	}
	if s.Dow, star, err = parseField(fields[4], dows); err != nil {
		return nil, err
	}
	s.DowStar = star
	return s, nil
}

func span(lo, hi, step int) uint64 {
	var b uint64
	for v := lo; v <= hi; v += step {
		b |= 1 << uint(v)
		if step > hi-v {
			break // the next value is past hi (and v+step could overflow)
		}
	}
	return b
}

func descriptor(d string, loc *time.Location) (Schedule, error) {
	all := func(b bounds) uint64 { return span(b.min, b.max, 1) }
	s := &Spec{Minute: 1, Hour: 1, Dom: all(doms), Month: all(months), Dow: all(dows), DomStar: true, DowStar: true, Location: loc}
	switch d {
	case "@yearly", "@annually":
		s.Dom, s.Month, s.DomStar = 1<<1, 1<<1, false
	case "@monthly":
		s.Dom, s.DomStar = 1<<1, false
	case "@weekly":
		s.Dow, s.DowStar = 1<<0, false
	case "@daily", "@midnight":
	case "@hourly":
		s.Hour = all(hours)
	default:
		const every = "@every "
		if !strings.HasPrefix(d, every) {
			return nil, fmt.Errorf("unrecognized descriptor: %s", d)
		}
		dur, err := time.ParseDuration(d[len(every):])
		if err != nil {
			return nil, fmt.Errorf("failed to parse duration %s: %s", d, err)
		}
		if dur < time.Second {
			dur = time.Second
		}
		return Every{Delay: dur - dur%time.Second}, nil
	}
	return s, nil
}

// parseField reads a comma-separated list of ranges; empty list items are
// skipped, as the real parser does. star reports a field that is "*" or
// "?" (with no step above 1).
func parseField(f string, b bounds) (bits uint64, star bool, err error) {
	for _, part := range strings.Split(f, ",") {
		if part == "" {
			continue
		}
		v, s, err := parseRange(part, b)
		if err != nil {
			return 0, false, err
		}
		bits |= v
		star = star || s
	}
	return bits, star, nil
}

func parseRange(expr string, b bounds) (uint64, bool, error) {
	rangeStep := strings.Split(expr, "/")
	lowHigh := strings.Split(rangeStep[0], "-")
	single := len(lowHigh) == 1
	var lo, hi int
	star := false
	if lowHigh[0] == "*" || lowHigh[0] == "?" {
		lo, hi, star = b.min, b.max, true
	} else {
		var err error
		if lo, err = value(lowHigh[0], b); err != nil {
			return 0, false, err
		}
		switch len(lowHigh) {
		case 1:
			hi = lo
		case 2:
			if hi, err = value(lowHigh[1], b); err != nil {
				return 0, false, err
			}
		default:
			return 0, false, fmt.Errorf("too many hyphens: %s", expr)
		}
	}
	step := 1
	switch len(rangeStep) {
	case 1:
	case 2:
		var err error
		if step, err = number(rangeStep[1]); err != nil {
			return 0, false, err
		}
		if single {
			hi = b.max // "N/step" is "N-max/step"
		}
		if step > 1 {
			star = false
		}
	default:
		return 0, false, fmt.Errorf("too many slashes: %s", expr)
	}
	switch {
	case lo < b.min:
		return 0, false, fmt.Errorf("beginning of range (%d) below minimum (%d): %s", lo, b.min, expr)
	case hi > b.max:
		return 0, false, fmt.Errorf("end of range (%d) above maximum (%d): %s", hi, b.max, expr)
	case lo > hi:
		return 0, false, fmt.Errorf("beginning of range (%d) beyond end of range (%d): %s", lo, hi, expr)
	case step == 0:
		return 0, false, fmt.Errorf("step of range should be a positive number: %s", expr)
	}
	return span(lo, hi, step), star, nil
}

func value(s string, b bounds) (int, error) {
	if v, ok := b.names[strings.ToLower(s)]; ok {
		return v, nil
	}
	return number(s)
}

func number(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("failed to parse int from %s: %s", s, err)
	}
	if n < 0 {
		return 0, fmt.Errorf("negative number (%d) not allowed: %s", n, s)
	}
	return n, nil
}

func has(bits uint64, v int) bool { return bits&(1<<uint(v)) != 0 }

// dayMatches applies standard cron's day rule: with both day fields
// restricted, either may match; otherwise both must (one is "*").
func (s *Spec) dayMatches(t time.Time) bool {
	dom, dow := has(s.Dom, t.Day()), has(s.Dow, int(t.Weekday()))
	if s.DomStar || s.DowStar {
		return dom && dow
	}
	return dom || dow
}

// Next implements Schedule. It walks the calendar in the schedule's zone —
// days that match, then their hours and minutes in order — and returns
// the first wall time after t. A wall time that does not exist (skipped
// when clocks go forward) does not run; one that occurs twice when clocks
// go back runs once, at the instant Go's time.Date picks.
func (s *Spec) Next(t time.Time) time.Time {
	loc := s.Location
	if loc == nil {
		loc = time.UTC
	}
	if s.Minute == 0 || s.Hour == 0 || s.Month == 0 || (s.Dom == 0 && s.Dow == 0) {
		return time.Time{} // a field that allows nothing ("," alone)
	}
	local := t.In(loc)
	day := time.Date(local.Year(), local.Month(), local.Day(), 12, 0, 0, 0, loc)
	limit := local.Year() + 5
	for ; day.Year() <= limit; day = day.AddDate(0, 0, 1) {
		if !has(s.Month, int(day.Month())) {
			// Jump to the first day of the next month.
			day = time.Date(day.Year(), day.Month()+1, 1, 12, 0, 0, 0, loc).AddDate(0, 0, -1)
			continue
		}
		if !s.dayMatches(day) {
			continue
		}
		y, mo, d := day.Date()
		for h := 0; h < 24; h++ {
			if !has(s.Hour, h) {
				continue
			}
			for m := 0; m < 60; m++ {
				if !has(s.Minute, m) {
					continue
				}
				c := time.Date(y, mo, d, h, m, 0, 0, loc)
				if c.Hour() != h || c.Minute() != m || c.Day() != d {
					continue // this wall time does not exist that day
				}
				if c.After(t) {
					return c.In(t.Location())
				}
			}
		}
	}
	return time.Time{}
}
