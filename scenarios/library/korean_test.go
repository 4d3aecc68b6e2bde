package library

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/kubesim/kubesim/scenarios/drill"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func hangul(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Hangul, r) {
			return true
		}
	}
	return false
}

var (
	stepLine  = regexp.MustCompile(`^\[[^\]]*\] 단계 \d+: (.*)$`)
	gradeLine = regexp.MustCompile(`^ {4,}(통과|실패) (.*) \(줄 \d+\): 기대: (.*); 관찰: `)
)

// Under --lang ko every text a trainee reads is Korean: the drill's own
// texts (title, description, step titles, narration, expectation names,
// hints, questions), and what the runner prints around them (step titles
// of unnamed steps, what each expectation wanted, the verdicts). Commands,
// object names and what components printed stay as they are.
func TestEveryBuiltInDrillIsKoreanUnderLangKo(t *testing.T) {
	for _, name := range Names() {
		d, _, err := Load(name)
		require.NoError(t, err)
		if d.IsIncident() {
			continue // incidents have their own texts (package incident)
		}
		t.Run(name, func(t *testing.T) {
			total, korean := 0, 0
			count := func(where, en, ko string) {
				if en == "" {
					return
				}
				total++
				if hangul(ko) {
					korean++
				} else {
					t.Errorf("%s: no Korean for %q (got %q)", where, en, ko)
				}
			}
			texts := func(where string, t drill.Text) { count(where, t.En, t.Ko) }
			texts("title", d.Title)
			texts("description", d.Description)
			for _, h := range d.Hints {
				texts("hint", h)
			}
			for _, q := range d.Questions {
				texts("question", q)
			}
			for i, s := range d.Steps {
				texts("step name", s.Name)
				texts("step narration", s.Narrate)
				for _, e := range s.Expect {
					texts("expectation name", e.Name)
				}
				if s.Wait != nil {
					texts("wait name", s.Wait.Name)
				}
				_ = i
			}
			for _, e := range d.Expect {
				texts("expectation name", e.Name)
			}

			var out bytes.Buffer
			res, err := drill.Run(d, drill.Options{Lang: "ko", Out: &out})
			require.NoError(t, err)
			require.True(t, res.Passed)
			lines := strings.Split(out.String(), "\n")
			steps, grades := 0, 0
			for _, l := range lines {
				if m := stepLine.FindStringSubmatch(l); m != nil {
					steps++
					count("step title", m[1], m[1])
				}
				if m := gradeLine.FindStringSubmatch(l); m != nil {
					grades++
					count("verdict", m[1], m[1])
					count("graded name", m[2], m[2])
					count("what was wanted", m[3], m[3])
				}
			}
			assert.Equal(t, len(d.Steps), steps, "every step is shown with a Korean title")
			assert.Contains(t, lines, "통과", "the final verdict")
			assert.NotContains(t, out.String(), "PASS")
			assert.Equal(t, total, korean)
			t.Logf("%d of %d texts in Korean (%d steps, %d grades)", korean, total, steps, grades)
		})
	}
}
