// Package cluster assembles a simulated Kubernetes cluster: it places the
// components' actors on nodes in a kernel and gives drivers (tests, the
// kubesim command) a kubectl-like handle on it. It sits above both the
// kernel (package sim) and the components, which know nothing of each other.
//
// Every node has a disk laid out as kubeadm leaves it (nodedisk.go), from
// which the kubelet runs its static pods; the control plane's actors follow
// those static pods (controlplane.go); changes made on a node — the node
// shell's writes, systemctl, etcd restores — are inputs to the node's init
// system (systemd.go).
package cluster

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/apiserver"
	"github.com/kubesim/kubesim/components/apiwire"
	"github.com/kubesim/kubesim/components/cilium/agent"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/components/cni"
	"github.com/kubesim/kubesim/components/controllers"
	"github.com/kubesim/kubesim/components/datapath"
	"github.com/kubesim/kubesim/components/etcd"
	"github.com/kubesim/kubesim/components/images"
	"github.com/kubesim/kubesim/components/kubelet"
	"github.com/kubesim/kubesim/components/nodefs"
	"github.com/kubesim/kubesim/components/proxy"
	"github.com/kubesim/kubesim/components/proxy/kubeproxy"
	"github.com/kubesim/kubesim/components/scheduler/framework"
	"github.com/kubesim/kubesim/sim"
)

// Tokens of the built-in identities (the static token file).
const (
	AdminToken          = "kubernetes-admin-token"
	SchedulerToken      = "kube-scheduler-token"
	ControllerToken     = "kube-controller-manager-token"
	KubeletTokenPrefix  = "kubelet-token-"
	DefaultKubectlActor = "kubectl"
)

// Config shapes a cluster.
type Config struct {
	// Seed drives every random choice in the run.
	Seed uint64
	// ControlPlanes names the control-plane nodes (default: cp-1).
	ControlPlanes []string
	// Workers names the worker nodes (default: worker-1, worker-2).
	Workers []string
	// Options are passed to the kernel (trace sinks, log output).
	Options []sim.Option
	// Created, if set, is called with the cluster as soon as it exists,
	// before it boots: a debugger's views can then read it during the boot
	// too (the cursor attaches it here).
	Created func(*Cluster)
	// Scheduler, if set, changes kube-scheduler's framework configuration
	// (a learner's own plugin, other weights).
	Scheduler func(*framework.Config)
	// Addons installs the add-on manifests that kubeadm and Cilium's chart
	// install: the CoreDNS Deployment and kube-dns Service, the kube-proxy
	// and cilium DaemonSets, the cilium-operator Deployment. Walkthroughs,
	// drills and `kubesim components` boot with them; tests that want a
	// quiet cluster leave them out.
	Addons bool
	// MetricsServer installs metrics-server (optional/metrics-server.yaml)
	// after the add-ons, as `kubectl apply -f components.yaml` would: the
	// resource metrics API that `kubectl top` and the
	// HorizontalPodAutoscaler read.
	MetricsServer bool
	// Controllers replaces kube-controller-manager's default controllers
	// (a test that writes EndpointSlices by hand leaves that controller out).
	Controllers []func() controllers.Controller
	// KubeProxy, if set, adjusts every node's kube-proxy configuration
	// (sync periods, cluster CIDR) before it starts.
	KubeProxy func(*kubeproxy.Config)
	// ProxyMode is kube-proxy's mode: iptables (the default) or Cilium's
	// eBPF kube-proxy replacement.
	ProxyMode kubeproxy.Mode
	// Nodes shapes nodes by name: capacity, zone, labels, taints. A node
	// without an entry gets the defaults: 4 CPUs, 8Gi of memory, 110 pods,
	// and workers spread over zone-a, zone-b and zone-c.
	Nodes []NodeSpec
}

// NodeSpec is the shape of one node, as its kubelet registers it.
type NodeSpec struct {
	Name   string
	CPU    string
	Memory string
	Pods   int
	Zone   string
	Labels map[string]string
	Taints []api.Taint
}

