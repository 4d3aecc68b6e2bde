package plugins

import (
	"fmt"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/scheduler/framework"
)

// DefaultNormalizeScore scales scores so that the highest becomes
// maxPriority (score = maxPriority * score / max), or with reverse the
// lowest does (maxPriority - that). All-zero scores become 0, or
// maxPriority with reverse.
func DefaultNormalizeScore(maxPriority int64, reverse bool, scores framework.NodeScoreList) *framework.Status {
	var maxCount int64
	for i := range scores {
		if scores[i].Score > maxCount {
			maxCount = scores[i].Score
		}
	}
	if maxCount == 0 {
		if reverse {
			for i := range scores {
				scores[i].Score = maxPriority
			}
		}
		return nil
	}
	for i := range scores {
		s := maxPriority * scores[i].Score / maxCount
		if reverse {
			s = maxPriority - s
		}
		scores[i].Score = s
	}
	return nil
}

// readState reads and type-asserts a plugin's cycle state.
func readState[T framework.StateData](state *framework.CycleState, key framework.StateKey) (T, error) {
	var zero T
	d, err := state.Read(key)
	if err != nil {
		return zero, fmt.Errorf("error reading %q from cycleState: %w", key, err)
	}
	t, ok := d.(T)
	if !ok {
		return zero, fmt.Errorf("%+v cannot be converted to %T", d, zero)
	}
	return t, nil
}

// countPodsMatchSelector counts the pods of namespace ns that selector
// matches, skipping terminating pods. An empty selector counts nothing, as
// in the real PodTopologySpread.
func countPodsMatchSelector(pods []*framework.PodInfo, selector framework.Selector, ns string) int {
	if selector.Empty() {
		return 0
	}
	n := 0
	for _, p := range pods {
		if p.Pod.DeletionTimestamp != nil || p.Pod.Namespace != ns {
			continue
		}
		if selector.Matches(p.Pod.Labels) {
			n++
		}
	}
	return n
}

func nodeOf(obj any) *api.Node {
	n, _ := obj.(*api.Node)
	return n
}

func podOf(obj any) *api.Pod {
	p, _ := obj.(*api.Pod)
	return p
}

func errWrongArgs(got, want any) error {
	return fmt.Errorf("want args to be of type %T, got %T", want, got)
}
