package kubelet

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/apiwire"
	"go.uber.org/zap"
)

// Node registration, node status and the node Lease: the kubelet's side of
// node heartbeats. The Lease in kube-node-lease is renewed every quarter of
// its 40 s duration; the Node's status is computed every 10 s and posted
// when it changed or when 5 minutes passed since the last post
// (nodeStatusUpdateFrequency, nodeStatusReportFrequency).

// Well-known node annotations.
const (
	annotationCRISocket    = "kubeadm.alpha.kubernetes.io/cri-socket"
	annotationAttachDetach = "volumes.kubernetes.io/controller-managed-attach-detach"
	labelBetaArch          = "beta.kubernetes.io/arch"
	labelBetaOS            = "beta.kubernetes.io/os"
)

// registerBackoffMax bounds the retry interval of registration, as the
// kubelet does (100 ms doubling to 7 s).
const registerBackoffMax = 7 * time.Second

func (st *state) register() {
	if st.registered {
		return
	}
	if st.node == nil { // first attempt of this incarnation
		st.rec.nodeEvent(api.EventTypeNormal, "Starting", "Starting kubelet.")
		st.c.Note("kubelet", "Attempting to register node "+st.cfg.Node)
	}
	want := st.initialNode()
	created, err := st.cl.Create(want)
	var old *api.NodeStatus // the adopted node's status, for its transitions
	switch {
	case err == nil:
		st.node = created.(*api.Node)
	case apierrors.IsAlreadyExists(err):
		st.node, old, err = st.adoptNode(want)
	}
	if err != nil {
		st.registerFails++
		d := min(100*time.Millisecond<<min(st.registerFails-1, 10), registerBackoffMax)
		st.log.Warn("Unable to register node with API server", zap.String("node", st.cfg.Node), zap.Error(err))
		st.c.After(d, kindRegister, nil)
		if st.node == nil {
			st.node = &api.Node{} // remembers that the first attempt was made
		}
		return
	}
	st.registered = true
	st.lastPosted = st.c.Now()
	st.c.Note("kubelet", "Successfully registered node "+st.cfg.Node)
	st.log.Info("Successfully registered node", zap.String("node", st.cfg.Node))
	// The status setters report each condition that changed.
	changed := func(t api.NodeConditionType, s api.ConditionStatus) bool {
		if old == nil {
			return true
		}
		for _, c := range old.Conditions {
			if c.Type == t {
				return c.Status != s
			}
		}
		return true
	}
	for _, c := range st.node.Status.Conditions {
		switch c.Type {
		case api.NodeMemoryPressure, api.NodeDiskPressure, api.NodePIDPressure:
			if changed(c.Type, c.Status) {
				reason := "Node" + strings.TrimPrefix(c.Reason, "Kubelet")
				st.rec.nodeEvent(api.EventTypeNormal, reason, fmt.Sprintf("Node %s status is now: %s", st.cfg.Node, reason))
			}
		}
	}
	st.rec.nodeEvent(api.EventTypeNormal, "NodeAllocatableEnforced", "Updated Node Allocatable limit across pods")
	if ready := st.networkReady(); ready && changed(api.NodeReady, api.ConditionTrue) {
		st.rec.nodeEvent(api.EventTypeNormal, "NodeReady", fmt.Sprintf("Node %s status is now: NodeReady", st.cfg.Node))
	}
	st.renewLease()
	st.c.After(st.nodeStatusInterval(), kindNodeStatus, nil)
	st.startInformer()
	st.startStaticPods()
}

// nodeStatusInterval is nodeStatusUpdateFrequency with the kubelet's 4 %
// jitter.
func (st *state) nodeStatusInterval() time.Duration {
	f := st.cfg.NodeStatusUpdateFrequency
	return f + time.Duration(st.c.Rand().Float64()*0.04*float64(f))
}