// NodeNames are the control-plane and worker nodes the configuration
// boots, defaults applied.
func (c Config) NodeNames() (controlPlanes, workers []string) {
	d := c.withDefaults()
	return d.ControlPlanes, d.Workers
}

// NodeZones are the topology.kubernetes.io/zone of every node the
// configuration boots, by name: a NodeSpec's Zone, or zone-a for control
// planes and zone-a, zone-b, zone-c in turn for workers.
func (c Config) NodeZones() map[string]string {
	d := c.withDefaults()
	specs := map[string]string{}
	for _, ns := range d.Nodes {
		specs[ns.Name] = ns.Zone
	}
	zones := map[string]string{}
	for i, n := range d.Workers {
		zones[n] = specs[n]
		if zones[n] == "" {
			zones[n] = fmt.Sprintf("zone-%c", 'a'+i%3)
		}
	}
	for _, n := range d.ControlPlanes {
		zones[n] = specs[n]
		if zones[n] == "" {
			zones[n] = "zone-a"
		}
	}
	return zones
}

func (c Config) withDefaults() Config {
	if len(c.ControlPlanes) == 0 {
		c.ControlPlanes = []string{"cp-1"}
	}
	if c.Workers == nil {
		c.Workers = []string{"worker-1", "worker-2"}
	}
	return c
}

// Cluster is a running simulated cluster.
type Cluster struct {
	K   *sim.Kernel
	cfg Config
	// APIServers and EtcdMembers are the actor names, one per control-plane
	// node.
	APIServers  []string
	EtcdMembers []string
	// ControllerManagers and Schedulers are the kube-controller-manager and
	// kube-scheduler actors, one per control-plane node.
	ControllerManagers []string
	Schedulers         []string
	// Kubelets run the nodes, control planes first.
	Kubelets []*kubelet.Kubelet
	disks    map[string]*etcd.Disk
	// nodeDisks are the nodes' disks; members the etcd members, one per
	// control-plane node; tokens the static token file.
	nodeDisks map[string]*nodefs.FS
	members   []*etcd.Member
	tokens    map[string]apiserver.UserInfo
	systemd   map[string]*systemd
	nextShell uint64

	kubectl *sim.External
	// Admin is kubectl with the cluster-admin credentials of admin.conf.
	Admin *client.Client

	decoded map[string]decodedObject // inspection's decode cache, by etcd key

	proxyRules *proxy.RuleCache // the compiled service rules the nodes' kube-proxies share
}

