package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/kubesim/kubesim/scenarios/web"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func kubesim(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), code
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create %s", path)
	assert.Equal(t, string(want), got)
}

func TestRunFirstFlowGolden(t *testing.T) {
	for _, lang := range []string{"en", "ko"} {
		out, errOut, code := kubesim(t, "", "run", "--lang", lang)
		require.Equal(t, 0, code, errOut)
		golden(t, "first-flow."+lang+".txt", out)
	}
}

func TestTraceExportsGolden(t *testing.T) {
	for _, f := range []string{"text", "jsonl", "mermaid"} {
		out, errOut, code := kubesim(t, "", "trace", "--format", f)
		require.Equal(t, 0, code, errOut)
		golden(t, "first-flow.trace."+f, out)
	}
}

func TestSameSeedSameOutputWhateverGOMAXPROCS(t *testing.T) {
	want, _, _ := kubesim(t, "", "trace", "--seed", "7", "--format", "jsonl")
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 4} {
		runtime.GOMAXPROCS(procs)
		for i := 0; i < 3; i++ {
			got, _, _ := kubesim(t, "", "trace", "--seed", "7", "--format", "jsonl")
			require.Equal(t, want, got, "GOMAXPROCS=%d run %d", procs, i)
		}
	}
}

func TestStepModeFollowsInput(t *testing.T) {
	// Enter twice, then run to the next checkpoint, then quit.
	out, _, code := kubesim(t, "\n\nc\nq\n", "run", "--step")
	require.Equal(t, 0, code)
	assert.Equal(t, 4, strings.Count(out, "[Enter: next,"), "Enter, Enter, c (runs to the checkpoint), then q at the first event after it")
	assert.Contains(t, out, "== Step 2: kubectl apply -f web-pod.yaml")
	assert.NotContains(t, out, "== What happened", "q stops the walkthrough")

	// End of input quits too.
	out, _, code = kubesim(t, "", "run", "--step")
	require.Equal(t, 0, code)
	assert.Equal(t, 1, strings.Count(out, "[Enter: next,"))
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"no command", nil, 2, "Usage:"},
		{"unknown command", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"unknown walkthrough", []string{"run", "nope"}, 2, `no walkthrough or drill named "nope"`},
		{"a typo gets a suggestion", []string{"run", "schedular-down"}, 2, `did you mean "scheduler-down"?`},
		{"trace of a typo", []string{"trace", "first-flw"}, 2, `did you mean "first-flow"?`},
		{"drill file with a typo", []string{"run", "testdata/typo-drill.yaml"}, 2, `testdata/typo-drill.yaml:4:5: steps[0].kil: unknown field "kil"`},
		{"bad language", []string{"run", "--lang", "fr"}, 2, `unknown language "fr": expected en or ko`},
		{"bad format", []string{"trace", "--format", "xml"}, 2, `unknown trace format "xml": expected text, jsonl, mermaid or html`},
		{"html only for trace", []string{"run", "--trace-out", "x.html", "--format", "html"}, 2, `unknown trace format "html": expected text, jsonl or mermaid`},
		{"bad flag", []string{"run", "--sped"}, 2, "flag provided but not defined: -sped"},
		{"unknown component", []string{"explain", "kube-dns"}, 2, `unknown component "kube-dns"`},
		{"help", []string{"run", "--help"}, 0, "Usage: kubesim run"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := kubesim(t, "", tt.args...)
			assert.Equal(t, tt.wantCode, code)
			assert.Contains(t, errOut, tt.wantErr)
		})
	}
}

func TestListAndExplain(t *testing.T) {
	out, _, code := kubesim(t, "", "list")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "first-flow")
	out, _, code = kubesim(t, "", "explain", "kube-apiserver", "--lang", "ko")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "유일한 진입점")
}

func TestRunDrillsGradesAndExitCodes(t *testing.T) {
	dir := t.TempDir()
	out, errOut, code := kubesim(t, "", "run", "controller-manager-down", "--report", dir+"/r.txt", "--report-json", dir+"/r.json")
	require.Equal(t, 0, code, errOut+out)
	assert.Contains(t, out, "PASS the controller creates the missing ServiceAccount")
	txt, err := os.ReadFile(dir + "/r.txt")
	require.NoError(t, err)
	assert.Contains(t, string(txt), "drill controller-manager-down (library/controller-manager-down.yaml, seed 1): PASSED")
	js, err := os.ReadFile(dir + "/r.json")
	require.NoError(t, err)
	assert.Contains(t, string(js), `"passed": true`)

	out, _, code = kubesim(t, "", "run", "testdata/failing-drill.yaml", "--report", dir+"/f.txt")
	assert.Equal(t, 1, code, "a failed expectation exits non-zero")
	assert.Contains(t, out, "FAILED")
	txt, err = os.ReadFile(dir + "/f.txt")
	require.NoError(t, err)
	assert.Contains(t, string(txt), `want namespace/default status.phase = "Terminating"; saw "Active"`)
	assert.Contains(t, string(txt), "last trace lines:")
}

func TestViewsAtThePromptAndAfterTheRun(t *testing.T) {
	out, _, code := kubesim(t, "c\nc\nget nodes\nq\n", "run", "--step")
	require.Equal(t, 0, code)
	assert.Regexp(t, `NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION`, out)
	assert.Contains(t, out, "worker-1   Ready")

	out, _, code = kubesim(t, "", "run", "--show", "get pods -o wide", "--show", "describe pod web")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "$ kubectl get pods -o wide")
	assert.Regexp(t, `web\s+1/1\s+Running`, out)
	assert.Contains(t, out, "Successfully assigned default/web to")

	out, _, code = kubesim(t, "", "run", "scheduler-down", "--show", "get pods", "--show", "bogus")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "$ kubectl get pods")
	assert.Contains(t, out, "not a view command")
}

func TestDrillStepMode(t *testing.T) {
	// Run steps 1 and 2, look at the pods, then run the rest.
	out, _, code := kubesim(t, "\n\nget pods\nc\n", "run", "scheduler-down", "--step")
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "[step 1 of 3")
	assert.Regexp(t, `web\s+0/1\s+Pending`, out, "the trainee looked at the pods before the scheduler came back")
	assert.Contains(t, out, "PASSED")

	out, _, code = kubesim(t, "q\n", "run", "scheduler-down", "--step")
	assert.Equal(t, 1, code, "a drill stopped early is not a pass")
	assert.Contains(t, out, "stopped before the end")
}

func TestTraceHTML(t *testing.T) {
	for _, name := range []string{"first-flow", "scheduler-down"} {
		t.Run(name, func(t *testing.T) {
			out, errOut, code := kubesim(t, "", "trace", name, "--format", "html")
			require.Equal(t, 0, code, errOut)
			assert.True(t, strings.HasPrefix(out, "<!DOCTYPE html>"), "a page")
			d, err := web.UnpackData([]byte(out))
			require.NoError(t, err, "with the run's data inline")
			assert.Equal(t, name, d.Name)
			assert.NotEmpty(t, d.Records)
			assert.Contains(t, out, "connect-src 'none'")
		})
	}
	_, errOut, code := kubesim(t, "", "trace", "no-such-run", "--format", "html")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, `no walkthrough or drill named "no-such-run"`)
}
