package play

import (
	"regexp"
	"strings"
	"testing"

	"github.com/kubesim/kubesim/scenarios/views"
	"github.com/stretchr/testify/assert"
)

// commands lists the commands a help text documents: the first word of
// every indented line that starts with one.
func commands(help string) []string {
	var out []string
	re := regexp.MustCompile(`^  ([a-z#<][\w/<>#.-]*)`)
	for _, l := range strings.Split(help, "\n") {
		if m := re.FindStringSubmatch(l); m != nil {
			out = append(out, m[1])
		}
	}
	return out
}

// The Korean help documents the same commands as the English one, and is
// Korean.
func TestKoreanHelpDocumentsTheSameCommands(t *testing.T) {
	hangul := regexp.MustCompile(`\p{Hangul}`)
	for _, tt := range []struct{ name, en, ko string }{
		{"step", StepHelpFor("en"), StepHelpFor("ko")},
		{"nav", NavHelpFor("en"), NavHelpFor("ko")},
		{"views", views.HelpFor("en"), views.HelpFor("ko")},
		{"until", views.ConditionHelpFor("en"), views.ConditionHelpFor("ko")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assert.NotEmpty(t, commands(tt.en))
			assert.Equal(t, commands(tt.en), commands(tt.ko))
			assert.Regexp(t, hangul, tt.ko)
			assert.NotRegexp(t, hangul, tt.en)
		})
	}
}
