// Package zonespread is an exercise on kube-scheduler's framework: write
// a Score plugin that spreads the replicas of an app evenly over the
// cluster's zones. See README.md.
package zonespread

import (
	"github.com/kubesim/kubesim/components/scheduler/framework"
)

// Name is the plugin's name in the scheduler's registry and profile.
const Name = "ZoneSpread"

// New is the plugin's factory: the grader registers it under Name and
// enables it in the default profile with weight 5. h gives the plugin the
// snapshot of the cluster for the cycle (h.SnapshotSharedLister()).
func New(_ any, h framework.Handle) (framework.Plugin, error) {
	return &ZoneSpread{handle: h}, nil
}

// ZoneSpread scores nodes so that pods with the same app label spread
// evenly over zones (the topology.kubernetes.io/zone label of nodes).
type ZoneSpread struct {
	handle framework.Handle
}

// Name implements framework.Plugin.
func (z *ZoneSpread) Name() string { return Name }

var (
	_ framework.PreScorePlugin  = (*ZoneSpread)(nil)
	_ framework.ScorePlugin     = (*ZoneSpread)(nil)
	_ framework.ScoreExtensions = (*ZoneSpread)(nil)
)
