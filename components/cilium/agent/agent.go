// Package agent runs Cilium's node agent and its operator as kernel actors
// on top of package cilium's IPAM and identity cores.
//
// The agent (`cilium-agent-<node>`, the cilium DaemonSet pod of that node)
// creates its CiliumNode, waits for the operator to give it a pod CIDR
// (cluster-pool IPAM), and then answers the kubelet's CNI ADD and DEL: an
// address from the node's CIDR, an endpoint with a security identity derived
// from the pod's labels — identities are cluster-wide CiliumIdentity objects,
// the lowest free number from 256 for a new label set — and a CiliumEndpoint
// object that other agents and Hubble read. A restarted agent restores its
// endpoints from the CiliumEndpoints of its node, as the real agent restores
// them from its state directory.
//
// The agent also enforces network policy and keeps Hubble's flow log: it
// watches NetworkPolicies, CiliumNetworkPolicies, CiliumEndpoints (its
// ipcache: address -> identity), CiliumNodes (address -> node) and the pods
// of its node, and answers KindVerdict for the first packet of a
// connection — egress at the source's agent, ingress at the destination's —
// and KindDeliver (the endpoint's stack: does a running container declare
// the port?), recording each verdict in its Hubble ring, which KindObserve queries as
// "hubble observe" does. The ring lives in the agent's process: a restart
// empties it, as restarting a real agent empties Hubble's buffer.
//
// The operator (NewOperator; the actor `cilium-operator`, on the node of
// the cilium-operator Deployment's running pod) carves per-node pod CIDRs
// out of the cluster pool (10.0.0.0/8 in /24s) into
// CiliumNode.spec.ipam.podCIDRs. A new operator re-reads the CIDRs already
// given, so one that moves to another node goes on where it stopped.
package agent

import (
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/cilium"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/components/cni"
	"github.com/kubesim/kubesim/sim"
	"go.uber.org/zap"
)

// Config configures an agent.
type Config struct {
	Node       string
	Token      string
	APIServers []string
	// Cluster is the Cilium cluster name (cluster.name, "default").
	Cluster string
}

type endpoint struct {
	id       int64
	ip       netip.Addr
	identity int64
	pod      string // ns/name
}

type agent struct {
	cfg        Config
	c          *sim.Ctx
	cl         *client.Client
	nodes      *client.Informer
	identities *client.Informer
	namespaces *client.Informer
	ipam       *cilium.NodeIPAM
	router     netip.Addr
	endpoints  map[string]*endpoint // by pod key
	nextID     int64
	ready      bool
	policy     policyState
}

const (
	kindRetry = "retry-sync"
	// ipamNotReady is what a CNI ADD gets before the node has a pod CIDR.
	ipamNotReady = "unable to allocate IP via local cilium agent: IPAM not ready: the CiliumNode has no pod CIDR yet"
)

// New returns the agent's actor body.
func New(cfg Config) func(*sim.Ctx) {
	if cfg.Cluster == "" {
		cfg.Cluster = cilium.DefaultClusterName
	}
	return func(c *sim.Ctx) {
		cl := client.New(c, cfg.Token, cfg.APIServers...)
		cl.UserAgent = "cilium-agent"
		a := &agent{cfg: cfg, c: c, cl: cl, endpoints: map[string]*endpoint{}, nextID: 1}
		c.Publish(View{a})
		a.nodes = client.NewInformer(cl, "ciliumnodes", "", client.ListOptions{FieldSelector: "metadata.name=" + cfg.Node})
		a.identities = client.NewInformer(cl, "ciliumidentities", "", client.ListOptions{})
		a.namespaces = client.NewInformer(cl, "namespaces", "", client.ListOptions{})
		a.nodes.AddHandler(client.Handler{OnAdd: a.onNode, OnUpdate: func(_, o api.Object) { a.onNode(o) }})
		a.setupPolicy(cl)
		a.run()
	}
}

func (a *agent) run() {
	c := a.c
	a.sync()
	for {
		m := c.Recv()
		switch m.Kind {
		case kindRetry:
			a.sync()
		case cni.KindAdd:
			req := m.Body.(cni.AddRequest)
			res, err := a.add(req)
			if err != nil {
				c.ReplyErr(m, m.Kind, err)
				continue
			}
			c.Reply(m, m.Kind, res)
		case cni.KindDel:
			a.del(m.Body.(cni.DelRequest))
			c.Reply(m, m.Kind, nil)
		case KindVerdict:
			c.Reply(m, m.Kind, a.verdict(m.Body.(VerdictRequest)))
		case KindDeliver:
			c.Reply(m, m.Kind, a.deliver(m.Body.(DeliverRequest)))
		case KindObserve:
			c.Reply(m, m.Kind, a.observe(m.Body.(ObserveRequest)))
		default:
			// Every informer sees the message: two of them watch
			// ciliumnodes (this node's, and all of them), and kube-apiserver
			// sends one message for all of a receiver's watches that see an
			// event alike.
			for _, in := range append([]*client.Informer{a.nodes, a.identities, a.namespaces}, a.policy.informers()...) {
				in.Dispatch(m)
			}
		}
	}
}

