package scheduler

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/apiwire"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/components/scheduler/framework"
	"github.com/kubesim/kubesim/components/scheduler/plugins"
	"go.uber.org/zap"
)

// NotePreemption is the kind of the trace note DefaultPreemption's
// decision writes.
const NotePreemption = "preemption"

// PreemptionNote is what preemption decided for one pod: the candidates
// with their victims, the node chosen and why, or why it could not help.
type PreemptionNote struct {
	plugins.PreemptionRecord
	// UID is the preemptor's (the Preempted events name it).
	UID api.UID
	// SchedulerName is the profile that preempted.
	SchedulerName string
}

// Summary implements sim.Summarizer.
func (n PreemptionNote) Summary() string {
	who := fmt.Sprintf("%s/%s (priority %d)", n.Namespace, n.Name, n.Priority)
	switch {
	case n.NotEligible != "":
		return who + ": preemption " + strings.TrimSuffix(n.NotEligible, ".")
	case n.Chosen == "":
		return fmt.Sprintf("%s: no preemption candidate among %d nodes where it might help", who, n.PotentialNodes)
	}
	var victims []string
	for _, c := range n.Candidates {
		if c.Node != n.Chosen {
			continue
		}
		for _, v := range c.Victims {
			s := fmt.Sprintf("%s/%s (priority %d", v.Namespace, v.Name, v.Priority)
			if v.PDB != "" {
				s += ", violates PDB " + v.PDB
			}
			victims = append(victims, s+")")
		}
	}
	return fmt.Sprintf("%s nominated to %s (%d candidate(s), %s): preempting %s", who, n.Chosen, len(n.Candidates), n.DecidedBy, strings.Join(victims, ", "))
}

// preempt carries out what DefaultPreemption decided, as the real
// plugin's prepareCandidate does: each victim gets the DisruptionTarget
// condition, is deleted gracefully and gets a Preempted event; pods of
// lower priority nominated to the same node lose their nomination.
func (s *scheduler) preempt(pod *api.Pod, res framework.Result) {
	rec, ok := res.PostFilterRecord.(*plugins.PreemptionRecord)
	if !ok {
		return
	}
	c := s.c
	name := pod.Spec.SchedulerName
	if name == "" {
		name = api.DefaultSchedulerName
	}
	c.Note(NotePreemption, PreemptionNote{PreemptionRecord: *rec, UID: pod.UID, SchedulerName: name})
	if res.NominatedNodeName == "" {
		return
	}
	for _, v := range res.Victims {
		cond, _ := json.Marshal(api.PodCondition{Type: api.DisruptionTarget, Status: api.ConditionTrue,
			Reason: api.PodReasonPreemptionByScheduler, Message: name + ": preempting to accommodate a higher priority pod",
			LastTransitionTime: api.NewTime(c.WallTime().Truncate(time.Second))})
		patch := fmt.Sprintf(`{"status":{"conditions":[%s]}}`, cond)
		if _, err := s.cl.Patch("pods", v.Namespace, v.Name, apiwire.StrategicMergePatch, []byte(patch), "status"); err != nil {
			if !apierrors.IsNotFound(err) {
				c.Log().Warn("could not add DisruptionTarget condition due to preemption", zap.String("pod", v.Namespace+"/"+v.Name), zap.Error(err))
			}
			continue
		}
		if _, err := s.cl.Delete("pods", v.Namespace, v.Name, client.DeleteOptions{}); err != nil {
			if !apierrors.IsNotFound(err) {
				c.Log().Warn("preempting pod", zap.String("pod", v.Namespace+"/"+v.Name), zap.Error(err))
			}
			continue
		}
		s.recorder.Eventf(v, api.EventTypeNormal, "Preempted", "Preempted by pod %s on node %s", pod.UID, res.NominatedNodeName)
	}
	for _, n := range rec.ClearedNominations {
		s.sched.Nominator().DeleteNominatedPodIfExists(n.Pod)
		if _, err := s.cl.Patch("pods", n.Namespace, n.Name, apiwire.StrategicMergePatch, []byte(`{"status":{"nominatedNodeName":null}}`), "status"); err != nil && !apierrors.IsNotFound(err) {
			c.Log().Warn("cannot clear nominatedNodeName", zap.String("pod", n.Namespace+"/"+n.Name), zap.Error(err))
		}
	}
}