// New boots a cluster: an etcd member and a kube-apiserver on every
// control-plane node. It returns once the apiservers serve.
func New(cfg Config) (*Cluster, error) {
	cfg = cfg.withDefaults()
	k := sim.New(cfg.Seed, cfg.Options...)
	c := &Cluster{K: k, cfg: cfg, disks: map[string]*etcd.Disk{}, nodeDisks: map[string]*nodefs.FS{}, systemd: map[string]*systemd{}}
	if cfg.Created != nil {
		cfg.Created(c)
	}
	for _, n := range cfg.ControlPlanes {
		c.EtcdMembers = append(c.EtcdMembers, "etcd-"+n)
		c.APIServers = append(c.APIServers, "kube-apiserver-"+n)
	}
	tokens := map[string]apiserver.UserInfo{
		AdminToken:      {Name: "kubernetes-admin", Groups: []string{apiserver.GroupKubeadmClusterAd}},
		SchedulerToken:  {Name: "system:kube-scheduler"},
		ControllerToken: {Name: "system:kube-controller-manager"},
	}
	for _, n := range append(append([]string(nil), cfg.ControlPlanes...), cfg.Workers...) {
		tokens[KubeletTokenPrefix+n] = apiserver.UserInfo{Name: "system:node:" + n, Groups: []string{apiserver.GroupNodes}}
	}
	c.tokens = tokens
	// Stacked etcd, as kubeadm lays it out: one member per control-plane
	// node, all in one raft cluster.
	disks := make([]*etcd.Disk, len(cfg.ControlPlanes))
	for i, n := range cfg.ControlPlanes {
		disks[i] = etcd.NewDisk()
		c.disks[n] = disks[i]
	}
	c.members = etcd.NewCluster(c.EtcdMembers, disks)
	for i, m := range c.members {
		if err := k.Spawn(sim.ActorSpec{Name: c.EtcdMembers[i], Node: cfg.ControlPlanes[i], Component: "etcd", Run: m.Run}); err != nil {
			return nil, err
		}
	}
	for i, n := range cfg.ControlPlanes {
		// Each apiserver talks to its local etcd member first, as kubeadm's
		// stacked topology configures it.
		endpoints := append([]string{c.EtcdMembers[i]}, without(c.EtcdMembers, i)...)
		run := c.apiserverProgram(endpoints, nodeIP(i))
		if err := k.Spawn(sim.ActorSpec{Name: c.APIServers[i], Node: n, Component: "kube-apiserver", Run: run}); err != nil {
			return nil, err
		}
	}
	// kube-controller-manager and kube-scheduler run on every control-plane
	// node; leader election lets exactly one of each act.
	for _, n := range cfg.ControlPlanes {
		name := "kube-controller-manager-" + n
		c.ControllerManagers = append(c.ControllerManagers, name)
		run := c.controllerManagerProgramDefault()
		if err := k.Spawn(sim.ActorSpec{Name: name, Node: n, Component: "kube-controller-manager", Run: run}); err != nil {
			return nil, err
		}
		name = "kube-scheduler-" + n
		c.Schedulers = append(c.Schedulers, name)
		run = c.schedulerProgram()
		if err := k.Spawn(sim.ActorSpec{Name: name, Node: n, Component: "kube-scheduler", Run: run}); err != nil {
			return nil, err
		}
	}
	// A kubelet (and its container runtime) on every node; control-plane
	// kubelets also run the kubeadm static pods, whose mirror pods show the
	// control plane in kube-system.
	specs := map[string]NodeSpec{}
	for _, ns := range cfg.Nodes {
		specs[ns.Name] = ns
	}
	zones := cfg.NodeZones()
	all := append(append([]string(nil), cfg.ControlPlanes...), cfg.Workers...)
	for i, n := range all {
		spec := specs[n]
		cp := i < len(cfg.ControlPlanes)
		zone := zones[n]
		kc := kubelet.Config{Node: n, Token: KubeletTokenPrefix + n, APIServers: c.APIServers, ControlPlane: cp, Zone: zone,
			Labels: spec.Labels, Taints: spec.Taints, CPU: orDefault(spec.CPU, "4"), Memory: orDefault(spec.Memory, "8Gi"), MaxPods: spec.Pods,
			InternalIP: nodeIP(i)}
		kc.Clients = func(pod *api.Pod, container string, loop images.RequestLoop) func(*sim.Ctx) {
			return datapath.NewRequestLoop(pod, container, loop, nil)
		}
		var static []*api.Pod
		if cp {
			static = kubelet.KubeadmStaticPods(nodeIP(i))
			cpl := &controlPlane{c: c, node: n, idx: i, running: map[string]string{}}
			for _, p := range static {
				ct := p.Spec.Containers[0]
				cpl.running[ct.Name+"-"+n] = ct.Image + " " + strings.Join(append(append([]string(nil), ct.Command...), ct.Args...), " ")
			}
			kc.Programs = cpl
		}
		disk, err := c.writeNodeDisk(n, i, cp, static)
		if err != nil {
			return nil, fmt.Errorf("cluster: writing the disk of %s: %w", n, err)
		}
		c.nodeDisks[n] = disk
		kc.Disk = disk
		kc.ImageExists = imageExists
		c.systemd[n] = newSystemd(c, n)
		kl := kubelet.New(kc)
		c.Kubelets = append(c.Kubelets, kl)
		if err := k.Spawn(sim.ActorSpec{Name: kubelet.RuntimeName(n), Node: n, Component: "containerd", Run: kl.RunRuntime}); err != nil {
			return nil, err
		}
		if err := k.Spawn(sim.ActorSpec{Name: kubelet.ActorName(n), Node: n, Component: "kubelet", Run: kl.Run}); err != nil {
			return nil, err
		}
	}
	// The data path: each node's kernel rules (datapath-<node>, which
	// outlive kube-proxy as netfilter does) and its kube-proxy.
	for _, n := range all {
		if err := k.Spawn(sim.ActorSpec{Name: datapath.NodeName(n), Node: n, Component: "kernel", Run: datapath.NewNode()}); err != nil {
			return nil, err
		}
		if err := k.Spawn(c.kubeProxyRun(n)); err != nil {
			return nil, err
		}
	}
	// Cilium: the operator (one replica here; the real Deployment runs two,
	// leader-elected) and an agent on every node. With the add-ons
	// installed, the operator moves to its pod's node (see programs).
	if err := k.Spawn(c.operatorRun(cfg.ControlPlanes[0])); err != nil {
		return nil, err
	}
	for _, n := range all {
		if err := k.Spawn(c.ciliumRun(n)); err != nil {
			return nil, err
		}
	}
	c.kubectl = k.External(DefaultKubectlActor, "")
	c.Admin = client.New(c.kubectl, AdminToken, c.APIServers...)
	c.Admin.UserAgent = "kubectl"
	if !c.WaitFor(func() bool { return c.serving() }, time.Minute) {
		c.Stop()
		return nil, errors.New("cluster: kube-apiserver did not become ready within a minute of virtual time")
	}
	if cfg.Addons {
		if err := c.installAddons(); err != nil {
			c.Stop()
			return nil, err
		}
		if err := k.Spawn(sim.ActorSpec{Name: ProgramsActor, Node: cfg.ControlPlanes[0], Component: "kubesim", Run: newPrograms(c)}); err != nil {
			c.Stop()
			return nil, err
		}
	}
	if cfg.MetricsServer {
		if _, err := c.Apply("metrics-server.yaml", metricsServerManifest); err != nil {
			c.Stop()
			return nil, fmt.Errorf("cluster: installing metrics-server: %w", err)
		}
	}
	return c, nil
}

