package plugins

import (
	"context"
	"fmt"
	"slices"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/scheduler/framework"
)

// ---------------------------------------------------------------- VolumeBinding

// VolumeBindingName is the plugin's name.
const VolumeBindingName = "VolumeBinding"

// The VolumeBinding Filter's reasons, as kube-scheduler words them.
const (
	ErrReasonBindConflict = "node(s) didn't find available persistent volumes to bind"
	ErrReasonNodeConflict = "node(s) had volume node affinity conflict"
	ErrReasonPVNotExist   = "node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)"
	// ErrUnboundImmediateClaims is PreFilter's verdict on a pod whose claim
	// of an Immediate class (or of no class) is not bound yet.
	ErrUnboundImmediateClaims = "pod has unbound immediate PersistentVolumeClaims"
)

// noProvisioner is the provisioner of classes for pre-created local
// volumes only.
const noProvisioner = "kubernetes.io/no-provisioner"

// VolumeBinding is kube-scheduler's VolumeBinding plugin: it places a pod
// where its PersistentVolumeClaims can be used, and at PreBind makes the
// claims of WaitForFirstConsumer classes bindable there.
//
//   - PreFilter: a claim that does not exist or is being deleted fails the
//     pod for every node (`persistentvolumeclaim "x" not found`); so does
//     an unbound claim of an Immediate class, or of a class that does not
//     exist, since only the persistentvolume-binder can bind it ("pod has
//     unbound immediate PersistentVolumeClaims"). Claims of
//     WaitForFirstConsumer classes wait for this plugin.
//   - Filter: a bound claim's volume must exist and its node affinity
//     must admit the node ("node(s) had volume node affinity conflict");
//     a WaitForFirstConsumer claim needs an Available volume that fits
//     (class, size, access modes, node affinity; the smallest wins) or a
//     class with a provisioner ("node(s) didn't find available persistent
//     volumes to bind" for kubernetes.io/no-provisioner).
//   - Reserve keeps the chosen node's decision; PreBind writes it: the
//     volume's claimRef for a static match, the claim's
//     volume.kubernetes.io/selected-node annotation for provisioning. The
//     scheduler then waits for every claim to be Bound before it binds the
//     pod (see the scheduler actor).
//
// Simplifications: no CSIStorageCapacity or allowedTopologies checks, no
// scoring, and a static volume chosen for one pod is not hidden from
// another pod's cycle until the binder has written it (the real plugin
// assumes it in a cache).
type VolumeBinding struct {
	vols framework.Volumes
}

func newVolumeBinding(_ any, h framework.Handle) (framework.Plugin, error) {
	return &VolumeBinding{vols: framework.VolumesOf(h)}, nil
}

// Name implements framework.Plugin.
func (pl *VolumeBinding) Name() string { return VolumeBindingName }

const volumeBindingStateKey framework.StateKey = "PreFilter" + VolumeBindingName

// VolumeBindingPair is one static binding: Claim (a claim of the pod) gets the
// existing Volume.
type VolumeBindingPair struct{ Claim, Volume string }

// VolumeDecision is what VolumeBinding decided for the pod on one node.
type VolumeDecision struct {
	// Node is the node the decision is for.
	Node string
	// Bind are the static bindings, in the pod's volume order.
	Bind []VolumeBindingPair
	// Provision are the claims to provision on Node.
	Provision []string
}

type volumeBindingState struct {
	bound  []*api.PersistentVolumeClaim
	toBind []*api.PersistentVolumeClaim
	byNode map[string]*volumeDecision
	chosen *volumeDecision
}

type volumeDecision struct {
	bind      []staticBinding
	provision []*api.PersistentVolumeClaim
}

type staticBinding struct {
	claim  *api.PersistentVolumeClaim
	volume *api.PersistentVolume
}

func (s *volumeBindingState) Clone() framework.StateData { return s }

// PodClaimNames returns the claims a pod's volumes name, in volume order.
func PodClaimNames(pod *api.Pod) []string {
	var out []string
	for _, v := range pod.Spec.Volumes {
		if v.PersistentVolumeClaim != nil {
			out = append(out, v.PersistentVolumeClaim.ClaimName)
		}
	}
	return out
}

// delayBinding reports whether the claim's class binds WaitForFirstConsumer.
// A class that does not exist counts as Immediate, as upstream.
func (pl *VolumeBinding) delayBinding(claim *api.PersistentVolumeClaim) bool {
	name := api.PersistentVolumeClaimStorageClass(claim)
	if name == "" {
		return false
	}
	sc, ok := pl.vols.Class(name)
	return ok && sc.VolumeBindingMode != nil && *sc.VolumeBindingMode == api.VolumeBindingWaitForFirstConsumer
}

