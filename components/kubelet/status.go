package kubelet

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"go.uber.org/zap"
)

// Waiting reasons the kubelet reports before a container first runs.
const (
	reasonContainerCreating = "ContainerCreating"
	reasonPodInitializing   = "PodInitializing"
)

// status is the pod status the kubelet would report now, built as its
// generateAPIPodStatus does: container statuses first, the phase from
// them, then the kubelet-owned conditions in the kubelet's order
// (PodReadyToStartContainers, Initialized, Ready, ContainersReady,
// PodScheduled) after the conditions other components own.
func (st *state) status(pw *podWorker) api.PodStatus {
	if pw.rejected {
		s := api.PodStatus{Phase: api.PodFailed, Reason: pw.failReason, Message: pw.failMessage}
		if pw.api != nil {
			s.QOSClass = pw.api.Status.QOSClass
			s.Conditions = pw.api.Status.Conditions
		}
		return s
	}
	s := api.PodStatus{
		Reason:    pw.failReason,
		Message:   pw.failMessage,
		HostIP:    st.cfg.InternalIP,
		HostIPs:   []api.HostIP{{IP: st.cfg.InternalIP}},
		StartTime: pw.startTime,
	}
	if pw.api != nil {
		s.QOSClass = pw.api.Status.QOSClass
		// The scheduler owns the nomination; the kubelet's patch leaves it.
		s.NominatedNodeName = pw.api.Status.NominatedNodeName
	}
	if pw.podIP != "" {
		s.PodIP = pw.podIP
		s.PodIPs = []api.PodIP{{IP: pw.podIP}}
	}
	defaultWaiting := reasonContainerCreating
	if len(pw.inits) > 0 {
		defaultWaiting = reasonPodInitializing
	}
	for _, c := range pw.inits {
		s.InitContainerStatuses = append(s.InitContainerStatuses, st.containerStatus(c, defaultWaiting))
	}
	for _, c := range pw.ctrs {
		s.ContainerStatuses = append(s.ContainerStatuses, st.containerStatus(c, defaultWaiting))
	}
	s.Phase = pw.terminal
	if s.Phase == "" {
		s.Phase = podPhase(pw.pod.Spec.RestartPolicy, pw.sidecars(), s.InitContainerStatuses, s.ContainerStatuses)
		if (s.Phase == api.PodSucceeded || s.Phase == api.PodFailed) && pw.busy() {
			s.Phase = api.PodRunning // a container is being started again (its image changed)
		}
	}
	s.Conditions = st.conditions(pw, &s)
	return s
}

func (st *state) containerStatus(c *container, defaultWaiting string) api.ContainerStatus {
	cs := api.ContainerStatus{Name: c.spec.Name, Image: c.spec.Image, Ready: c.ready, RestartCount: c.restarts}
	started := false
	if c.cur != nil && c.cur.id != "" {
		im := st.imageInfo(c.spec.Image)
		cs.Image = im.ref
		cs.ImageID = im.repo + "@" + im.digest
		cs.ContainerID = "containerd://" + c.cur.id
	}
	switch {
	case c.waitReason != "":
		cs.State.Waiting = &api.ContainerStateWaiting{Reason: c.waitReason, Message: c.waitMsg}
		if c.cur != nil && c.cur.finished {
			cs.LastTerminationState.Terminated = c.cur.terminated()
		}
	case c.cur == nil:
		cs.State.Waiting = &api.ContainerStateWaiting{Reason: defaultWaiting}
	case !c.cur.finished:
		cs.State.Running = &api.ContainerStateRunning{StartedAt: api.NewTime(c.cur.startedAt)}
		started = true
		if c.prev != nil {
			cs.LastTerminationState.Terminated = c.prev.terminated()
		}
	default:
		t := c.cur.terminated()
		if c.cur.id == "" { // never ran
			t.ContainerID, t.StartedAt = "", api.Time{}
			t.FinishedAt = api.NewTime(st.wall())
		}
		cs.State.Terminated = t
		if c.prev != nil {
			cs.LastTerminationState.Terminated = c.prev.terminated()
		}
	}
	cs.Started = &started
	return cs
}

