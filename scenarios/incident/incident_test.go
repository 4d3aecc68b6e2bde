package incident

import (
	"fmt"
	"testing"
	"time"

	"github.com/kubesim/kubesim/scenarios/drill"
	"github.com/kubesim/kubesim/scenarios/library"
	"github.com/kubesim/kubesim/scenarios/narrate"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func load(t *testing.T, name string) *drill.Drill {
	t.Helper()
	d, ok, err := library.Load(name)
	require.True(t, ok)
	require.NoError(t, err)
	require.True(t, d.IsIncident())
	return d
}

// fixedWithin lets virtual time pass until the checks pass or limit
// passes; it reports the last report.
func fixedWithin(c *cluster.Cluster, s *Session, limit time.Duration) Report {
	var r Report
	c.WaitFor(func() bool {
		r = s.Check(c)
		return r.Passed
	}, limit)
	return r
}

func failing(r Report) []string {
	var out []string
	for _, g := range r.Grades {
		if !g.Passed {
			out = append(out, fmt.Sprintf("%s (saw %s)", g.Name, g.Saw))
		}
	}
	return out
}

// Every built-in incident: doing nothing leaves its checks failing, every
// plausible wrong fix leaves them failing, and the scripted solution makes
// them pass.
func TestEveryIncidentIsFixedByItsSolutionAndNothingElse(t *testing.T) {
	names := library.Incidents()
	require.GreaterOrEqual(t, len(names), 4)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			inc := load(t, name)
			require.NotEmpty(t, inc.WrongFixes, "an incident names at least one plausible wrong fix")

			c, err := Boot(inc, inc.Seed, nil)
			require.NoError(t, err)
			s := NewSession(inc, inc.Seed, narrate.English, c, time.Time{})
			r := s.Check(c)
			assert.False(t, r.Passed, "broken at the start")
			c.K.RunFor(10 * time.Minute)
			r = s.Check(c)
			assert.False(t, r.Passed, "doing nothing for 10 minutes fixes nothing")
			c.Stop()

			for _, fix := range inc.WrongFixes {
				c, err := Boot(inc, inc.Seed, nil)
				require.NoError(t, err)
				s := NewSession(inc, inc.Seed, narrate.English, c, time.Time{})
				drill.Apply(c, inc, fix.Steps, "en")
				r := fixedWithin(c, s, 5*time.Minute)
				assert.False(t, r.Passed, "the wrong fix %q fixes it", fix.Name)
				c.Stop()
			}

			c, err = Boot(inc, inc.Seed, nil)
			require.NoError(t, err)
			defer c.Stop()
			s = NewSession(inc, inc.Seed, narrate.English, c, time.Time{})
			for _, st := range drill.Apply(c, inc, inc.Solution.Steps, "en") {
				assert.True(t, st.OK, "solution step %d (%s): %s", st.Index+1, st.Action, st.Error)
			}
			r = fixedWithin(c, s, 5*time.Minute)
			assert.True(t, r.Passed, "the solution fixes it; still failing: %v", failing(r))
			assert.True(t, r.First)
			assert.Greater(t, r.FixedIn, time.Duration(0))
		})
	}
}

func TestTheHintLadderAndGivingUp(t *testing.T) {
	inc := load(t, "incident-coredns-scaled-to-zero")
	s := &Session{Incident: inc, Lang: narrate.Korean}
	first := s.Hint()
	assert.Contains(t, first, "힌트 1/3")
	s.Hint()
	assert.Contains(t, s.Hint(), "힌트 3/3")
	assert.Contains(t, s.Hint(), "더 이상 힌트가 없습니다")
	s.Lang = narrate.English
	g := s.GiveUp()
	assert.Contains(t, g, "Diagnosis:")
	assert.Contains(t, g, "kubectl scale deployment/coredns -n kube-system --replicas=2")
}

// Every text a trainee reads in a built-in incident is in English and
// Korean: the title, the symptom, every check's name, every hint, the
// diagnosis.
func TestEveryIncidentSpeaksKorean(t *testing.T) {
	for _, name := range library.Incidents() {
		inc := load(t, name)
		texts := map[string]drill.Text{"title": inc.Title, "symptom": inc.Symptom, "diagnosis": inc.Solution.Diagnosis}
		for i, c := range inc.Checks {
			texts[fmt.Sprintf("checks[%d].name", i)] = c.Name
		}
		for i, h := range inc.Hints {
			texts[fmt.Sprintf("hints[%d]", i)] = h
		}
		for field, tx := range texts {
			assert.NotEmpty(t, tx.En, "%s: %s in English", name, field)
			assert.Regexp(t, `\p{Hangul}`, tx.Ko, "%s: %s in Korean", name, field)
		}
	}
}
