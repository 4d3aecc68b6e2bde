package plugins_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/scheduler/framework"
	"github.com/kubesim/kubesim/components/scheduler/plugins"
	st "github.com/kubesim/kubesim/components/scheduler/schedtest"
)

// node4 is a 4-cpu node.
func node4(name string) *api.Node { return st.MakeNode(name).Capacity("4", "16Gi", 110).Obj() }

// bound is a pod of the given priority and cpu on node, started at
// minute start of the day (0: not started).
func bound(name, node string, prio int32, cpu string, start int, labels ...string) *api.Pod {
	w := st.MakePod(name).Req(cpu, "").Node(node).Priority(prio)
	for i := 0; i+1 < len(labels); i += 2 {
		w = w.Label(labels[i], labels[i+1])
	}
	p := w.Obj()
	if start > 0 {
		p.Status.StartTime = api.NewTimePtr(time.Date(2026, 1, 1, 0, start, 0, 0, time.UTC))
	}
	return p
}

// pdb selects app=label with disruptionsAllowed allowed.
func pdb(name, app string, allowed int32) *api.PodDisruptionBudget {
	b := &api.PodDisruptionBudget{}
	b.Name, b.Namespace = name, api.NamespaceDefault
	b.Spec.Selector = &api.LabelSelector{MatchLabels: map[string]string{"app": app}}
	b.Status.DisruptionsAllowed = allowed
	return b
}

func preemptingScheduler(t testing.TB, seed uint64, nodes []*api.Node, pods []*api.Pod, pdbs []*api.PodDisruptionBudget, nominated map[string]*api.Pod) *framework.Scheduler {
	t.Helper()
	cache := framework.NewCache()
	for _, n := range nodes {
		cache.AddNode(n)
	}
	for _, p := range pods {
		require.NoError(t, cache.AddPod(p))
	}
	cfg := plugins.DefaultConfig(rand.New(rand.NewPCG(seed, seed)))
	cfg.PodDisruptionBudgets = func() []*api.PodDisruptionBudget { return pdbs }
	s, err := framework.NewScheduler(cache, cfg)
	require.NoError(t, err)
	for node, p := range nominated {
		s.Nominator().AddNominatedPod(p, node)
	}
	return s
}

func victimNames(vs []plugins.Victim) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Name)
	}
	return out
}