// sync registers the CiliumNode and starts the informers; it retries every
// second until the apiserver answers.
func (a *agent) sync() {
	if !a.ready {
		cn := &api.CiliumNode{TypeMeta: api.TypeMeta{Kind: "CiliumNode", APIVersion: "cilium.io/v2"}, ObjectMeta: api.ObjectMeta{Name: a.cfg.Node}}
		if _, err := a.cl.Create(cn); err != nil && !apierrors.IsAlreadyExists(err) {
			a.c.Log().Warn("cannot register CiliumNode", zap.Error(err))
			a.c.After(time.Second, kindRetry, nil)
			return
		}
		a.ready = true
	}
	for _, in := range append([]*client.Informer{a.namespaces, a.identities, a.nodes}, a.policy.informers()...) {
		if in.HasSynced() {
			continue
		}
		if err := in.Run(); err != nil {
			a.c.Log().Warn("informer list failed", zap.Error(err))
			a.c.After(time.Second, kindRetry, nil)
			return
		}
	}
}

// onNode sets up IPAM once the operator has given the node a pod CIDR.
func (a *agent) onNode(o api.Object) {
	cn := o.(*api.CiliumNode)
	if a.ipam != nil || len(cn.Spec.IPAM.PodCIDRs) == 0 {
		return
	}
	prefix, err := netip.ParsePrefix(cn.Spec.IPAM.PodCIDRs[0])
	if err != nil {
		a.c.Log().Error("bad pod CIDR", zap.String("cidr", cn.Spec.IPAM.PodCIDRs[0]), zap.Error(err))
		return
	}
	ipam, err := cilium.NewNodeIPAM(prefix)
	if err != nil {
		a.c.Log().Error("cannot use pod CIDR", zap.Error(err))
		return
	}
	router, _, err := ipam.AllocateAgentAddresses()
	if err != nil {
		a.c.Log().Error("cannot allocate router address", zap.Error(err))
		return
	}
	a.ipam, a.router = ipam, router
	a.c.Note("ipam", fmt.Sprintf("pod CIDR %s from the operator; cilium_host %s", prefix, router))
	a.restore()
}

// restore takes back the addresses of the node's existing endpoints after a
// restart.
func (a *agent) restore() {
	items, _, err := a.cl.List("ciliumendpoints", "", client.ListOptions{ResourceVersion: "0"})
	if err != nil {
		return
	}
	for _, o := range items {
		cep := o.(*api.CiliumEndpoint)
		if cep.Status.Networking == nil || len(cep.Status.Networking.Addressing) == 0 {
			continue
		}
		// An endpoint is this node's if its address is in the node's CIDR.
		ip, err := netip.ParseAddr(cep.Status.Networking.Addressing[0].IPv4)
		if err != nil || !a.ipam.CIDR().Contains(ip) || a.ipam.Allocate(ip, cep.Key()) != nil {
			continue
		}
		ep := &endpoint{id: cep.Status.ID, ip: ip, pod: cep.Key()}
		if cep.Status.Identity != nil {
			ep.identity = cep.Status.Identity.ID
		}
		a.endpoints[cep.Key()] = ep
		if ep.id >= a.nextID {
			a.nextID = ep.id + 1
		}
	}
}

func (a *agent) add(req cni.AddRequest) (*cni.AddResult, error) {
	key := req.Namespace + "/" + req.Name
	if ep, ok := a.endpoints[key]; ok {
		return a.result(ep), nil // a retried ADD gets the same endpoint
	}
	if a.ipam == nil {
		return nil, fmt.Errorf("%s", ipamNotReady)
	}
	ip, err := a.ipam.AllocateNext(key)
	if err != nil {
		return nil, fmt.Errorf("unable to allocate IP via local cilium agent: %w", err)
	}
	var nsLabels map[string]string
	if ns, ok := a.namespaces.Get(req.Namespace); ok {
		nsLabels = ns.GetObjectMeta().Labels
	}
	pod := &api.Pod{ObjectMeta: api.ObjectMeta{Name: req.Name, Namespace: req.Namespace, Labels: req.Labels}, Spec: api.PodSpec{ServiceAccountName: req.ServiceAccount}}
	labels := cilium.PodLabels(pod, nsLabels, a.cfg.Cluster)
	id, newIdentity, err := a.identityFor(labels)
	if err != nil {
		a.ipam.Release(ip)
		return nil, err
	}
	ep := &endpoint{id: a.nextID, ip: ip, identity: id, pod: key}
	a.nextID++
	cep := &api.CiliumEndpoint{TypeMeta: api.TypeMeta{Kind: "CiliumEndpoint", APIVersion: "cilium.io/v2"},
		ObjectMeta: api.ObjectMeta{Name: req.Name, Namespace: req.Namespace, Labels: req.Labels,
			OwnerReferences: []api.OwnerReference{{APIVersion: "v1", Kind: "Pod", Name: req.Name, UID: req.UID}}},
		Status: api.CiliumEndpointStatus{ID: ep.id, State: "ready",
			Identity:   &api.CiliumEndpointIdentity{ID: id, Labels: labels.Strings()},
			Networking: &api.CiliumEndpointNetworking{Addressing: []api.CiliumAddressPair{{IPv4: ip.String()}}}}}
	if _, err := a.cl.Create(cep); err != nil && !apierrors.IsAlreadyExists(err) {
		a.ipam.Release(ip)
		return nil, fmt.Errorf("unable to create CiliumEndpoint %s: %w", key, err)
	}
	a.endpoints[key] = ep
	a.c.Note(NoteEndpoint, EndpointNote{ID: ep.id, Pod: key, IP: ip.String(), Identity: id, Labels: labels.String(), NewIdentity: newIdentity})
	return a.result(ep), nil
}

