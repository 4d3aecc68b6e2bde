package web

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"sync"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/scenarios/walkthrough"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/sim/cursor"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var (
	firstFlowOnce sync.Once
	firstFlowData *Data
	firstFlowErr  error
)

// firstFlow is the page data of the first flow, built once per test run.
func firstFlow(t *testing.T) *Data {
	t.Helper()
	firstFlowOnce.Do(func() {
		w, ok := walkthrough.Find("first-flow")
		if !ok {
			firstFlowErr = assert.AnError
			return
		}
		firstFlowData, firstFlowErr = Build(Run{Name: w.Name, Title: w.Title, Seed: 1}, w.Program(1))
	})
	require.NoError(t, firstFlowErr)
	return firstFlowData
}

// bindingOf is the record that bound a pod: the first write of it with a
// node.
func bindingOf(t *testing.T, d *Data, ns, name string) Write {
	t.Helper()
	for _, w := range d.Writes {
		if w.Pod != nil && w.Pod.Namespace == ns && w.Pod.Name == name && w.Pod.Node != "" {
			return w
		}
	}
	t.Fatalf("no write binds %s/%s", ns, name)
	return Write{}
}

func TestBuildLeavesTheTraceAsItWas(t *testing.T) {
	d := firstFlow(t)
	w, _ := walkthrough.Find("first-flow")
	s := cursor.Open(w.Program(1))
	defer s.Close()
	_, err := s.Until(func(any) bool { return false }, 0)
	require.NoError(t, err)
	require.True(t, s.Done())
	require.Equal(t, int(s.Len()), len(d.Records), "the page has every record of the run")
	for i, e := range s.Entries(1, s.Len()) {
		r := d.Records[i]
		got := []any{r.N, r.T, r.Event, r.From, r.To, r.Kind, r.Sum, r.Tag, r.Rev}
		want := []any{e.N, int64(e.Time), string(e.Event), e.From, e.To, e.Kind, e.Summary(), e.Tag, e.Probe}
		if !assert.Equal(t, want, got, "record #%d", e.N) {
			break
		}
	}
}

func TestWritesAreInRevisionOrderAndBelongToTheirPause(t *testing.T) {
	d := firstFlow(t)
	require.NotEmpty(t, d.Writes)
	for i, w := range d.Writes {
		if i > 0 {
			// A transaction's writes share one revision.
			require.GreaterOrEqual(t, w.Rev, d.Writes[i-1].Rev, "revisions rise")
		}
		idx := d.RecordIndex(w.N)
		require.GreaterOrEqual(t, idx, 0, "write %d names record #%d", w.Rev, w.N)
		assert.GreaterOrEqual(t, d.Records[idx].Rev, w.Rev, "record #%d's state includes revision %d", w.N, w.Rev)
		if idx > 0 {
			assert.Less(t, d.Records[idx-1].Rev, w.Rev, "the record before #%d did not have revision %d yet", w.N, w.Rev)
		}
	}
}

// The state the page computes at a record is the state the cursor shows
// there, forwards and backwards.
func TestStateAtARecordIsTheCursorsState(t *testing.T) {
	d := firstFlow(t)
	bind := bindingOf(t, d, "default", "web")
	w, _ := walkthrough.Find("first-flow")
	s := cursor.Open(w.Program(1))
	defer s.Close()
	var checked []uint64
	for _, wr := range d.Writes {
		if wr.Key == "/registry/pods/default/web" {
			checked = append(checked, wr.N-1, wr.N)
		}
	}
	require.Contains(t, checked, bind.N)
	// Forwards, then backwards (the cursor replays).
	order := append(append([]uint64(nil), checked...), reverse(checked)...)
	for _, n := range order {
		require.NoError(t, s.Seek(n))
		require.NoError(t, s.Inspect(func(world any) error {
			c := world.(*cluster.Cluster)
			page := d.WriteAt("/registry/pods/default/web", n)
			obj, err := c.StoredObject("pods", "default", "web")
			if page == nil {
				assert.Error(t, err, "#%d: the page has no web pod, the cluster does", n)
				return nil
			}
			require.NoError(t, err, "#%d: the page has the web pod, the cluster does not", n)
			p := obj.(*api.Pod)
			assert.Equal(t, p.Spec.NodeName, page.Pod.Node, "#%d node", n)
			assert.Equal(t, string(p.Status.Phase), page.Pod.Phase, "#%d phase", n)
			assert.Equal(t, p.Status.PodIP, page.Pod.IP, "#%d IP", n)
			assert.Equal(t, p.ResourceVersion, itoa(page.Rev), "#%d revision", n)
			return nil
		}))
	}
	assert.Empty(t, d.WriteAt("/registry/pods/default/web", bind.N-1).Pod.Node, "before the binding the pod has no node")
	assert.NotEmpty(t, d.WriteAt("/registry/pods/default/web", bind.N).Pod.Node)
}