// adoptNode takes over a Node that already exists (a kubelet restart, or a
// node object created ahead of the kubelet): the kubelet's default labels
// are reconciled and its status written.
func (st *state) adoptNode(want *api.Node) (*api.Node, *api.NodeStatus, error) {
	for attempt := 0; attempt < 5; attempt++ {
		obj, err := st.cl.Get("nodes", "", st.cfg.Node)
		if err != nil {
			return nil, nil, err
		}
		old := obj.(*api.Node).Status
		n := api.DeepCopy(obj.(*api.Node))
		if n.Labels == nil {
			n.Labels = map[string]string{}
		}
		for k, v := range want.Labels {
			n.Labels[k] = v
		}
		if n.Annotations == nil {
			n.Annotations = map[string]string{}
		}
		for k, v := range want.Annotations {
			n.Annotations[k] = v
		}
		updated, err := st.cl.Update(n)
		if apierrors.IsConflict(err) {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		n = api.DeepCopy(updated.(*api.Node))
		n.Status = mergeNodeStatus(n.Status, st.nodeStatus(&n.Status))
		updated, err = st.cl.UpdateStatus(n)
		if apierrors.IsConflict(err) {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		st.c.Note("kubelet", "node "+st.cfg.Node+" already exists: adopted it")
		return updated.(*api.Node), &old, nil
	}
	return nil, nil, apierrors.NewConflict("", "nodes", st.cfg.Node, apierrors.ErrModified)
}

// initialNode is the Node the kubelet registers.
func (st *state) initialNode() *api.Node {
	cfg := st.cfg
	labels := map[string]string{
		labelBetaArch:     "amd64",
		labelBetaOS:       "linux",
		api.LabelArch:     "amd64",
		api.LabelHostname: cfg.Node,
		api.LabelOS:       "linux",
	}
	if cfg.Zone != "" {
		labels[api.LabelTopologyZone] = cfg.Zone
	}
	if cfg.Region != "" {
		labels[api.LabelTopologyRegion] = cfg.Region
	}
	var taints []api.Taint
	if cfg.ControlPlane {
		labels[api.LabelNodeRoleControlPlane] = ""
		labels[api.LabelNodeExcludeLB] = ""
		taints = append(taints, api.Taint{Key: api.TaintControlPlane, Effect: api.TaintEffectNoSchedule})
	}
	for k, v := range cfg.Labels {
		labels[k] = v
	}
	taints = append(taints, cfg.Taints...)
	n := &api.Node{
		TypeMeta: api.TypeMeta{Kind: "Node", APIVersion: "v1"},
		ObjectMeta: api.ObjectMeta{Name: cfg.Node, Labels: labels, Annotations: map[string]string{
			annotationCRISocket:    "unix:///var/run/containerd/containerd.sock",
			annotationAttachDetach: "true",
		}},
		Spec: api.NodeSpec{Taints: taints},
	}
	n.Status = st.nodeStatus(nil)
	return n
}

// CNIConfDir is where the container runtime looks for a CNI network
// configuration (the Cilium agent writes 05-cilium.conflist there).
const CNIConfDir = "/etc/cni/net.d"

// NetworkNotReadyMessage is the Ready condition's message while no CNI
// configuration is there, as containerd reports it to the kubelet.
const NetworkNotReadyMessage = "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized"

// networkReady is the runtime's NetworkReady: a CNI configuration file
// (.conf, .conflist or .json) in CNIConfDir on the node's disk. Without a
// disk (Config.Disk nil) the network is taken as ready.
func (st *state) networkReady() bool {
	if st.cfg.Disk == nil {
		return true
	}
	entries, err := st.cfg.Disk.ReadDir(CNIConfDir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name, ".conf") || strings.HasSuffix(e.Name, ".conflist") || strings.HasSuffix(e.Name, ".json") {
			return true
		}
	}
	return false
}

// nodeStatus computes the status the kubelet reports, keeping the
// transition times of old.
func (st *state) nodeStatus(old *api.NodeStatus) api.NodeStatus {
	cfg := st.cfg
	now := api.NewTime(st.wall())
	capacity := api.ResourceList{
		api.ResourceCPU:              api.MustParseQuantity(cfg.CPU),
		api.ResourceEphemeralStorage: api.MustParseQuantity(cfg.EphemeralStorage),
		"hugepages-1Gi":              api.MustParseQuantity("0"),
		"hugepages-2Mi":              api.MustParseQuantity("0"),
		api.ResourceMemory:           api.MustParseQuantity(cfg.Memory),
		api.ResourcePods:             api.NewQuantity(int64(cfg.MaxPods), api.DecimalSI),
	}
	alloc := api.ResourceList{}
	for name, q := range capacity {
		for _, reserved := range []api.ResourceList{cfg.KubeReserved, cfg.SystemReserved} {
			if r, ok := reserved[name]; ok {
				q = q.Sub(r)
			}
		}
		switch name {
		case api.ResourceMemory:
			if m := api.MustParseQuantity(cfg.EvictionHardMemory); !m.IsZero() {
				q = q.Sub(m)
			}
		case api.ResourceEphemeralStorage:
			if p := cfg.EvictionHardNodefsPercent; p > 0 {
				// The threshold is a float32 percentage of capacity, as
				// the eviction manager computes it.
				cut := int64(float64(capacity[name].Value()) * float64(float32(p)/100))
				q = api.NewQuantity(q.Value()-cut, api.DecimalSI)
			}
		}
		if q.Sign() < 0 {
			q = api.NewQuantity(0, api.DecimalSI)
		}
		alloc[name] = q
	}
	conds := []api.NodeCondition{
		{Type: api.NodeMemoryPressure, Status: api.ConditionFalse, Reason: "KubeletHasSufficientMemory", Message: "kubelet has sufficient memory available"},
		{Type: api.NodeDiskPressure, Status: api.ConditionFalse, Reason: "KubeletHasNoDiskPressure", Message: "kubelet has no disk pressure"},
		{Type: api.NodePIDPressure, Status: api.ConditionFalse, Reason: "KubeletHasSufficientPID", Message: "kubelet has sufficient PID available"},
		{Type: api.NodeReady, Status: api.ConditionTrue, Reason: "KubeletReady", Message: "kubelet is posting ready status"},
	}
	if !st.networkReady() {
		conds[3] = api.NodeCondition{Type: api.NodeReady, Status: api.ConditionFalse, Reason: "KubeletNotReady", Message: NetworkNotReadyMessage}
	}
	for i := range conds {
		conds[i].LastHeartbeatTime = now
		conds[i].LastTransitionTime = now
		if old == nil {
			continue
		}
		for _, oc := range old.Conditions {
			if oc.Type == conds[i].Type && oc.Status == conds[i].Status {
				conds[i].LastTransitionTime = oc.LastTransitionTime
			}
		}
	}
	return api.NodeStatus{
		Capacity:        capacity,
		Allocatable:     alloc,
		Conditions:      conds,
		Addresses:       []api.NodeAddress{{Type: api.NodeInternalIP, Address: cfg.InternalIP}, {Type: api.NodeHostName, Address: cfg.Node}},
		DaemonEndpoints: api.NodeDaemonEndpoints{KubeletEndpoint: api.DaemonEndpoint{Port: 10250}},
		NodeInfo: api.NodeSystemInfo{
			MachineID:               hashHex("machine-id/"+cfg.Node, 16),
			SystemUUID:              uuidOf("system-uuid/" + cfg.Node),
			BootID:                  st.bootID,
			KernelVersion:           DefaultKernelVersion,
			OSImage:                 DefaultOSImage,
			ContainerRuntimeVersion: ContainerRuntimeVersion,
			KubeletVersion:          KubeletVersion,
			OperatingSystem:         "linux",
			Architecture:            "amd64",
		},
		Images: st.nodeImages(),
	}
}

// mergeNodeStatus writes the kubelet's view over a node's status, keeping
// the conditions that other components own (Cilium's NetworkUnavailable).
func mergeNodeStatus(cur, want api.NodeStatus) api.NodeStatus {
	out := want
	out.Conditions = nil
	mine := map[api.NodeConditionType]bool{}
	for _, c := range want.Conditions {
		mine[c.Type] = true
	}
	for _, c := range cur.Conditions {
		if !mine[c.Type] {
			out.Conditions = append(out.Conditions, c)
		}
	}
	out.Conditions = append(out.Conditions, want.Conditions...)
	return out
}

// syncNodeStatus posts the node's status when it differs from what the
// apiserver has (read from its cache, as the kubelet reads it with
// resourceVersion=0), or when nodeStatusReportFrequency passed since the
// last post. Reading first means a condition somebody else changed — the
// node lifecycle controller's Ready=Unknown after a partition — is put
// right at the next sync.
func (st *state) syncNodeStatus() {
	st.c.After(st.nodeStatusInterval(), kindNodeStatus, nil)
	st.recheckManifests()
	if !st.registered {
		return
	}
	for attempt := 0; attempt < 5; attempt++ { // nodeStatusUpdateRetry
		rv := "0"
		if attempt > 0 {
			rv = "" // after a conflict, a quorum read
		}
		res, err := st.cl.Do(&apiwire.Request{Verb: apiwire.VerbGet, Resource: "nodes", Name: st.cfg.Node, ResourceVersion: rv})
		if err != nil {
			st.log.Warn("Error updating node status, will retry", zap.Error(err))
			continue
		}
		cur := res.Object.(*api.Node)
		want := mergeNodeStatus(cur.Status, st.nodeStatus(&cur.Status))
		if sameIgnoringHeartbeats(cur.Status, want) && st.c.Now()-st.lastPosted < st.cfg.NodeStatusReportFrequency {
			st.node = cur
			return
		}
		n := api.DeepCopy(cur)
		n.Status = want
		updated, err := st.cl.UpdateStatus(n)
		if err != nil {
			st.log.Warn("Error updating node status, will retry", zap.Error(err))
			continue
		}
		st.node = updated.(*api.Node)
		st.lastPosted = st.c.Now()
		st.networkReadyEvent(cur.Status, want)
		return
	}
}

// networkReadyEvent records the node's Ready changing with the runtime's
// network: NodeNotReady when the CNI configuration went, NodeReady when
// it is back.
func (st *state) networkReadyEvent(before, after api.NodeStatus) {
	ready := func(s api.NodeStatus) (api.ConditionStatus, string) {
		for _, c := range s.Conditions {
			if c.Type == api.NodeReady {
				return c.Status, c.Reason
			}
		}
		return "", ""
	}
	was, wasReason := ready(before)
	now, nowReason := ready(after)
	switch {
	case was == api.ConditionTrue && now == api.ConditionFalse && nowReason == "KubeletNotReady":
		st.rec.nodeEvent(api.EventTypeNormal, "NodeNotReady", fmt.Sprintf("Node %s status is now: NodeNotReady", st.cfg.Node))
	case was == api.ConditionFalse && wasReason == "KubeletNotReady" && now == api.ConditionTrue:
		st.rec.nodeEvent(api.EventTypeNormal, "NodeReady", fmt.Sprintf("Node %s status is now: NodeReady", st.cfg.Node))
	}
}

func sameIgnoringHeartbeats(a, b api.NodeStatus) bool {
	strip := func(s api.NodeStatus) string {
		s.Conditions = append([]api.NodeCondition(nil), s.Conditions...)
		for i := range s.Conditions {
			s.Conditions[i].LastHeartbeatTime = api.Time{}
		}
		raw, _ := json.Marshal(s)
		return string(raw)
	}
	return strip(a) == strip(b)
}

// renewLease creates or renews the node's Lease and schedules the next
// renewal: every quarter of the lease duration, sooner after a failure.
func (st *state) renewLease() {
	interval := st.cfg.NodeLeaseDuration / 4
	start := st.c.Now()
	if err := st.tryRenewLease(); err != nil {
		st.leaseFails++
		d := min(200*time.Millisecond<<min(st.leaseFails-1, 10), registerBackoffMax)
		st.log.Warn("failed to update lease", zap.Error(err), zap.Duration("retryIn", d))
		st.c.After(d, kindLease, nil)
		return
	}
	st.leaseFails = 0
	// The next renewal is due a full interval after this one began, so
	// renewTime advances by exactly 10 s whatever the request took.
	st.c.After(start+interval-st.c.Now(), kindLease, nil)
}

func (st *state) tryRenewLease() error {
	now := api.NewMicroTimePtr(st.wall())
	if st.lease == nil {
		obj, err := st.cl.Get("leases", api.NamespaceNodeLease, st.cfg.Node)
		if apierrors.IsNotFound(err) {
			holder := st.cfg.Node
			secs := int32(st.cfg.NodeLeaseDuration / time.Second)
			l := &api.Lease{
				TypeMeta: api.TypeMeta{Kind: "Lease", APIVersion: "coordination.k8s.io/v1"},
				ObjectMeta: api.ObjectMeta{Name: st.cfg.Node, Namespace: api.NamespaceNodeLease,
					OwnerReferences: []api.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: st.cfg.Node, UID: st.node.UID}}},
				Spec: api.LeaseSpec{HolderIdentity: &holder, LeaseDurationSeconds: &secs, RenewTime: now},
			}
			created, err := st.cl.Create(l)
			if err != nil {
				return err
			}
			st.lease = created.(*api.Lease)
			return nil
		}
		if err != nil {
			return err
		}
		st.lease = obj.(*api.Lease)
	}
	l := api.DeepCopy(st.lease)
	l.Spec.RenewTime = now
	if l.Spec.HolderIdentity == nil || *l.Spec.HolderIdentity != st.cfg.Node {
		holder := st.cfg.Node
		l.Spec.HolderIdentity = &holder
	}
	if len(l.OwnerReferences) == 0 && st.node != nil && st.node.UID != "" {
		l.OwnerReferences = []api.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: st.cfg.Node, UID: st.node.UID}}
	}
	updated, err := st.cl.Update(l)
	if err != nil {
		st.lease = nil // re-read on the next attempt (conflict, or deleted)
		return err
	}
	st.lease = updated.(*api.Lease)
	return nil
}

// nodeImages is status.images: the node's images, largest first, at most
// 50 (nodeStatusMaxImages).
func (st *state) nodeImages() []api.ContainerImage {
	list := make([]*image, 0, len(st.images))
	for _, im := range st.images {
		list = append(list, im)
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].size != list[j].size {
			return list[i].size > list[j].size
		}
		return list[i].ref < list[j].ref
	})
	if len(list) > 50 {
		list = list[:50]
	}
	out := make([]api.ContainerImage, 0, len(list))
	for _, im := range list {
		out = append(out, api.ContainerImage{Names: []string{im.repo + "@" + im.digest, im.ref}, SizeBytes: im.size})
	}
	return out
}
