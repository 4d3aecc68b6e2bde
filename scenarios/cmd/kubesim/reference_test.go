package main

import (
	"bytes"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/controllers"
	"github.com/kubesim/kubesim/components/scheduler/plugins"
	"github.com/kubesim/kubesim/scenarios/library"
	"github.com/kubesim/kubesim/scenarios/narrate"
	"github.com/kubesim/kubesim/scenarios/walkthrough"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// `kubesim explain` knows the seven components of the documented flows
// and the kubelet; for each it says where it runs, what kubesim runs of it
// today, and names a walkthrough about it that exists.
func TestExplainSaysWhatRunsTodayAndWhereToWatchIt(t *testing.T) {
	assert.Equal(t, []string{"kube-apiserver", "etcd", "kube-controller-manager", "kube-scheduler", "kube-proxy", "coredns", "cilium", "kubelet"}, narrate.Components())
	for _, name := range narrate.Components() {
		t.Run(name, func(t *testing.T) {
			row, ok := narrate.Lookup(name)
			require.True(t, ok, "%s is a row of the table of components", name)
			walk, ok := narrate.Walkthrough(name)
			require.True(t, ok)
			if d, ok, err := library.Load(walk); ok {
				require.NoError(t, err)
				assert.True(t, d.IsWalkthrough(), "%s is a walkthrough", walk)
				assert.Equal(t, name, d.Component, "%s is about %s", walk, name)
			} else {
				_, ok := walkthrough.Find(walk)
				assert.True(t, ok, "%s names an existing walkthrough", walk)
			}
			for _, lang := range []string{"en", "ko"} {
				out, errOut, code := kubesim(t, "", "explain", name, "--lang", lang)
				require.Equal(t, 0, code, errOut)
				assert.Contains(t, out, "kubesim run "+walk, "points to its walkthrough")
				assert.Contains(t, out, row.RunsAs.In(narrate.Lang(lang)), "says where it runs")
				assert.Contains(t, out, "components/", "names the package that runs it")
				for _, stale := range []string{"being assembled", "조립되는 중", "join it", "합류"} {
					assert.NotContains(t, out, stale, "says what runs today")
				}
			}
		})
	}

	out, _, code := kubesim(t, "", "explain", "kube-controller-manager")
	require.Equal(t, 0, code)
	for _, f := range controllers.Defaults() {
		assert.Contains(t, out, f().Name(), "names every controller the leader runs")
	}
	out, _, code = kubesim(t, "", "explain", "kube-scheduler")
	require.Equal(t, 0, code)
	for _, p := range plugins.DefaultProfile().Plugins {
		assert.Contains(t, out, p.Name, "names every plugin of the default profile")
	}
	for _, alias := range []string{"CoreDNS", "Cilium", "cilium-operator", "containerd"} {
		_, errOut, code := kubesim(t, "", "explain", alias)
		assert.Equal(t, 0, code, "explain %s: %s", alias, errOut)
	}
}

var cellGap = regexp.MustCompile(`\S( {3,})`)

// columns returns the display columns at which a table line's cells start.
func columns(line string) []int {
	cols := []int{0}
	for _, m := range cellGap.FindAllStringSubmatchIndex(line, -1) {
		cols = append(cols, width.StringWidth(line[:m[3]]))
	}
	return cols
}

// tableRows splits the table at the top of out into cells, checking that
// every row's cells start at the header's columns.
func tableRows(t *testing.T, out string) [][]string {
	t.Helper()
	lines := strings.Split(out, "\n")
	head := columns(lines[0])
	var rows [][]string
	for _, l := range lines {
		if l == "" {
			break
		}
		assert.Equal(t, head, columns(l), "aligned as the header is, in display columns: %q", l)
		rows = append(rows, regexp.MustCompile(` {3,}`).Split(l, -1))
	}
	return rows
}

// `kubesim components` prints one row per component of the table, aligned
// in English and in Korean (Hangul takes two columns), and nothing else.
func TestComponentsTable(t *testing.T) {
	for _, lang := range []string{"en", "ko"} {
		out, errOut, code := kubesim(t, "", "components", "--lang", lang)
		require.Equal(t, 0, code, errOut)
		rows := tableRows(t, out)
		require.Len(t, rows, 1+len(narrate.Table()), out)
		if lang == "en" {
			assert.Equal(t, []string{"COMPONENT", "ROLE", "RUNS ON", "NODES NOW"}, rows[0])
		}
		var names []string
		for _, r := range rows[1:] {
			require.Len(t, r, 4, "%q", r)
			names = append(names, r[0])
		}
		assert.Equal(t, []string{"kube-apiserver", "etcd", "kube-controller-manager", "kube-scheduler", "kube-proxy", "CoreDNS", "Cilium", "cilium-operator", "kubelet", "containerd"}, names)
		assert.NotRegexp(t, `(?m)^(kernel|kubesim|datapath)\s`, out, "no internal actors")
		assert.Contains(t, out, "Running", "says when the table was taken")
	}
}

// The nodes each row shows are where the component's actors run now, and
// they agree with where the table says it runs: the control-plane nodes,
// every node, or the nodes its kube-system pods are bound to.
func TestComponentsRunWhereTheTableSays(t *testing.T) {
	c, err := cluster.New(cluster.Config{Seed: 1, Workers: []string{"worker-1", "worker-2", "worker-3"}, Addons: true})
	require.NoError(t, err)
	defer c.Stop()
	require.True(t, c.WaitFor(c.Settled, settleWithin))
	var out bytes.Buffer
	writeComponents(&out, c.K.Actors(), narrate.English)
	rows := tableRows(t, out.String())
	nodesNow := map[string][]string{}
	for _, r := range rows[1:] {
		nodesNow[r[0]] = strings.Split(r[3], ", ")
	}
	podNodes := func(selector string) []string {
		objs, err := c.StoredObjects("pods", "kube-system", selector)
		require.NoError(t, err)
		var out []string
		for _, o := range objs {
			if n := o.(*api.Pod).Spec.NodeName; !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
		slices.Sort(out)
		return out
	}
	selectors := map[string]string{"coredns": "k8s-app=kube-dns", "cilium-operator": "io.cilium/app=operator"}
	for _, comp := range narrate.Table() {
		got := nodesNow[comp.Title]
		switch comp.Where {
		case narrate.ControlPlane:
			assert.Equal(t, []string{"cp-1"}, got, comp.Name)
		case narrate.EveryNode:
			assert.Equal(t, []string{"cp-1", "worker-1", "worker-2", "worker-3"}, got, comp.Name)
		case narrate.KubeSystem:
			sel, ok := selectors[comp.Name]
			require.True(t, ok, "a selector for %s's pods", comp.Name)
			assert.Equal(t, podNodes(sel), got, "%s runs where its pods are bound", comp.Name)
		}
	}
}
