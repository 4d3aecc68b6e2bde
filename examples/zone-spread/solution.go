//go:build solution

package zonespread

import (
	"context"
	"fmt"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/scheduler/framework"
)

const stateKey framework.StateKey = Name

// zoneCounts is what PreScore leaves for Score: how many pods of the
// incoming pod's app each zone runs.
type zoneCounts map[string]int64

// Clone implements framework.StateData; the counts are read-only once
// written.
func (z zoneCounts) Clone() framework.StateData { return z }

// PreScore counts, over every node of the snapshot (not only the feasible
// ones: a zone's pods count even where the new pod cannot go), the pods
// in the pod's namespace with the same app label, per zone. The scheduler
// keeps pods it has just placed in the snapshot (assumed pods), so the
// counts include the replicas of the same rollout scheduled a moment ago.
func (z *ZoneSpread) PreScore(_ context.Context, state *framework.CycleState, pod *api.Pod, _ []*framework.NodeInfo) *framework.Status {
	app, ok := pod.Labels["app"]
	if !ok {
		return framework.NewStatus(framework.Skip)
	}
	counts := zoneCounts{}
	for _, ni := range z.handle.SnapshotSharedLister().List() {
		zone := ni.Node().Labels[api.LabelTopologyZone]
		if zone == "" {
			continue
		}
		counts[zone] += 0 // an empty zone is a zone too
		for _, pi := range ni.Pods {
			p := pi.Pod
			if p.Namespace == pod.Namespace && p.Labels["app"] == app && p.DeletionTimestamp == nil {
				counts[zone]++
			}
		}
	}
	state.Write(stateKey, counts)
	return nil
}

// Score is the number of the app's pods in the node's zone: lower is
// better, which NormalizeScore turns around.
func (z *ZoneSpread) Score(_ context.Context, state *framework.CycleState, _ *api.Pod, ni *framework.NodeInfo) (int64, *framework.Status) {
	data, err := state.Read(stateKey)
	if err != nil {
		return 0, framework.AsStatus(fmt.Errorf("reading %q from cycleState: %w", stateKey, err))
	}
	zone := ni.Node().Labels[api.LabelTopologyZone]
	if zone == "" {
		// A node without a zone is no help for spreading: score it as
		// the fullest zone would be.
		var max int64
		for _, c := range data.(zoneCounts) {
			max = maxInt(max, c)
		}
		return max, nil
	}
	return data.(zoneCounts)[zone], nil
}

// ScoreExtensions returns the plugin itself, so that the framework calls
// NormalizeScore.
func (z *ZoneSpread) ScoreExtensions() framework.ScoreExtensions { return z }

// NormalizeScore maps the emptiest zone to MaxNodeScore and the fullest
// to MinNodeScore, linearly, as PodTopologySpread's scoring does.
func (z *ZoneSpread) NormalizeScore(_ context.Context, _ *framework.CycleState, _ *api.Pod, scores framework.NodeScoreList) *framework.Status {
	if len(scores) == 0 {
		return nil
	}
	lo, hi := scores[0].Score, scores[0].Score
	for _, s := range scores {
		lo, hi = minInt(lo, s.Score), maxInt(hi, s.Score)
	}
	for i := range scores {
		if hi == lo {
			scores[i].Score = framework.MaxNodeScore
			continue
		}
		scores[i].Score = framework.MaxNodeScore * (hi - scores[i].Score) / (hi - lo)
	}
	return nil
}

func maxInt(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

func minInt(a, b int64) int64 {
	if a < b {
		return a
	}
	return b
}