// TestPreemptionVictimsAndCandidates checks victim selection and the
// candidate ordering against kube-scheduler v1.32's rules.
func TestPreemptionVictimsAndCandidates(t *testing.T) {
	tests := []struct {
		name      string
		nodes     []*api.Node
		existing  []*api.Pod
		pdbs      []*api.PodDisruptionBudget
		pod       *api.Pod
		wantNode  string
		wantBy    plugins.Criterion
		wantVicts []string
		wantPDB   int // PDB violations of the chosen candidate
	}{
		{
			name:  "reprieve from the highest priority down: the 2-cpu pod of priority 20 stays, the rest go",
			nodes: []*api.Node{node4("w1")},
			existing: []*api.Pod{
				bound("low", "w1", 10, "1", 1), bound("mid", "w1", 20, "1", 3), bound("mid-big", "w1", 20, "2", 2),
			},
			pod:       st.MakePod("p").Req("2", "").Priority(100).Obj(),
			wantNode:  "w1",
			wantBy:    plugins.ByOnlyCandidate,
			wantVicts: []string{"mid", "low"},
		},
		{
			name:  "a pod guarded by an exhausted PDB is reprieved first, so the other one goes",
			nodes: []*api.Node{node4("w1")},
			existing: []*api.Pod{
				bound("guarded", "w1", 10, "2", 1, "app", "db"), bound("free", "w1", 10, "2", 2, "app", "web"),
			},
			pdbs:      []*api.PodDisruptionBudget{pdb("db", "db", 0)},
			pod:       st.MakePod("p").Req("2", "").Priority(100).Obj(),
			wantNode:  "w1",
			wantBy:    plugins.ByOnlyCandidate,
			wantVicts: []string{"free"},
		},
		{
			name:  "when every way violates the PDB, the candidate counts the violation",
			nodes: []*api.Node{node4("w1")},
			existing: []*api.Pod{
				bound("db-0", "w1", 10, "2", 1, "app", "db"), bound("db-1", "w1", 10, "2", 2, "app", "db"),
			},
			pdbs:      []*api.PodDisruptionBudget{pdb("db", "db", 0)},
			pod:       st.MakePod("p").Req("2", "").Priority(100).Obj(),
			wantNode:  "w1",
			wantBy:    plugins.ByOnlyCandidate,
			wantVicts: []string{"db-1"},
			wantPDB:   1,
		},
		{
			name:  "fewest PDB violations beats a lower victim priority",
			nodes: []*api.Node{node4("a"), node4("b")},
			existing: []*api.Pod{
				bound("a-db", "a", 10, "4", 1, "app", "db"), bound("b-web", "b", 50, "4", 1, "app", "web"),
			},
			pdbs:      []*api.PodDisruptionBudget{pdb("db", "db", 0)},
			pod:       st.MakePod("p").Req("2", "").Priority(100).Obj(),
			wantNode:  "b",
			wantBy:    plugins.ByPDBViolations,
			wantVicts: []string{"b-web"},
		},
		{
			name:  "the lowest highest-victim priority",
			nodes: []*api.Node{node4("a"), node4("b")},
			existing: []*api.Pod{
				bound("a-30", "a", 30, "4", 1), bound("b-20", "b", 20, "2", 1), bound("b-20b", "b", 20, "2", 2),
			},
			pod:       st.MakePod("p").Req("4", "").Priority(100).Obj(),
			wantNode:  "b",
			wantBy:    plugins.ByHighestPriority,
			wantVicts: []string{"b-20", "b-20b"},
		},
		{
			name:  "the smallest sum of priorities",
			nodes: []*api.Node{node4("a"), node4("b")},
			existing: []*api.Pod{
				bound("a-20", "a", 20, "2", 1), bound("a-20b", "a", 20, "2", 2),
				bound("b-20", "b", 20, "2", 1), bound("b-10", "b", 10, "2", 2),
			},
			pod:       st.MakePod("p").Req("4", "").Priority(100).Obj(),
			wantNode:  "b",
			wantBy:    plugins.BySumOfPriorities,
			wantVicts: []string{"b-20", "b-10"},
		},
		{
			name:  "every victim counts in the sum: priorities are shifted to be positive, so {10} beats {10, -5}",
			nodes: []*api.Node{node4("a"), node4("b")},
			existing: []*api.Pod{
				bound("a-10", "a", 10, "4", 1),
				bound("b-10", "b", 10, "2", 1), bound("b-neg", "b", -5, "2", 2),
			},
			pod:       st.MakePod("p").Req("4", "").Priority(100).Obj(),
			wantNode:  "a",
			wantBy:    plugins.BySumOfPriorities,
			wantVicts: []string{"a-10"},
		},
		{
			name:  "the latest start time of the highest-priority victims",
			nodes: []*api.Node{node4("a"), node4("b")},
			existing: []*api.Pod{
				bound("a-old", "a", 10, "4", 1), bound("b-new", "b", 10, "4", 30),
			},
			pod:       st.MakePod("p").Req("4", "").Priority(100).Obj(),
			wantNode:  "b",
			wantBy:    plugins.ByLatestStartTime,
			wantVicts: []string{"b-new"},
		},
		{
			name:  "higher-priority pods and pods of equal priority are never victims",
			nodes: []*api.Node{node4("w1")},
			existing: []*api.Pod{
				bound("same", "w1", 100, "2", 1), bound("higher", "w1", 1000, "1", 1), bound("low", "w1", 1, "1", 1),
			},
			pod:       st.MakePod("p").Req("1", "").Priority(100).Obj(),
			wantNode:  "w1",
			wantBy:    plugins.ByOnlyCandidate,
			wantVicts: []string{"low"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := preemptingScheduler(t, 1, tc.nodes, tc.existing, tc.pdbs, nil)
			res, err := s.Schedule(context.Background(), tc.pod)
			require.Error(t, err)
			assert.True(t, res.Nominate)
			assert.Equal(t, tc.wantNode, res.NominatedNodeName)
			rec, ok := res.PostFilterRecord.(*plugins.PreemptionRecord)
			require.True(t, ok, "record %T", res.PostFilterRecord)
			assert.Equal(t, tc.wantNode, rec.Chosen)
			assert.Equal(t, tc.wantBy, rec.DecidedBy)
			var chosen plugins.Candidate
			for _, c := range rec.Candidates {
				if c.Node == rec.Chosen {
					chosen = c
				}
			}
			assert.Equal(t, tc.wantVicts, victimNames(chosen.Victims))
			assert.Equal(t, tc.wantPDB, chosen.NumPDBViolations)
			var got []string
			for _, v := range res.Victims {
				got = append(got, v.Name)
			}
			assert.Equal(t, tc.wantVicts, got, "the victims handed to the actor")
		})
	}
}