// kubeProxyActor is kube-proxy's actor on a node.
func (c *Cluster) kubeProxyActor(node string) string { return kubeproxy.ActorName(node) }

// kubeProxyRun is kube-proxy's actor on a node, as the cluster runs it.
func (c *Cluster) kubeProxyRun(node string) sim.ActorSpec {
	if c.proxyRules == nil {
		c.proxyRules = proxy.NewRuleCache()
	}
	kc := kubeproxy.Config{Node: node, Token: apiserver.ServiceAccountTokenFor("kube-system", "kube-proxy"), APIServers: c.APIServers, Mode: c.cfg.ProxyMode, Rules: c.proxyRules}
	if c.cfg.KubeProxy != nil {
		c.cfg.KubeProxy(&kc)
	}
	return sim.ActorSpec{Name: c.kubeProxyActor(node), Node: node, Component: "kube-proxy", Run: kubeproxy.New(kc)}
}

// ciliumActor is the Cilium agent's actor on a node.
func (c *Cluster) ciliumActor(node string) string { return cni.AgentName(node) }

// ciliumRun is the Cilium agent's actor on a node.
func (c *Cluster) ciliumRun(node string) sim.ActorSpec {
	run := agent.New(agent.Config{Node: node, Token: apiserver.ServiceAccountTokenFor("kube-system", "cilium"), APIServers: c.APIServers})
	return sim.ActorSpec{Name: c.ciliumActor(node), Node: node, Component: "cilium", Run: run}
}

// operatorRun is cilium-operator's actor, on a node.
func (c *Cluster) operatorRun(node string) sim.ActorSpec {
	op := agent.NewOperator(agent.OperatorConfig{Token: apiserver.ServiceAccountTokenFor("kube-system", "cilium-operator"), APIServers: c.APIServers})
	return sim.ActorSpec{Name: operatorActor, Node: node, Component: "cilium-operator", Run: op}
}

func without(list []string, i int) []string {
	out := append([]string(nil), list[:i]...)
	return append(out, list[i+1:]...)
}

// serving reports whether the apiservers answer and the ServiceAccount
// controller has done its first round.
func (c *Cluster) serving() bool {
	for _, a := range c.APIServers {
		if !c.K.Running(a) {
			return false
		}
	}
	_, err := c.Admin.Get("serviceaccounts", "default", "default")
	return err == nil
}

