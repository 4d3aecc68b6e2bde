//go:build !solution

package zonespread

import (
	"context"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/scheduler/framework"
)

// PreScore runs once per scheduling cycle, before Score: a good place to
// count, once, how many pods of the incoming pod's app every zone already
// runs, and to keep that in the CycleState for Score.
func (z *ZoneSpread) PreScore(ctx context.Context, state *framework.CycleState, pod *api.Pod, nodes []*framework.NodeInfo) *framework.Status {
	// TODO
	return nil
}

// Score ranks one node. Any scale will do: NormalizeScore maps the
// scores of all nodes to 0..100 afterwards.
func (z *ZoneSpread) Score(ctx context.Context, state *framework.CycleState, pod *api.Pod, nodeInfo *framework.NodeInfo) (int64, *framework.Status) {
	// TODO
	return 0, nil
}

// ScoreExtensions returns the plugin itself, so that the framework calls
// NormalizeScore.
func (z *ZoneSpread) ScoreExtensions() framework.ScoreExtensions { return z }

// NormalizeScore brings the scores into [framework.MinNodeScore,
// framework.MaxNodeScore]; the best node must get the highest score.
func (z *ZoneSpread) NormalizeScore(ctx context.Context, state *framework.CycleState, pod *api.Pod, scores framework.NodeScoreList) *framework.Status {
	// TODO
	return nil
}