// podPhase follows the kubelet's getPhase: any waiting container keeps the
// pod Pending; running containers make it Running; when all have stopped,
// the restart policy decides between Running (they will restart),
// Succeeded and Failed.
func podPhase(policy api.RestartPolicy, sidecars map[string]bool, inits, ctrs []api.ContainerStatus) api.PodPhase {
	pendingInit, failedInit, sidecarsRunning := 0, 0, 0
	for _, cs := range inits {
		if sidecars[cs.Name] {
			if cs.State.Running != nil {
				sidecarsRunning++ // the pod runs as long as they do
			}
			// A sidecar holds the pod Pending only until it first runs.
			if cs.State.Running == nil && cs.LastTerminationState.Terminated == nil && cs.State.Terminated == nil {
				pendingInit++
			}
			continue
		}
		switch {
		case cs.State.Running != nil:
			pendingInit++
		case cs.State.Terminated != nil && cs.State.Terminated.ExitCode == 0:
		case cs.State.Terminated != nil:
			failedInit++
		case cs.State.Waiting != nil && cs.LastTerminationState.Terminated != nil && cs.LastTerminationState.Terminated.ExitCode != 0:
			failedInit++
		default:
			pendingInit++
		}
	}
	running, waiting, stopped, succeeded := sidecarsRunning, 0, 0, 0
	for _, cs := range ctrs {
		switch {
		case cs.State.Running != nil:
			running++
		case cs.State.Terminated != nil:
			stopped++
			if cs.State.Terminated.ExitCode == 0 {
				succeeded++
			}
		case cs.LastTerminationState.Terminated != nil:
			stopped++
		default:
			waiting++
		}
	}
	if failedInit > 0 && policy == api.RestartPolicyNever {
		return api.PodFailed
	}
	switch {
	case pendingInit > 0, waiting > 0:
		return api.PodPending
	case running > 0:
		return api.PodRunning
	case stopped > 0:
		if policy == api.RestartPolicyAlways {
			return api.PodRunning
		}
		if stopped == succeeded {
			return api.PodSucceeded
		}
		if policy == api.RestartPolicyNever {
			return api.PodFailed
		}
		return api.PodRunning
	}
	return api.PodPending
}

func (st *state) conditions(pw *podWorker, s *api.PodStatus) []api.PodCondition {
	var out []api.PodCondition
	if pw.api != nil {
		for _, c := range pw.api.Status.Conditions {
			switch c.Type {
			case api.PodReadyToStartContainers, api.PodInitialized, api.PodReady, api.ContainersReady, api.PodScheduled:
			default:
				out = append(out, c) // owned by others (DisruptionTarget)
			}
		}
	}
	completed := s.Phase == api.PodSucceeded
	sandbox := api.ConditionFalse
	if pw.sandboxReady && !pw.tornDown {
		sandbox = api.ConditionTrue
	}
	mine := []api.PodCondition{{Type: api.PodReadyToStartContainers, Status: sandbox}}

	var incomplete []string
	sidecars := pw.sidecars()
	for _, cs := range s.InitContainerStatuses {
		if sidecars[cs.Name] {
			if cs.Started == nil || !*cs.Started {
				if !pw.initDone {
					incomplete = append(incomplete, cs.Name)
				}
			}
			continue
		}
		if t := cs.State.Terminated; t == nil || t.ExitCode != 0 {
			incomplete = append(incomplete, cs.Name)
		}
	}
	switch {
	case completed && len(incomplete) == 0 || completed && len(pw.inits) == 0:
		mine = append(mine, api.PodCondition{Type: api.PodInitialized, Status: api.ConditionTrue, Reason: "PodCompleted"})
	case len(incomplete) > 0:
		mine = append(mine, api.PodCondition{Type: api.PodInitialized, Status: api.ConditionFalse, Reason: "ContainersNotInitialized",
			Message: fmt.Sprintf("containers with incomplete status: [%s]", strings.Join(incomplete, " "))})
	default:
		mine = append(mine, api.PodCondition{Type: api.PodInitialized, Status: api.ConditionTrue})
	}

	var unready []string
	for _, cs := range s.InitContainerStatuses {
		if sidecars[cs.Name] && !cs.Ready {
			unready = append(unready, cs.Name)
		}
	}
	for _, cs := range s.ContainerStatuses {
		if !cs.Ready {
			unready = append(unready, cs.Name)
		}
	}
	var ready api.PodCondition
	switch {
	case completed:
		ready = api.PodCondition{Status: api.ConditionFalse, Reason: "PodCompleted"}
	case len(unready) > 0:
		ready = api.PodCondition{Status: api.ConditionFalse, Reason: "ContainersNotReady", Message: fmt.Sprintf("containers with unready status: [%s]", strings.Join(unready, " "))}
	default:
		ready = api.PodCondition{Status: api.ConditionTrue}
	}
	podReady, ctrsReady := ready, ready
	if ready.Status == api.ConditionTrue {
		if msg := readinessGates(pw); msg != "" {
			podReady = api.PodCondition{Status: api.ConditionFalse, Reason: "ReadinessGatesNotReady", Message: msg}
		}
	}
	podReady.Type, ctrsReady.Type = api.PodReady, api.ContainersReady
	mine = append(mine, podReady, ctrsReady)

	scheduled := api.PodCondition{Type: api.PodScheduled, Status: api.ConditionTrue}
	if pw.api != nil {
		for _, c := range pw.api.Status.Conditions {
			if c.Type == api.PodScheduled && c.Status == api.ConditionTrue {
				scheduled.LastTransitionTime = c.LastTransitionTime
			}
		}
	}
	mine = append(mine, scheduled)

	now := api.NewTime(st.wall().Truncate(time.Second))
	for i := range mine {
		c := &mine[i]
		prev, ok := pw.conds[c.Type]
		switch {
		case ok && prev.status == c.Status:
			c.LastTransitionTime = prev.at
		case c.Type == api.PodScheduled && !c.LastTransitionTime.IsZero():
			pw.conds[c.Type] = condTime{c.Status, c.LastTransitionTime}
		default:
			c.LastTransitionTime = now
			pw.conds[c.Type] = condTime{c.Status, now}
		}
	}
	return append(out, mine...)
}