// WaitFor runs the simulation until cond holds or limit of virtual time
// passes, checking every 100 ms of virtual time; it reports whether cond
// held.
func (c *Cluster) WaitFor(cond func() bool, limit time.Duration) bool {
	return c.WaitForEvery(cond, limit, 100*time.Millisecond)
}

// WaitForEvery is WaitFor checking cond every step of virtual time.
func (c *Cluster) WaitForEvery(cond func() bool, limit, every time.Duration) bool {
	deadline := c.K.Now() + limit
	for {
		if cond() {
			return true
		}
		if c.K.Now() >= deadline {
			return false
		}
		step := every
		if rest := deadline - c.K.Now(); rest < step {
			step = rest
		}
		c.K.RunFor(step)
	}
}

// Stop ends every actor. The cluster cannot be used afterwards.
func (c *Cluster) Stop() { c.K.Shutdown() }

// TokenUser is the user the static token file maps a bearer token to, as
// kube-apiserver authenticates it, with system:authenticated; ok is false
// for a token not in the file. It reads configuration only, so any
// goroutine may call it.
func (c *Cluster) TokenUser(token string) (u apiserver.UserInfo, ok bool) {
	t, ok := c.tokens[token]
	if !ok {
		return apiserver.UserInfo{}, false
	}
	return apiserver.UserInfo{Name: t.Name, Groups: append(append([]string(nil), t.Groups...), apiserver.GroupAuthenticated)}, true
}

// Kubectl is the external endpoint kubectl requests come from.
func (c *Cluster) Kubectl() *sim.External { return c.kubectl }

// ClientAs returns a kubectl-like client with another bearer token.
func (c *Cluster) ClientAs(token string) *client.Client {
	cl := client.New(c.kubectl, token, c.APIServers...)
	cl.UserAgent = "kubectl"
	return cl
}

// ApplyResult is what kubectl apply prints per object: "pod/web created".
type ApplyResult struct {
	Object api.Object
	Action string // created, configured, unchanged
	// Info is the object's resource (a custom resource's is found in
	// discovery, not from its Go type).
	Info *api.ResourceInfo
}

func (r ApplyResult) String() string {
	info := r.Info
	if info == nil {
		info, _ = api.ResourceOf(r.Object)
	}
	name := r.Object.GetObjectMeta().Name
	kind := "object"
	if info != nil {
		kind = info.Singular
		if info.Group != "" {
			kind += "." + info.Group
		}
	}
	return fmt.Sprintf("%s/%s %s", kind, name, r.Action)
}

// Apply decodes a manifest file (strictly) and creates or updates each
// object in it, as `kubectl apply -f` does. Nothing is sent if the file does
// not decode. Objects without a namespace go to "default".
func (c *Cluster) Apply(filename string, data []byte) ([]ApplyResult, error) {
	objs, err := api.DecodeManifests(filename, data)
	if err != nil {
		return nil, err
	}
	return c.ApplyObjects(objs...)
}