// TestPreemptionTieUsesSeededOffset: equal candidates are decided by the
// dry-run order, which starts at a seeded random node; the same seed gives
// the same node, and some seed gives each node.
func TestPreemptionTieUsesSeededOffset(t *testing.T) {
	nodes := []*api.Node{node4("a"), node4("b"), node4("c")}
	existing := []*api.Pod{bound("a-1", "a", 10, "4", 1), bound("b-1", "b", 10, "4", 1), bound("c-1", "c", 10, "4", 1)}
	pod := st.MakePod("p").Req("4", "").Priority(100).Obj()
	seen := map[string]bool{}
	for seed := uint64(1); seed <= 20; seed++ {
		run := func() *plugins.PreemptionRecord {
			res, err := preemptingScheduler(t, seed, nodes, existing, nil, nil).Schedule(context.Background(), pod)
			require.Error(t, err)
			return res.PostFilterRecord.(*plugins.PreemptionRecord)
		}
		r1, r2 := run(), run()
		assert.Equal(t, r1.Chosen, r2.Chosen, "seed %d", seed)
		assert.Equal(t, plugins.ByFirstInDryRunOrder, r1.DecidedBy)
		assert.Equal(t, 3, r1.NumCandidates)
		assert.Equal(t, []string{"a", "b", "c"}[r1.Offset], r1.Candidates[0].Node, "the dry run starts at the offset")
		seen[r1.Chosen] = true
	}
	assert.Len(t, seen, 3, "every node is chosen for some seed")
}

// TestPreemptionNumCandidates: max(10% of the potential nodes, 100),
// capped at their number.
func TestPreemptionNumCandidates(t *testing.T) {
	for _, tc := range []struct {
		args        any
		nodes, want int
	}{
		{nil, 3, 3}, {nil, 500, 100}, {nil, 2000, 200}, {nil, 5000, 500},
		{plugins.DefaultPreemptionArgs{MinCandidateNodesPercentage: 40, MinCandidateNodesAbsolute: 1}, 10, 4},
		{plugins.DefaultPreemptionArgs{MinCandidateNodesPercentage: 0, MinCandidateNodesAbsolute: 7}, 10, 7},
	} {
		f := pluginFramework(t, framework.NewSnapshot(nil, nil), plugins.DefaultPreemptionName, tc.args)
		pl := f.Plugin(plugins.DefaultPreemptionName).(*plugins.DefaultPreemption)
		assert.Equal(t, tc.want, pl.NumCandidates(tc.nodes), "%v nodes %d", tc.args, tc.nodes)
	}
	_, err := framework.NewFramework(plugins.NewInTreeRegistry(), framework.Profile{Plugins: []framework.PluginSpec{{Name: plugins.DefaultPreemptionName,
		Args: plugins.DefaultPreemptionArgs{}}}}, framework.NewHandle(framework.NewSnapshot(nil, nil)))
	assert.ErrorContains(t, err, "both cannot be zero")
}

// TestPreemptionDryRunStopsEarly: with enough non-violating candidates
// the dry run stops (MinCandidateNodesAbsolute 1: one candidate is
// enough), and the untried nodes are "not helpful".
func TestPreemptionDryRunStopsEarly(t *testing.T) {
	nodes := []*api.Node{node4("a"), node4("b"), node4("c")}
	existing := []*api.Pod{bound("a-1", "a", 10, "4", 1), bound("b-1", "b", 10, "4", 1), bound("c-1", "c", 10, "4", 1)}
	cache := framework.NewCache()
	for _, n := range nodes {
		cache.AddNode(n)
	}
	for _, p := range existing {
		require.NoError(t, cache.AddPod(p))
	}
	cfg := plugins.DefaultConfig(rand.New(rand.NewPCG(3, 3)))
	for i, spec := range cfg.Profiles[0].Plugins {
		if spec.Name == plugins.DefaultPreemptionName {
			cfg.Profiles[0].Plugins[i].Args = plugins.DefaultPreemptionArgs{MinCandidateNodesPercentage: 1, MinCandidateNodesAbsolute: 1}
		}
	}
	s, err := framework.NewScheduler(cache, cfg)
	require.NoError(t, err)
	res, err := s.Schedule(context.Background(), st.MakePod("p").Req("4", "").Priority(100).Obj())
	require.Error(t, err)
	rec := res.PostFilterRecord.(*plugins.PreemptionRecord)
	assert.Len(t, rec.Candidates, 1)
	assert.Equal(t, 1, rec.NumCandidates)
	assert.Equal(t, 3, rec.PotentialNodes)
}