func (pw *podWorker) sidecars() map[string]bool {
	var out map[string]bool
	for _, c := range pw.inits {
		if c.sidecar {
			if out == nil {
				out = map[string]bool{}
			}
			out[c.spec.Name] = true
		}
	}
	return out
}

// readinessGates explains which of the pod's readiness gates (conditions
// that other controllers set) hold it back, or returns "".
func readinessGates(pw *podWorker) string {
	var msgs []string
	for _, g := range pw.pod.Spec.ReadinessGates {
		found := false
		if pw.api != nil {
			for _, c := range pw.api.Status.Conditions {
				if c.Type == g.ConditionType {
					found = true
					if c.Status != api.ConditionTrue {
						msgs = append(msgs, fmt.Sprintf("the status of pod readiness gate %q is not \"True\", but %s", g.ConditionType, c.Status))
					}
				}
			}
		}
		if !found {
			msgs = append(msgs, fmt.Sprintf("corresponding condition of pod readiness gate %q does not exist.", g.ConditionType))
		}
	}
	return strings.Join(msgs, ", ")
}

func statusKey(s api.PodStatus) string {
	raw, _ := json.Marshal(s)
	return string(raw)
}

// writeStatus sends the pod's status to the apiserver when it changed, as
// the kubelet's status manager does.
func (st *state) writeStatus(pw *podWorker) {
	if pw.api == nil || pw.gone {
		return // a static pod whose mirror does not exist yet
	}
	s := st.status(pw)
	key := statusKey(s)
	if key == pw.lastStatus {
		return
	}
	obj := api.DeepCopy(pw.api)
	obj.Status = s
	obj.ResourceVersion = "" // the kubelet owns pod status: last writer wins
	updated, err := st.cl.UpdateStatus(obj)
	if err != nil {
		if !apierrors.IsNotFound(err) {
			st.log.Warn("Failed to update status for pod", zap.String("pod", pw.key), zap.Error(err))
			st.timer(pw, 10*time.Second, kindPodSync, podTimer{what: "status retry"})
		}
		return
	}
	pw.lastStatus = key
	if p, ok := updated.(*api.Pod); ok {
		pw.api = p
	}
}