// PreFilter implements framework.PreFilterPlugin.
func (pl *VolumeBinding) PreFilter(_ context.Context, state *framework.CycleState, pod *api.Pod, _ []*framework.NodeInfo) (*framework.PreFilterResult, *framework.Status) {
	names := PodClaimNames(pod)
	if pl.vols == nil || len(names) == 0 {
		return nil, framework.NewStatus(framework.Skip)
	}
	s := &volumeBindingState{byNode: map[string]*volumeDecision{}}
	immediate := false
	for _, name := range names {
		claim, ok := pl.vols.Claim(pod.Namespace, name)
		if !ok {
			return nil, framework.NewStatus(framework.UnschedulableAndUnresolvable, fmt.Sprintf("persistentvolumeclaim %q not found", name))
		}
		if claim.DeletionTimestamp != nil {
			return nil, framework.NewStatus(framework.UnschedulableAndUnresolvable, fmt.Sprintf("persistentvolumeclaim %q is being deleted", name))
		}
		switch {
		case claim.Spec.VolumeName != "":
			s.bound = append(s.bound, claim)
		case pl.delayBinding(claim):
			s.toBind = append(s.toBind, claim)
		default:
			immediate = true
		}
	}
	if immediate {
		return nil, framework.NewStatus(framework.UnschedulableAndUnresolvable, ErrUnboundImmediateClaims)
	}
	state.Write(volumeBindingStateKey, s)
	return nil, nil
}

// volumeFitsNode reports whether the volume's node affinity admits node.
func volumeFitsNode(pv *api.PersistentVolume, node *api.Node) bool {
	if pv.Spec.NodeAffinity == nil || pv.Spec.NodeAffinity.Required == nil {
		return true
	}
	sel, err := framework.NewNodeSelector(pv.Spec.NodeAffinity.Required)
	return err == nil && sel.Match(node)
}

// findVolume is the binder's matching with the node in mind: an Available,
// unclaimed volume of the claim's class and volume mode, with the claim's
// access modes, enough storage and node affinity admitting node; the
// smallest wins, ties to the first by name. taken volumes are skipped.
func (pl *VolumeBinding) findVolume(claim *api.PersistentVolumeClaim, node *api.Node, taken []string) *api.PersistentVolume {
	request := claim.Spec.Resources.Requests[api.ResourceStorage]
	class := api.PersistentVolumeClaimStorageClass(claim)
	var best *api.PersistentVolume
	for _, pv := range pl.vols.ListVolumes() {
		if slices.Contains(taken, pv.Name) || pv.DeletionTimestamp != nil || pv.Spec.StorageClassName != class {
			continue
		}
		if ref := pv.Spec.ClaimRef; ref != nil {
			if ref.Namespace != claim.Namespace || ref.Name != claim.Name || (ref.UID != "" && ref.UID != claim.UID) {
				continue
			}
		} else if pv.Status.Phase != api.VolumeAvailable {
			continue
		}
		if volumeMode(pv.Spec.VolumeMode) != volumeMode(claim.Spec.VolumeMode) || !offersModes(pv, claim.Spec.AccessModes) {
			continue
		}
		size := pv.Spec.Capacity[api.ResourceStorage]
		if size.Cmp(request) < 0 || !volumeFitsNode(pv, node) {
			continue
		}
		if best == nil || size.Cmp(best.Spec.Capacity[api.ResourceStorage]) < 0 {
			best = pv
		}
	}
	return best
}

func volumeMode(m *api.PersistentVolumeMode) api.PersistentVolumeMode {
	if m == nil {
		return api.PersistentVolumeFilesystem
	}
	return *m
}

func offersModes(pv *api.PersistentVolume, want []api.PersistentVolumeAccessMode) bool {
	for _, w := range want {
		if !slices.Contains(pv.Spec.AccessModes, w) {
			return false
		}
	}
	return true
}