func (a *agent) result(ep *endpoint) *cni.AddResult {
	return &cni.AddResult{IP: ep.ip.String(), Gateway: a.router.String(), Interface: "eth0", HostVeth: fmt.Sprintf("lxc%04x", ep.id), EndpointID: ep.id, Identity: ep.identity}
}

// identityFor finds the cluster-wide identity of a label set, or creates it
// with the lowest free number from 256.
// identityFor returns the identity of a label set, allocating the lowest
// free one from 256 for a new set (created reports that).
func (a *agent) identityFor(ls cilium.Labels) (id int64, created bool, err error) {
	want := securityLabels(ls)
	used := map[int64]bool{}
	for _, o := range a.identities.List() {
		ci := o.(*api.CiliumIdentity)
		n, _ := strconv.ParseInt(ci.Name, 10, 64)
		used[n] = true
		if equalMaps(ci.SecurityLabels, want) {
			return n, false, nil
		}
	}
	for n := int64(cilium.MinAllocatedIdentity); n <= int64(cilium.MaxAllocatedIdentity); n++ {
		if used[n] {
			continue
		}
		ci := &api.CiliumIdentity{TypeMeta: api.TypeMeta{Kind: "CiliumIdentity", APIVersion: "cilium.io/v2"},
			ObjectMeta: api.ObjectMeta{Name: strconv.FormatInt(n, 10), Labels: identityObjectLabels(ls)}, SecurityLabels: want}
		_, err := a.cl.Create(ci)
		if apierrors.IsAlreadyExists(err) {
			continue // another agent took it first
		}
		if err != nil {
			return 0, false, fmt.Errorf("unable to allocate identity: %w", err)
		}
		return n, true, nil
	}
	return 0, false, fmt.Errorf("unable to allocate identity: no free identity left")
}

func securityLabels(ls cilium.Labels) map[string]string {
	out := map[string]string{}
	for _, l := range ls {
		out[l.Source+":"+l.Key] = l.Value
	}
	return out
}

// identityObjectLabels are the Kubernetes labels Cilium puts on a
// CiliumIdentity (the pod's namespace, for garbage collection and kubectl).
func identityObjectLabels(ls cilium.Labels) map[string]string {
	if ns, ok := ls.Get(cilium.SourceK8s, cilium.LabelPodNamespace); ok {
		return map[string]string{cilium.LabelPodNamespace: ns}
	}
	return nil
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func (a *agent) del(req cni.DelRequest) {
	key := req.Namespace + "/" + req.Name
	ep, ok := a.endpoints[key]
	if !ok {
		return // DEL is idempotent
	}
	delete(a.endpoints, key)
	if a.ipam != nil {
		a.ipam.Release(ep.ip)
	}
	if _, err := a.cl.Delete("ciliumendpoints", req.Namespace, req.Name, client.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		a.c.Log().Warn("cannot delete CiliumEndpoint", zap.String("endpoint", key), zap.Error(err))
	}
	a.c.Note(NoteEndpoint, EndpointNote{ID: ep.id, Pod: key, IP: ep.ip.String(), Removed: true})
}

// NoteEndpoint is the kind of the trace note the agent writes when it
// creates or removes a pod's endpoint.
const NoteEndpoint = "endpoint"

// EndpointNote is a pod's Cilium endpoint as the agent made it (or removed it).
type EndpointNote struct {
	ID       int64
	Pod      string // ns/name
	IP       string
	Identity int64
	Labels   string
	// NewIdentity is set when this endpoint's labels got a new identity
	// (the first pod with that label set), not one another pod has.
	NewIdentity bool
	Removed     bool
}

// Summary implements sim.Summarizer.
func (n EndpointNote) Summary() string {
	if n.Removed {
		return fmt.Sprintf("endpoint %d for %s removed, IP %s released", n.ID, n.Pod, n.IP)
	}
	return fmt.Sprintf("endpoint %d for %s: IP %s, identity %d (%s)", n.ID, n.Pod, n.IP, n.Identity, n.Labels)
}