func reverse(ns []uint64) []uint64 {
	out := make([]uint64, len(ns))
	for i, n := range ns {
		out[len(ns)-1-i] = n
	}
	return out
}

func itoa(v int64) string { b, _ := json.Marshal(v); return string(b) }

func TestNarrationCheckpointsAndSeries(t *testing.T) {
	d := firstFlow(t)
	var checks, korean int
	for _, r := range d.Records {
		if r.Check {
			checks++
		}
		if strings.IndexFunc(r.Ko, func(c rune) bool { return unicode.Is(unicode.Hangul, c) }) >= 0 {
			korean++
		}
	}
	assert.GreaterOrEqual(t, checks, 5, "the walkthrough's stages are checkpoints")
	assert.Greater(t, korean, len(d.Records)/2, "most records are narrated in Korean too")

	bind := bindingOf(t, d, "default", "web")
	var cycle *Sched
	for i := range d.Sched {
		if d.Sched[i].Pod == "default/web" && d.Sched[i].OK {
			cycle = &d.Sched[i]
		}
	}
	require.NotNil(t, cycle, "kube-scheduler's cycle for default/web is in the series")
	assert.Equal(t, bind.Pod.Node, cycle.Node)
	assert.Less(t, cycle.N, bind.N, "the cycle comes before the binding is stored")
	assert.Positive(t, cycle.Wait, "the latency runs from the pod's creation to its cycle")
	require.NotEmpty(t, d.Flows, "curl's packet left Hubble flows")
	for _, f := range d.Flows {
		assert.Contains(t, []string{"FORWARDED", "DROPPED"}, f.Verdict)
	}
	require.NotEmpty(t, d.Terms)
	assert.Positive(t, d.Terms[0].V, "the raft term")
	names := map[string]bool{}
	for _, n := range d.Nodes {
		names[n.Name] = true
	}
	assert.True(t, names[bind.Pod.Node], "the pod's node is one of the nodes")
	var onNode int
	for _, a := range d.Actors {
		if a.Node == bind.Pod.Node {
			onNode++
		}
	}
	assert.Positive(t, onNode, "the node's components are listed")
}

func TestHTMLIsSelfContained(t *testing.T) {
	d := firstFlow(t)
	var buf bytes.Buffer
	require.NoError(t, WriteHTML(&buf, d))
	page := buf.String()
	// No element loads anything: no src, href or url() pointing anywhere
	// (url(#marker) names an element of the page itself).
	for _, re := range []*regexp.Regexp{regexp.MustCompile(`(?i)\s(src|href)\s*=`), regexp.MustCompile(`(?i)url\(\s*['"]?[^#'")\s]`), regexp.MustCompile(`(?i)@import`)} {
		assert.False(t, re.MatchString(page), "the page must not load anything: %s", re)
	}
	assert.Contains(t, page, "connect-src 'none'")
	back, err := UnpackData(buf.Bytes())
	require.NoError(t, err, "the data is inline, packed")
	var again bytes.Buffer
	require.NoError(t, WriteHTML(&again, d))
	assert.Equal(t, buf.Bytes(), again.Bytes(), "the same run gives the same file")
	_, err = UnpackData([]byte("<html></html>"))
	assert.ErrorContains(t, err, "not a kubesim page")
	assert.Equal(t, len(d.Records), len(back.Records))
	assert.Equal(t, len(d.Writes), len(back.Writes))
	assert.Equal(t, d.Records[len(d.Records)-1].Ko, back.Records[len(back.Records)-1].Ko)
}