// ApplyObjects creates or updates objects.
func (c *Cluster) ApplyObjects(objs ...api.Object) ([]ApplyResult, error) {
	var out []ApplyResult
	for _, obj := range objs {
		info, ok := api.ResourceOf(obj)
		patchType := apiwire.StrategicMergePatch
		if cr, custom := obj.(*api.CustomResource); custom {
			// As kubectl: find the kind in discovery, and merge-patch it
			// (custom resources have no strategic merge).
			var err error
			if info, err = c.discoverCustom(cr); err != nil {
				return out, err
			}
			ok, patchType = true, apiwire.MergePatch
		}
		if !ok {
			return out, fmt.Errorf("no resource for kind %q", obj.GetTypeMeta().Kind)
		}
		m := obj.GetObjectMeta()
		if info.Namespaced && m.Namespace == "" {
			m.Namespace = "default"
		}
		// kubectl apply names itself kubectl-client-side-apply in
		// managedFields.
		const manager = "kubectl-client-side-apply"
		res, err := c.Admin.Do(&apiwire.Request{Verb: apiwire.VerbCreate, Resource: info.RequestResource(), Namespace: m.Namespace, Object: obj, FieldManager: manager})
		if err == nil {
			out = append(out, ApplyResult{Object: res.Object, Action: "created", Info: info})
			continue
		}
		if !apierrors.IsAlreadyExists(err) {
			return out, err
		}
		live, err := c.Admin.Get(info.RequestResource(), m.Namespace, m.Name)
		if err != nil {
			return out, err
		}
		// Like kubectl apply, send only what the manifest says, so fields
		// set by defaults, admission and controllers stay.
		patch, err := manifestPatch(obj)
		if err != nil {
			return out, err
		}
		res, err = c.Admin.Do(&apiwire.Request{Verb: apiwire.VerbPatch, Resource: info.RequestResource(), Namespace: m.Namespace, Name: m.Name, PatchType: patchType, Patch: patch, FieldManager: manager})
		if err != nil {
			return out, err
		}
		updated := res.Object
		action := "configured"
		if updated.GetObjectMeta().ResourceVersion == live.GetObjectMeta().ResourceVersion {
			action = "unchanged"
		}
		out = append(out, ApplyResult{Object: updated, Action: action, Info: info})
	}
	return out, nil
}

// discoverCustom finds the resource of a custom resource's kind among the
// Established CRDs, as kubectl's discovery does, or fails with kubectl's
// text.
func (c *Cluster) discoverCustom(cr *api.CustomResource) (*api.ResourceInfo, error) {
	items, _, err := c.Admin.List("customresourcedefinitions", "", client.ListOptions{})
	if err != nil {
		return nil, err
	}
	gv := api.ParseGroupVersion(cr.APIVersion)
	for _, o := range items {
		crd := o.(*api.CustomResourceDefinition)
		established := false
		for _, cond := range crd.Status.Conditions {
			established = established || (cond.Type == api.CRDEstablished && cond.Status == api.ConditionTrue)
		}
		if !established || crd.Spec.Group != gv.Group || crd.Status.AcceptedNames.Kind != cr.Kind {
			continue
		}
		for _, v := range crd.Spec.Versions {
			if v.Name == gv.Version && v.Served && v.Storage {
				return api.CustomResourceInfo(crd, v.Name), nil
			}
		}
	}
	return nil, fmt.Errorf("resource mapping not found for name: %q namespace: %q: no matches for kind %q in version %q\nensure CRDs are installed first", cr.Name, cr.Namespace, cr.Kind, cr.APIVersion)
}

// Disk returns the etcd data directory of a control-plane node.
func (c *Cluster) Disk(node string) *etcd.Disk { return c.disks[node] }

// manifestPatch is the manifest as a patch: its JSON without nulls and
// without the fields the server owns.
func manifestPatch(obj api.Object) ([]byte, error) {
	raw, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	delete(doc, "status")
	if md, ok := doc["metadata"].(map[string]any); ok {
		for _, k := range []string{"resourceVersion", "uid", "creationTimestamp", "generation"} {
			delete(md, k)
		}
	}
	return json.Marshal(api.DropNulls(doc))
}

// addonAccounts are the ServiceAccounts the add-ons' manifests create in
// kube-system (cilium, cilium-operator, coredns, kube-proxy); the apiserver
// bootstrap ensures them here, since the add-ons run as built-in actors.
func addonAccounts() []api.Object {
	var out []api.Object
	for _, name := range []string{"cilium", "cilium-operator", "coredns", "kube-proxy"} {
		out = append(out, &api.ServiceAccount{TypeMeta: api.TypeMeta{Kind: "ServiceAccount", APIVersion: "v1"}, ObjectMeta: api.ObjectMeta{Name: name, Namespace: "kube-system"}})
	}
	return out
}

