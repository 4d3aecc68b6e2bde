package printers

import (
	"fmt"
	"time"

	"github.com/kubesim/kubesim/components/api"
)

// HumanDuration renders a duration as kubectl's AGE column does: two
// significant units at most, coarser as it grows ("45s", "5m30s", "5m",
// "3h12m", "2d", "2d4h", "400d", "3y20d").
func HumanDuration(d time.Duration) string {
	// Up to a second of clock skew reads as 0s, worse as <invalid>.
	if seconds := int(d.Seconds()); seconds < -1 {
		return "<invalid>"
	} else if seconds < 0 {
		return "0s"
	} else if seconds < 60*2 {
		return fmt.Sprintf("%ds", seconds)
	}
	minutes := int(d / time.Minute)
	if minutes < 10 {
		if s := int(d/time.Second) % 60; s != 0 {
			return fmt.Sprintf("%dm%ds", minutes, s)
		}
		return fmt.Sprintf("%dm", minutes)
	}
	if minutes < 60*3 {
		return fmt.Sprintf("%dm", minutes)
	}
	hours := int(d / time.Hour)
	if hours < 8 {
		if m := int(d/time.Minute) % 60; m != 0 {
			return fmt.Sprintf("%dh%dm", hours, m)
		}
		return fmt.Sprintf("%dh", hours)
	}
	if hours < 48 {
		return fmt.Sprintf("%dh", hours)
	}
	if hours < 24*8 {
		if h := hours % 24; h != 0 {
			return fmt.Sprintf("%dd%dh", hours/24, h)
		}
		return fmt.Sprintf("%dd", hours/24)
	}
	if hours < 24*365*2 {
		return fmt.Sprintf("%dd", hours/24)
	}
	if hours < 24*365*8 {
		if dy := (hours / 24) % 365; dy != 0 {
			return fmt.Sprintf("%dy%dd", hours/24/365, dy)
		}
		return fmt.Sprintf("%dy", hours/24/365)
	}
	return fmt.Sprintf("%dy", hours/24/365)
}

// Age is the AGE of a timestamp at now; "<unknown>" when it is not set.
func Age(t api.Time, now time.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return HumanDuration(now.Sub(t.Time))
}

func microAge(t api.MicroTime, now time.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return HumanDuration(now.Sub(t.Time))
}
