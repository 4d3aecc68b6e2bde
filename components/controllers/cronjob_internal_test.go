package controllers

import (
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/api/cron"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMostRecentScheduleTime(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 10, 0, 30, 0, time.UTC) // created
	tests := []struct {
		name       string
		schedule   string
		last       *time.Time
		deadline   *int64
		now        time.Time
		want       string // "" for none
		wantMissed int64
		wantDelay  time.Duration
	}{
		{name: "before the first time", schedule: "* * * * *", now: t0.Add(10 * time.Second), want: "", wantDelay: 20*time.Second + 100*time.Millisecond},
		{name: "the first time", schedule: "* * * * *", now: t0.Add(30 * time.Second), want: "2026-01-01T10:01:00Z", wantDelay: 60*time.Second + 100*time.Millisecond},
		{name: "three missed: the latest", schedule: "* * * * *", now: t0.Add(3*time.Minute + 40*time.Second), want: "2026-01-01T10:04:00Z", wantMissed: 4, wantDelay: 50*time.Second + 100*time.Millisecond},
		{name: "from the last schedule time", schedule: "*/10 * * * *", last: ptrTime(time.Date(2026, 1, 1, 10, 10, 0, 0, time.UTC)), now: time.Date(2026, 1, 1, 10, 15, 0, 0, time.UTC), want: ""},
		{name: "uneven intervals", schedule: "30 6-16/4 * * 1-5", now: time.Date(2026, 1, 9, 12, 0, 0, 0, time.UTC), want: "2026-01-09T10:30:00Z", wantMissed: 49},
		{name: "a deadline bounds the look back", schedule: "* * * * *", deadline: ptrInt64(90), now: t0.Add(300 * time.Minute), want: "2026-01-01T15:00:00Z", wantMissed: 0},
		{name: "more than 100 missed", schedule: "* * * * *", now: t0.Add(200 * time.Minute), want: "2026-01-01T13:20:00Z", wantMissed: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cj := &api.CronJob{ObjectMeta: api.ObjectMeta{CreationTimestamp: api.NewTime(t0)}, Spec: api.CronJobSpec{StartingDeadlineSeconds: tt.deadline}}
			if tt.last != nil {
				lt := api.NewTime(*tt.last)
				cj.Status.LastScheduleTime = &lt
			}
			s, err := cron.Parse(tt.schedule)
			require.NoError(t, err)
			got, missed, err := mostRecentScheduleTime(cj, tt.now, s, true)
			require.NoError(t, err)
			if tt.want == "" {
				assert.Nil(t, got)
			} else {
				require.NotNil(t, got)
				assert.Equal(t, tt.want, got.UTC().Format(time.RFC3339))
			}
			assert.Equal(t, tt.wantMissed, missed)
			if tt.wantDelay != 0 {
				assert.Equal(t, tt.wantDelay, nextScheduleDelay(cj, tt.now, s))
			}
		})
	}
}

func ptrTime(t time.Time) *time.Time { return &t }
func ptrInt64(v int64) *int64        { return &v }