// nodeIP is the InternalIP of the i-th node (control planes first), in the
// 172.18.0.0/16 network a kind cluster's nodes get (172.18.0.2 onwards,
// on into 172.18.1.0 and beyond past the 254th node).
func nodeIP(i int) string { return fmt.Sprintf("172.18.%d.%d", (i+2)/256, (i+2)%256) }

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// NodesReady reports whether every node registered and is Ready.
func (c *Cluster) NodesReady() bool {
	items, _, err := c.Admin.List("nodes", "", client.ListOptions{ResourceVersion: "0"})
	if err != nil || len(items) != len(c.cfg.ControlPlanes)+len(c.cfg.Workers) {
		return false
	}
	for _, o := range items {
		ready := false
		for _, cond := range o.(*api.Node).Status.Conditions {
			if cond.Type == api.NodeReady && cond.Status == api.ConditionTrue {
				ready = true
			}
		}
		if !ready {
			return false
		}
	}
	return true
}

//go:embed addons/*.yaml
var addons embed.FS

//go:embed optional/metrics-server.yaml
var metricsServerManifest []byte

// installAddons applies the add-on manifests, as `kubeadm init` and
// `helm install cilium` do after the control plane is up.
func (c *Cluster) installAddons() error {
	entries, err := fs.ReadDir(addons, "addons")
	if err != nil {
		return err
	}
	for _, e := range entries {
		data, err := addons.ReadFile("addons/" + e.Name())
		if err != nil {
			return err
		}
		if _, err := c.Apply("addons/"+e.Name(), data); err != nil {
			return fmt.Errorf("cluster: installing add-on %s: %w", e.Name(), err)
		}
	}
	return nil
}

// Prober runs curl and nslookup from pods, every hop a traced message.
func (c *Cluster) Prober() *datapath.Prober { return datapath.NewProber(c.K, c.Admin) }

// SaveSnapshot is `etcdctl snapshot save` against the cluster's etcd.
func (c *Cluster) SaveSnapshot() ([]byte, error) {
	return etcd.SaveSnapshot(etcd.NewClient(c.kubectl, c.EtcdMembers...))
}

// RestoreSnapshot is the operator's restore procedure: stop the
// apiservers and the etcd members, `etcdutl snapshot restore` onto every
// member's data directory (bumping the revision and marking it compacted so
// every watcher relists), start the members, start the apiservers.
func (c *Cluster) RestoreSnapshot(snapshot []byte) error {
	disks := make([]*etcd.Disk, len(c.cfg.ControlPlanes))
	for i, n := range c.cfg.ControlPlanes {
		disks[i] = c.disks[n]
	}
	return etcd.RestoreControlPlane(c.K, c.EtcdMembers, disks, c.APIServers, snapshot,
		etcd.RestoreOptions{BumpRevision: etcd.RecommendedBumpRevision, MarkCompacted: true, Now: c.K.Now()})
}

// MoveEtcdLeader is `etcdctl move-leader`: the etcd leader hands its
// leadership to the member named to.
func (c *Cluster) MoveEtcdLeader(to string) (*etcd.MoveLeaderResponse, error) {
	return etcd.MoveLeader(c.kubectl, c.EtcdMembers, to)
}

// ContainerLogs reads a container's log lines with their virtual times
// from the node the pod runs on (kubelet.Kubelet.ContainerLogs): the
// current instance's, or with previous the last terminated one's. It
// reads the nodes' runtimes out of band, between kernel steps, and
// changes nothing (no request reaches the apiserver). Errors read as
// kubectl's.
func (c *Cluster) ContainerLogs(namespace, pod, container string, previous bool) ([]kubelet.LogLine, error) {
	for _, kl := range c.Kubelets {
		if kl.HasPod(namespace, pod) {
			return kl.ContainerLogs(namespace, pod, container, previous)
		}
	}
	return nil, fmt.Errorf("pods %q not found", pod)
}

// MountedConfig reads what a running container sees of ConfigMaps and
// Secrets from the kubelet of the node its pod runs on
// (kubelet.Kubelet.MountedConfig), out of band; false when no kubelet
// runs that container.
func (c *Cluster) MountedConfig(namespace, pod, container string) (kubelet.MountedConfig, bool) {
	for _, kl := range c.Kubelets {
		if kl.HasPod(namespace, pod) {
			return kl.MountedConfig(namespace, pod, container)
		}
	}
	return kubelet.MountedConfig{}, false
}