// TestPreemptionEligibility: preemptionPolicy Never, and a pod waiting for
// its victims on the nominated node, do not preempt.
func TestPreemptionEligibility(t *testing.T) {
	never := api.PreemptNever
	terminating := bound("victim", "w1", 10, "4", 1)
	terminating.DeletionTimestamp = api.NewTimePtr(time.Date(2026, 1, 1, 1, 0, 0, 0, time.UTC))
	terminating.Status.Conditions = []api.PodCondition{{Type: api.DisruptionTarget, Status: api.ConditionTrue, Reason: api.PodReasonPreemptionByScheduler}}
	neverPod := st.MakePod("p").Req("4", "").Priority(100).Obj()
	neverPod.Spec.PreemptionPolicy = &never
	tests := []struct {
		name     string
		existing []*api.Pod
		pod      *api.Pod
		wantMsg  string
		wantRec  string
		nominate bool
	}{
		{"preemptionPolicy Never", []*api.Pod{bound("low", "w1", 10, "4", 1)}, neverPod,
			"0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.", plugins.ErrReasonPreemptNever, false},
		{"a victim still terminating on the nominated node", []*api.Pod{terminating},
			st.MakePod("p").Req("4", "").Priority(100).NominatedNodeName("w1").Obj(),
			"0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to a terminating pod on the nominated node.", plugins.ErrReasonTerminatingOnNominated, false},
		{"a pod being deleted for another reason does not hold preemption back", []*api.Pod{func() *api.Pod {
			p := bound("leaving", "w1", 10, "2", 1)
			p.DeletionTimestamp = terminating.DeletionTimestamp
			return p
		}(), bound("low", "w1", 10, "2", 2)},
			st.MakePod("p").Req("4", "").Priority(100).NominatedNodeName("w1").Obj(),
			"0/1 nodes are available: 1 Insufficient cpu.", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := preemptingScheduler(t, 1, []*api.Node{node4("w1")}, tc.existing, nil, nil)
			res, err := s.Schedule(context.Background(), tc.pod)
			require.Error(t, err)
			assert.Equal(t, tc.wantMsg, err.Error())
			assert.Equal(t, tc.nominate, res.Nominate)
			assert.Equal(t, tc.wantRec, res.PostFilterRecord.(*plugins.PreemptionRecord).NotEligible)
		})
	}
}

// TestNominatedPodsHoldTheirRoom: a pod nominated to a node counts there
// for pods of equal or lower priority, not for higher ones; and preempting
// on that node clears lower-priority nominations.
func TestNominatedPodsHoldTheirRoom(t *testing.T) {
	nominated := st.MakePod("waiting").Req("3", "").Priority(100).NominatedNodeName("w1").Obj()
	s := preemptingScheduler(t, 1, []*api.Node{node4("w1")}, nil, nil, map[string]*api.Pod{"w1": nominated})

	res, err := s.Schedule(context.Background(), st.MakePod("lower").Req("2", "").Priority(50).Obj())
	require.Error(t, err, "the nominated pod's 3 cpus are taken")
	rec := res.PostFilterRecord.(*plugins.PreemptionRecord)
	assert.Equal(t, [2]int{1, 0}, [2]int{rec.NoVictims, rec.NotEnough})
	assert.Equal(t, "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.", err.Error())

	res, err = s.Schedule(context.Background(), st.MakePod("higher").Req("2", "").Priority(200).Obj())
	require.NoError(t, err, "a higher-priority pod ignores the nomination")
	assert.Equal(t, "w1", res.SuggestedHost)

	// A higher-priority pod that needs preemption on w1 clears the
	// nomination of the lower one there.
	s = preemptingScheduler(t, 1, []*api.Node{node4("w1")}, []*api.Pod{bound("low", "w1", 10, "4", 1)}, nil, map[string]*api.Pod{"w1": nominated})
	res, err = s.Schedule(context.Background(), st.MakePod("top").Req("1", "").Priority(1000).Obj())
	require.Error(t, err)
	rec = res.PostFilterRecord.(*plugins.PreemptionRecord)
	assert.Equal(t, "w1", rec.Chosen)
	assert.Equal(t, []string{"waiting"}, victimNames(rec.ClearedNominations))
	assert.Equal(t, []string{"low"}, victimNames(rec.Candidates[0].Victims))
}
