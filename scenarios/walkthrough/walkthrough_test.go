package walkthrough

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/kubesim/kubesim/components/apiwire"
	"github.com/kubesim/kubesim/components/etcd"
	"github.com/kubesim/kubesim/scenarios/narrate"
	"github.com/kubesim/kubesim/scenarios/play"
	"github.com/kubesim/kubesim/scenarios/views"
	"github.com/kubesim/kubesim/sim"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/cursor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// view runs a view at the cursor and returns what it printed.
func view(t *testing.T, s *cursor.Session, cmd string) string {
	t.Helper()
	var out bytes.Buffer
	require.NoError(t, s.Inspect(func(w any) error {
		return views.Exec(views.Context{Cluster: w.(*cluster.Cluster), Session: s}, cmd, &out)
	}), cmd)
	return out.String()
}

// traceHash runs the session to its end and hashes every record.
func traceHash(t *testing.T, s *cursor.Session) string {
	t.Helper()
	require.NoError(t, s.Extend(1<<40))
	require.True(t, s.Done())
	require.NoError(t, s.Err())
	h := sha256.New()
	for _, e := range s.Entries(1, s.Len()) {
		fmt.Fprintln(h, e.Text())
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

// everyView is one of each view a trainee can type.
var everyView = []string{
	"get pods -A -o wide", "get nodes", "get svc -A", "get endpointslices", "describe pod web", "describe deploy,svc,node -A", "events -A",
	"logs kube-scheduler-cp-1", "actors", "iptables-save worker-1", "hubble observe worker-2 --last 5",
	"etcdctl get /registry/pods --prefix --keys-only", "etcd history /registry/pods/default/web", "trace 5", "where",
}

// Looking after every shown record, with every view, does not change the
// run: the trace is the trace of the run nobody looked at, whatever
// GOMAXPROCS is.
func TestLookingDoesNotChangeTheRun(t *testing.T) {
	for _, w := range All() {
		t.Run(w.Name, func(t *testing.T) {
			plain := cursor.Open(w.Program(1))
			defer plain.Close()
			want := traceHash(t, plain)
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
			for _, procs := range []int{1, 4} {
				runtime.GOMAXPROCS(procs)
				looked := cursor.Open(w.Program(1))
				res, err := play.Play(looked, play.Options{Out: &bytes.Buffer{}, Lang: narrate.English})
				require.NoError(t, err)
				require.NotEmpty(t, res.Shown)
				for _, r := range res.Shown {
					require.NoError(t, looked.Seek(r.N))
					for _, v := range everyView {
						var out bytes.Buffer
						_ = looked.Inspect(func(w any) error {
							return views.Exec(views.Context{Cluster: w.(*cluster.Cluster), Session: looked}, v, &out)
						})
					}
				}
				assert.Equal(t, want, traceHash(t, looked), "GOMAXPROCS=%d", procs)
				looked.Close()
			}
		})
	}
}

// findRecord returns the first record of the first flow that match holds for.
func findRecord(t *testing.T, s *cursor.Session, match func(sim.Record) bool) uint64 {
	t.Helper()
	for n := uint64(1); ; n++ {
		require.NoError(t, s.Extend(n))
		e, ok := s.Entry(n)
		require.True(t, ok, "no such record in the run")
		if match(e.Record) {
			return n
		}
	}
}

func isTxnFor(key string, create bool) func(sim.Record) bool {
	return func(r sim.Record) bool {
		b, ok := r.Body().(etcd.TxnRequest)
		if !ok || r.Event != sim.EventDeliver || len(b.Compare) == 0 || b.Compare[0].Key != key {
			return false
		}
		return (b.Compare[0].ModRevision == 0) == create
	}
}

// The view at a record is the cluster right after it: at the create's Txn
// the pod has no node, at the binding's Txn it has one, one record back it
// has none again, and the bytes are the same reached forwards or backwards.
func TestViewsShowTheStateAtTheCursor(t *testing.T) {
	s := cursor.Open(FirstFlow(1))
	defer s.Close()
	key := "/registry/pods/default/web"
	create := findRecord(t, s, isTxnFor(key, true))
	bind := findRecord(t, s, isTxnFor(key, false))
	require.Less(t, create, bind)
	unbound := regexpLine(`(?m)^web\s+0/1\s+Pending\s+0\s+\S+\s+<none>\s+<none>`)
	bound := regexpLine(`(?m)^web\s+0/1\s+Pending\s+0\s+\S+\s+<none>\s+worker-\d`)

	require.NoError(t, s.Seek(create-1))
	assert.Contains(t, view(t, s, "get pods"), "No resources found", "before the create's Txn reaches etcd there is no pod")
	require.NoError(t, s.Seek(create))
	atCreate := view(t, s, "get pods -o wide")
	assert.Regexp(t, unbound, atCreate, "at the create's Txn the pod has no node")
	require.NoError(t, s.Seek(bind))
	atBind := view(t, s, "get pods -o wide")
	assert.Regexp(t, bound, atBind, "at the binding's Txn it has one")
	require.NoError(t, s.Back(1))
	assert.Regexp(t, unbound, view(t, s, "get pods -o wide"), "one record back it has none again")

	// The same record, reached backwards (replayed) and forwards.
	require.NoError(t, s.Extend(1<<40))
	require.NoError(t, s.Seek(s.Len()))
	view(t, s, "where") // the run is now at its end
	runs := s.Runs
	require.NoError(t, s.Seek(bind))
	assert.Equal(t, atBind, view(t, s, "get pods -o wide"), "backwards")
	assert.Greater(t, s.Runs, runs, "going back replayed the run")
	require.NoError(t, s.Seek(create))
	assert.Equal(t, atCreate, view(t, s, "get pods -o wide"))
	require.NoError(t, s.Seek(bind))
	assert.Equal(t, atBind, view(t, s, "get pods -o wide"), "forwards again")
	assert.Contains(t, view(t, s, "where"), fmt.Sprintf("record #%d", bind))
}

func regexpLine(s string) string { return s }

// `changes` at the binding shows what it wrote, field by field, and
// `etcd history` lists every revision of the pod's key in order.
func TestChangesAndHistory(t *testing.T) {
	s := cursor.Open(FirstFlow(1))
	defer s.Close()
	key := "/registry/pods/default/web"
	bind := findRecord(t, s, isTxnFor(key, false))
	require.NoError(t, s.Seek(bind))
	ch := view(t, s, "changes")
	assert.Contains(t, ch, "PUT "+key)
	assert.Regexp(t, `spec.nodeName: "" -> "worker-\d"`, ch)
	assert.Contains(t, ch, `status.conditions: <none> -> [{`)

	// A stretch: from the create to the bind, both writes.
	create := findRecord(t, s, isTxnFor(key, true))
	ch = view(t, s, fmt.Sprintf("changes #%d..#%d", create, bind))
	assert.Contains(t, ch, "created with apiVersion, kind, metadata, spec, status")
	assert.Contains(t, ch, "spec.nodeName")
	// Over the same stretch the scheduler's cache took the pod: assumed on
	// its node before the bind was written.
	assert.Regexp(t, `scheduler cache \(kube-scheduler-cp-1\): \d+ line\(s\) removed, \d+ added`, ch)
	assert.Regexp(t, `\+ node worker-\d: .*default/web`, ch)

	require.NoError(t, s.Extend(1<<40))
	require.NoError(t, s.Seek(s.Len()))
	h := view(t, s, "etcd history "+key)
	lines := strings.Split(h, "\n")
	var revs []string
	for _, l := range lines {
		if f := strings.Fields(l); len(f) > 2 && f[0] == "revision" {
			revs = append(revs, f[1])
		}
	}
	require.GreaterOrEqual(t, len(revs), 4, h)
	for i := 1; i < len(revs); i++ {
		assert.Less(t, atoi(revs[i-1]), atoi(revs[i]), "revisions in order")
	}
	assert.Contains(t, h, "PUT (create, version 1")
	assert.Contains(t, h, fmt.Sprintf("written by #%d", create))
	assert.Contains(t, h, `status.phase: "Pending" -> "Running"`)

	// Bad input: one clear line each, and the cursor stays.
	pos := s.Pos()
	var out bytes.Buffer
	err := s.Inspect(func(w any) error {
		return views.Exec(views.Context{Cluster: w.(*cluster.Cluster), Session: s}, "etcd history /registry/pods/default/nope", &out)
	})
	assert.ErrorContains(t, err, "no such key")
	err = s.Inspect(func(w any) error {
		return views.Exec(views.Context{Cluster: w.(*cluster.Cluster), Session: s}, "describe pod nope", &out)
	})
	assert.ErrorContains(t, err, `pods "nope" not found`)
	err = s.Inspect(func(w any) error {
		return views.Exec(views.Context{Cluster: w.(*cluster.Cluster), Session: s}, "changes #9..#3", &out)
	})
	assert.ErrorContains(t, err, "expected #A..#B with A <= B")
	assert.Equal(t, pos, s.Pos())
}

func atoi(s string) int {
	n := 0
	fmt.Sscan(s, &n)
	return n
}

// Narration is computed from typed fields, not from the summary's words:
// rewording every summary changes no typed narration, and every record a
// checkpoint shows has one.
func TestNarrationComesFromTypedRecords(t *testing.T) {
	s := cursor.Open(FirstFlow(1))
	defer s.Close()
	res, err := play.Play(s, play.Options{Out: &bytes.Buffer{}, Lang: narrate.English})
	require.NoError(t, err)
	typed := 0
	for _, r := range res.Shown {
		if !narrate.Typed(r) {
			continue
		}
		typed++
		for _, lang := range []narrate.Lang{narrate.English, narrate.Korean} {
			line := narrate.Line(r, lang)
			assert.Equal(t, line, narrate.Line(r.WithSummary("reworded"), lang), "#%d", r.N)
			assert.NotContains(t, line, "%!", "a narration with a broken format: %s", line)
		}
	}
	assert.Equal(t, len(res.Shown), typed, "every shown record is narrated from its type")
}

// Every checkpoint of the first flow holds exactly the records its title
// names: the bind under the scheduler's step, the pipeline under apply.
func TestCheckpointsHoldTheirRecords(t *testing.T) {
	s := cursor.Open(FirstFlow(1))
	defer s.Close()
	var out bytes.Buffer
	_, err := play.Play(s, play.Options{Out: &out, Lang: narrate.English})
	require.NoError(t, err)
	stages := map[int][]cursor.Entry{}
	for _, e := range s.Entries(1, s.Len()) {
		if e.Tag != 0 {
			stages[e.Tag] = append(stages[e.Tag], e)
		}
	}
	has := func(stage int, what string, match func(e cursor.Entry) bool) {
		for _, e := range stages[stage] {
			if match(e) {
				return
			}
		}
		t.Errorf("stage %d has no %s", stage, what)
	}
	hasNone := func(stage int, what string, match func(e cursor.Entry) bool) {
		for _, e := range stages[stage] {
			if match(e) {
				t.Errorf("stage %d holds %s: %s", stage, what, e.Text())
			}
		}
	}
	kind := func(k string) func(e cursor.Entry) bool {
		return func(e cursor.Entry) bool { return e.Event == sim.EventNote && e.Kind == k }
	}
	binding := func(e cursor.Entry) bool {
		b, ok := e.Body().(*apiwire.Request)
		return ok && b.Subresource == "binding"
	}
	for _, k := range []string{"authn", "authz", "defaults", "admission", "validation"} {
		has(stageApply, k, kind(k))
	}
	has(stageApply, "the etcd Txn", func(e cursor.Entry) bool { return e.Kind == "Txn" && e.Event == sim.EventDeliver })
	has(stageApply, "etcd's commit", func(e cursor.Entry) bool { return e.Kind == "Txn" && e.Event == sim.EventReply })
	has(stageFanOut, "the watch fan-out", func(e cursor.Entry) bool { return e.Kind == apiwire.KindWatchEvent })
	has(stageSchedule, "the scheduling cycle", kind("schedule"))
	has(stageSchedule, "the bind", binding)
	hasNone(stageApply, "the bind", binding)
	hasNone(stageApply, "the scheduling cycle", kind("schedule"))
	has(stageKubelet, "the CNI ADD", func(e cursor.Entry) bool { return e.Kind == "CNI ADD" })
	has(stageKubelet, "Cilium's endpoint", kind("endpoint"))
	has(stageService, "kube-proxy's sync", kind("sync"))
	has(stageCurl, "CoreDNS's answer", func(e cursor.Entry) bool { return e.Kind == "DNS query" && e.Event == sim.EventReply })
	has(stageCurl, "Cilium's verdict", func(e cursor.Entry) bool { return e.Kind == "policy verdict" })
	text := out.String()
	assert.Less(t, strings.Index(text, "== Step 4"), strings.Index(text, "pods/web/binding"), "the bind prints under the scheduler's step")
}

// Going to a random record of the first flow: the cost of one jump.
func BenchmarkGotoFirstFlow(b *testing.B) {
	s := cursor.Open(FirstFlow(1))
	defer s.Close()
	if err := s.Extend(1 << 40); err != nil {
		b.Fatal(err)
	}
	n := s.Len()
	rng := sim.New(1).Rand("bench")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.Seek(1 + rng.Uint64N(n)); err != nil {
			b.Fatal(err)
		}
		if _, err := s.World(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n), "records")
}

// A trainee who types a view at every step prompt is shown the same
// records, in the same checkpoints, as one who only presses Enter: a view
// may replay the run, and the replay rebuilds the classifier's state.
func TestViewsAtThePromptShowTheSameRecords(t *testing.T) {
	shown := func(input string) []uint64 {
		s := cursor.Open(FirstFlow(1))
		defer s.Close()
		res, err := play.Play(s, play.Options{Out: &bytes.Buffer{}, Lang: narrate.English, Step: true, In: bufio.NewReader(strings.NewReader(input))})
		require.NoError(t, err)
		var out []uint64
		for _, r := range res.Shown {
			out = append(out, r.N)
		}
		return out
	}
	plain := shown(strings.Repeat("\n", 400))
	require.NotEmpty(t, plain)
	assert.Equal(t, plain, shown(strings.Repeat("get pods -A\nwhere\n\n", 400)))
}