// Filter implements framework.FilterPlugin.
func (pl *VolumeBinding) Filter(_ context.Context, state *framework.CycleState, _ *api.Pod, nodeInfo *framework.NodeInfo) *framework.Status {
	s, err := readState[*volumeBindingState](state, volumeBindingStateKey)
	if err != nil {
		return framework.AsStatus(err)
	}
	node := nodeInfo.Node()
	nodeConflict, pvMissing, bindConflict := false, false, false
	for _, claim := range s.bound {
		pv, ok := pl.vols.Volume(claim.Spec.VolumeName)
		switch {
		case !ok:
			pvMissing = true
		case !volumeFitsNode(pv, node):
			nodeConflict = true
		}
	}
	d := &volumeDecision{}
	var taken []string
	for _, claim := range s.toBind {
		if pv := pl.findVolume(claim, node, taken); pv != nil {
			d.bind = append(d.bind, staticBinding{claim: claim, volume: pv})
			taken = append(taken, pv.Name)
			continue
		}
		if sc, ok := pl.vols.Class(api.PersistentVolumeClaimStorageClass(claim)); !ok || sc.Provisioner == noProvisioner {
			bindConflict = true
			continue
		}
		d.provision = append(d.provision, claim)
	}
	var reasons []string
	if nodeConflict {
		reasons = append(reasons, ErrReasonNodeConflict)
	}
	if bindConflict {
		reasons = append(reasons, ErrReasonBindConflict)
	}
	if pvMissing {
		reasons = append(reasons, ErrReasonPVNotExist)
	}
	if len(reasons) > 0 {
		return framework.NewStatus(framework.UnschedulableAndUnresolvable, reasons...)
	}
	s.byNode[node.Name] = d
	return nil
}

// Reserve implements framework.ReservePlugin: it keeps the node's decision.
func (pl *VolumeBinding) Reserve(_ context.Context, state *framework.CycleState, _ *api.Pod, nodeName string) *framework.Status {
	s, err := readState[*volumeBindingState](state, volumeBindingStateKey)
	if err != nil {
		return nil // skipped in PreFilter: no claims
	}
	s.chosen = s.byNode[nodeName]
	return nil
}

// Unreserve implements framework.ReservePlugin.
func (pl *VolumeBinding) Unreserve(_ context.Context, state *framework.CycleState, _ *api.Pod, _ string) {
	if s, err := readState[*volumeBindingState](state, volumeBindingStateKey); err == nil {
		s.chosen = nil
	}
}

// PreBind implements framework.PreBindPlugin: the static bindings go into
// the volumes' claimRef, the claims to provision get the selected node.
func (pl *VolumeBinding) PreBind(_ context.Context, state *framework.CycleState, _ *api.Pod, nodeName string) *framework.Status {
	s, err := readState[*volumeBindingState](state, volumeBindingStateKey)
	if err != nil || s.chosen == nil {
		return nil
	}
	for _, b := range s.chosen.bind {
		if err := pl.vols.BindVolume(b.volume, b.claim); err != nil {
			return framework.AsStatus(fmt.Errorf("binding volumes: %w", err))
		}
	}
	for _, claim := range s.chosen.provision {
		if claim.Annotations[api.AnnSelectedNode] == nodeName {
			continue
		}
		if err := pl.vols.SetSelectedNode(claim, nodeName); err != nil {
			return framework.AsStatus(fmt.Errorf("binding volumes: %w", err))
		}
	}
	return nil
}

// EventsToRegister implements framework.EnqueueExtensions: a new or
// changed claim, volume or class, or a new or relabelled node.
func (pl *VolumeBinding) EventsToRegister() []framework.ClusterEventWithHint {
	return []framework.ClusterEventWithHint{
		{Event: framework.ClusterEvent{Resource: framework.PersistentVolumeClaim, ActionType: framework.Add | framework.Update}},
		{Event: framework.ClusterEvent{Resource: framework.PersistentVolume, ActionType: framework.Add | framework.Update}},
		{Event: framework.ClusterEvent{Resource: framework.StorageClass, ActionType: framework.Add | framework.Update}},
		{Event: framework.ClusterEvent{Resource: framework.Node, ActionType: framework.Add | framework.UpdateNodeLabel}},
	}
}

// VolumeDecisionOf returns what VolumeBinding reserved for the pod in this
// cycle, or false when the pod has no claims to bind.
func VolumeDecisionOf(state *framework.CycleState, nodeName string) (VolumeDecision, bool) {
	s, err := readState[*volumeBindingState](state, volumeBindingStateKey)
	if err != nil || s.chosen == nil || (len(s.chosen.bind) == 0 && len(s.chosen.provision) == 0) {
		return VolumeDecision{}, false
	}
	out := VolumeDecision{Node: nodeName}
	for _, b := range s.chosen.bind {
		out.Bind = append(out.Bind, VolumeBindingPair{Claim: b.claim.Name, Volume: b.volume.Name})
	}
	for _, c := range s.chosen.provision {
		out.Provision = append(out.Provision, c.Name)
	}
	return out, true
}

// UnboundClaims returns the pod's claims that are not Bound yet, in volume
// order: the scheduler binds the pod only when there are none.
func UnboundClaims(vols framework.Volumes, pod *api.Pod) []string {
	var out []string
	for _, name := range PodClaimNames(pod) {
		claim, ok := vols.Claim(pod.Namespace, name)
		if !ok || claim.Status.Phase != api.ClaimBound || claim.Spec.VolumeName == "" {
			out = append(out, name)
		}
	}
	return out
}
