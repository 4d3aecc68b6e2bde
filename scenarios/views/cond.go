package views

import (
	"fmt"
	"strings"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/sim/cluster"
)

// ConditionHelp lists the conditions `until` understands.
const ConditionHelp = `  pod/<name> <Phase>       a pod reaches a phase (Pending, Running, Succeeded, Failed)
  pod/<name> bound         kube-scheduler bound the pod (spec.nodeName is set)
  node/<name> Ready|NotReady
  <kind>/<name> exists|gone
  event <Reason>           an event with that reason exists (FailedScheduling, Scheduled, ...)
  -n <namespace> before the condition picks the namespace (default: default)`

// ConditionHelpKo is ConditionHelp in Korean.
const ConditionHelpKo = `  pod/<name> <Phase>       파드가 그 단계에 이릅니다 (Pending, Running, Succeeded, Failed)
  pod/<name> bound         kube-scheduler가 파드를 바인딩했습니다 (spec.nodeName이 채워짐)
  node/<name> Ready|NotReady
  <kind>/<name> exists|gone
  event <Reason>           그 이유(reason)의 이벤트가 있습니다 (FailedScheduling, Scheduled, ...)
  -n <namespace>를 조건 앞에 두면 네임스페이스를 고릅니다 (기본: default)`

// ConditionHelpFor is ConditionHelp in a language ("en" or "ko").
func ConditionHelpFor(lang string) string {
	if lang == "ko" {
		return ConditionHelpKo
	}
	return ConditionHelp
}

// A Condition is a predicate on the cluster at a cursor, read out of band.
type Condition struct {
	Text  string
	Holds func(c *cluster.Cluster) bool
}

// ParseCondition reads an `until` condition.
func ParseCondition(line string) (Condition, error) {
	f := strings.Fields(line)
	ns := "default"
	if len(f) >= 2 && (f[0] == "-n" || f[0] == "--namespace") {
		ns, f = f[1], f[2:]
	}
	bad := fmt.Errorf("unknown condition %q; until understands:\n%s", line, ConditionHelp)
	if len(f) != 2 {
		return Condition{}, bad
	}
	if f[0] == "event" {
		reason := f[1]
		return Condition{Text: line, Holds: func(c *cluster.Cluster) bool {
			items, err := c.StoredObjects("events", "", "")
			if err != nil {
				return false
			}
			for _, o := range items {
				if o.(*api.Event).Reason == reason {
					return true
				}
			}
			return false
		}}, nil
	}
	kind, name, ok := strings.Cut(f[0], "/")
	if !ok || name == "" {
		return Condition{}, bad
	}
	info, ok := api.ResourceForName(kind)
	if !ok {
		return Condition{}, fmt.Errorf("until %s: the server doesn't have a resource type %q", line, kind)
	}
	if !info.Namespaced {
		ns = ""
	}
	get := func(c *cluster.Cluster) api.Object {
		o, err := c.StoredObject(info.Resource, ns, name)
		if err != nil {
			return nil
		}
		return o
	}
	want := f[1]
	switch {
	case want == "exists":
		return Condition{Text: line, Holds: func(c *cluster.Cluster) bool { return get(c) != nil }}, nil
	case want == "gone":
		return Condition{Text: line, Holds: func(c *cluster.Cluster) bool { return get(c) == nil }}, nil
	case info.Resource == "pods" && want == "bound":
		return Condition{Text: line, Holds: func(c *cluster.Cluster) bool {
			p, ok := get(c).(*api.Pod)
			return ok && p.Spec.NodeName != ""
		}}, nil
	case info.Resource == "pods":
		switch api.PodPhase(want) {
		case api.PodPending, api.PodRunning, api.PodSucceeded, api.PodFailed:
		default:
			return Condition{}, fmt.Errorf("until %s: %q is not a pod phase (Pending, Running, Succeeded, Failed) nor bound/exists/gone", line, want)
		}
		return Condition{Text: line, Holds: func(c *cluster.Cluster) bool {
			p, ok := get(c).(*api.Pod)
			return ok && string(p.Status.Phase) == want
		}}, nil
	case info.Resource == "nodes" && (want == "Ready" || want == "NotReady"):
		return Condition{Text: line, Holds: func(c *cluster.Cluster) bool {
			n, ok := get(c).(*api.Node)
			if !ok {
				return false
			}
			ready := false
			for _, cond := range n.Status.Conditions {
				if cond.Type == api.NodeReady && cond.Status == api.ConditionTrue {
					ready = true
				}
			}
			return ready == (want == "Ready")
		}}, nil
	}
	return Condition{}, bad
}
