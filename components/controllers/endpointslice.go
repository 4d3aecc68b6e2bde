package controllers

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/client"
)

// MaxEndpointsPerSlice is --max-endpoints-per-slice (100).
const MaxEndpointsPerSlice = 100

// EndpointSlices is the EndpointSlice controller: for every Service with a
// selector it keeps EndpointSlices listing the selected pods that have an
// IP — ready, serving and terminating as the pods are — at most 100 per
// slice, grouped by the ports the Service's targetPorts resolve to on each
// pod (a named targetPort may resolve differently per pod). Slices carry
// the labels kubernetes.io/service-name and
// endpointslice.kubernetes.io/managed-by=endpointslice-controller.k8s.io and
// an owner reference to their Service, so they go when it goes.
type EndpointSlices struct {
	m *Manager
}

// NewEndpointSlices returns the controller.
func NewEndpointSlices() Controller { return &EndpointSlices{} }

// Name implements Controller.
func (e *EndpointSlices) Name() string { return "endpointslice" }

// Setup implements Controller.
func (e *EndpointSlices) Setup(m *Manager, q *Queue) {
	e.m = m
	m.Informer("nodes")
	m.Informer("services").AddHandler(handlerFor(q, keyOfObject))
	m.Informer("endpointslices").AddHandler(handlerFor(q, func(o api.Object) string {
		if svc := o.GetObjectMeta().Labels[api.LabelServiceName]; svc != "" {
			return o.GetObjectMeta().Namespace + "/" + svc
		}
		return ""
	}))
	m.Informer("pods").AddHandler(selectingServices(m, q))
	// (after the informers, which start in the order they were asked for)
	m.AddLabelIndex("pods")
	m.AddLabelIndex("endpointslices")
	m.AddIndex("services", indexSelector, serviceSelectorIndex)
}

// selectingServices queues, for a pod's change, every Service of its
// namespace whose selector matched it before or after.
func selectingServices(m *Manager, q *Queue) client.Handler {
	podChanged := func(objs ...api.Object) {
		seen := map[string]bool{}
		for _, o := range objs {
			p := o.(*api.Pod)
			for _, so := range servicesSelecting(m, p) {
				svc := so.(*api.Service)
				if seen[svc.Name] {
					continue
				}
				if api.SelectorFromSet(svc.Spec.Selector).Matches(p.Labels) {
					seen[svc.Name] = true
					q.Add(svc.Namespace + "/" + svc.Name)
				}
			}
		}
	}
	return client.Handler{
		OnAdd:    func(o api.Object) { podChanged(o) },
		OnUpdate: func(old, o api.Object) { podChanged(old, o) },
		OnDelete: func(o api.Object) { podChanged(o) },
	}
}

// indexSelector indexes Services by the first pair of their selector
// ("namespace/key=value", keys sorted): a pod can only be selected by the
// Services filed under one of its own labels.
const indexSelector = "selector"

func serviceSelectorIndex(o api.Object) []string {
	svc := o.(*api.Service)
	if len(svc.Spec.Selector) == 0 {
		return nil
	}
	first := ""
	for k := range svc.Spec.Selector {
		if first == "" || k < first {
			first = k
		}
	}
	return []string{svc.Namespace + "/" + first + "=" + svc.Spec.Selector[first]}
}

// servicesSelecting returns, sorted by key, the Services of a pod's
// namespace that may select it (GetPodServiceMemberships, from the
// selector index): a superset of those whose selector matches.
func servicesSelecting(m *Manager, p *api.Pod) []api.Object {
	lists := make([][]api.Object, 0, len(p.Labels))
	for _, k := range sortedKeys(p.Labels) {
		lists = append(lists, m.ByIndex("services", indexSelector, p.Namespace+"/"+k+"="+p.Labels[k]))
	}
	return union(lists...)
}

func keyOfObject(o api.Object) string { return o.GetObjectMeta().Key() }

// Reconcile implements Controller; the key is "namespace/service".
func (e *EndpointSlices) Reconcile(key string) (Result, error) {
	if key == "" {
		return Result{}, nil
	}
	ns, name, _ := strings.Cut(key, "/")
	existing := e.slicesOf(ns, name)
	obj, ok := e.m.Informer("services").Get(key)
	if !ok || len(obj.(*api.Service).Spec.Selector) == 0 || obj.(*api.Service).Spec.Type == api.ServiceTypeExternalName {
		// No Service (or one without a selector): managed slices go. The
		// garbage collector would remove them too, through the owner
		// reference; doing it here is quicker and harmless.
		for _, s := range existing {
			if _, err := e.m.Client.Delete("endpointslices", s.Namespace, s.Name, client.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
				return Result{}, err
			}
		}
		return Result{}, nil
	}
	svc := obj.(*api.Service)
	desired := e.desired(svc)
	// Match desired slices to existing ones in order; update, create, delete.
	for i, want := range desired {
		if i < len(existing) {
			cur := existing[i]
			if sameSlice(cur, want) {
				continue
			}
			upd := api.DeepCopy(cur)
			upd.Endpoints, upd.Ports, upd.Labels = want.Endpoints, want.Ports, want.Labels
			if _, err := e.m.Client.Update(upd); err != nil {
				return Result{}, err
			}
			continue
		}
		if _, err := e.m.Client.Create(want); err != nil {
			return Result{}, err
		}
	}
	for _, s := range existing[min(len(existing), len(desired)):] {
		if _, err := e.m.Client.Delete("endpointslices", s.Namespace, s.Name, client.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return Result{}, err
		}
	}
	return Result{}, nil
}

// slicesOf lists the controller's slices of a Service, by name.
func (e *EndpointSlices) slicesOf(ns, svc string) []*api.EndpointSlice {
	var out []*api.EndpointSlice
	for _, o := range e.m.Select("endpointslices", ns, api.SelectorFromSet(map[string]string{api.LabelServiceName: svc})) {
		s := o.(*api.EndpointSlice)
		if s.Namespace == ns && s.Labels[api.LabelServiceName] == svc && s.Labels[api.LabelManagedBy] == api.EndpointSliceControllerName {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// desired computes the slices a Service should have.
func (e *EndpointSlices) desired(svc *api.Service) []*api.EndpointSlice {
	sel := api.SelectorFromSet(svc.Spec.Selector)
	groups := map[string][]api.EndpointSlicePort{}
	members := map[string][]api.Endpoint{}
	var order []string
	for _, o := range e.m.Select("pods", svc.Namespace, sel) {
		p := o.(*api.Pod)
		if !sel.Matches(p.Labels) || p.Status.PodIP == "" {
			continue
		}
		if p.Status.Phase == api.PodSucceeded || p.Status.Phase == api.PodFailed {
			continue
		}
		ports := resolvePorts(svc, p)
		gk := portsKey(ports)
		if _, ok := groups[gk]; !ok {
			groups[gk] = ports
			order = append(order, gk)
		}
		members[gk] = append(members[gk], e.endpointFor(svc, p))
	}
	sort.Strings(order)
	var out []*api.EndpointSlice
	for _, gk := range order {
		eps := members[gk]
		for start := 0; start < len(eps); start += MaxEndpointsPerSlice {
			end := min(start+MaxEndpointsPerSlice, len(eps))
			out = append(out, newSlice(svc, groups[gk], eps[start:end]))
		}
	}
	if len(out) == 0 {
		// A Service with no endpoints still gets one empty placeholder
		// slice, without ports, as the real controller keeps it
		// (kubectl get endpointslices: PORTS and ENDPOINTS <unset>).
		out = append(out, newSlice(svc, nil, nil))
	}
	return out
}

// sliceLabels are the Service's own labels plus the two the controller
// owns (and service.kubernetes.io/headless for a headless Service), as the
// real controller sets them.
func sliceLabels(svc *api.Service) map[string]string {
	out := map[string]string{}
	for k, v := range svc.Labels {
		out[k] = v
	}
	out[api.LabelServiceName] = svc.Name
	out[api.LabelManagedBy] = api.EndpointSliceControllerName
	if svc.Spec.ClusterIP == api.ClusterIPNone {
		out["service.kubernetes.io/headless"] = ""
	}
	return out
}

func newSlice(svc *api.Service, ports []api.EndpointSlicePort, eps []api.Endpoint) *api.EndpointSlice {
	yes := true
	return &api.EndpointSlice{
		TypeMeta: api.TypeMeta{Kind: "EndpointSlice", APIVersion: "discovery.k8s.io/v1"},
		ObjectMeta: api.ObjectMeta{GenerateName: svc.Name + "-", Namespace: svc.Namespace,
			Labels:          sliceLabels(svc),
			OwnerReferences: []api.OwnerReference{{APIVersion: "v1", Kind: "Service", Name: svc.Name, UID: svc.UID, Controller: &yes, BlockOwnerDeletion: &yes}}},
		AddressType: api.AddressTypeIPv4,
		Endpoints:   append([]api.Endpoint{}, eps...),
		Ports:       ports,
	}
}

func (e *EndpointSlices) endpointFor(svc *api.Service, p *api.Pod) api.Endpoint {
	// As the real controller: serving is the pod's readiness, ready is
	// serving and not terminating — or true regardless with
	// publishNotReadyAddresses.
	terminating := p.DeletionTimestamp != nil
	serving := podReady(p)
	ready := (serving && !terminating) || svc.Spec.PublishNotReadyAddresses
	ep := api.Endpoint{
		Addresses:  []string{p.Status.PodIP},
		Conditions: api.EndpointConditions{Ready: &ready, Serving: &serving, Terminating: &terminating},
		TargetRef:  &api.ObjectReference{Kind: "Pod", Namespace: p.Namespace, Name: p.Name, UID: p.UID},
	}
	if p.Spec.NodeName != "" {
		node := p.Spec.NodeName
		ep.NodeName = &node
		if n, ok := e.m.Informer("nodes").Get(node); ok {
			if z := n.GetObjectMeta().Labels[api.LabelTopologyZone]; z != "" {
				ep.Zone = &z
			}
		}
	}
	if p.Spec.Hostname != "" && p.Spec.Subdomain == svc.Name {
		h := p.Spec.Hostname
		ep.Hostname = &h
	}
	return ep
}

func podReady(p *api.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == api.PodReady {
			return c.Status == api.ConditionTrue
		}
	}
	return false
}

// resolvePorts maps the Service's ports to the pod's: a numeric targetPort
// as it is, a named one to the container port of that name (ports a pod
// does not have are left out, as the real controller does).
func resolvePorts(svc *api.Service, p *api.Pod) []api.EndpointSlicePort {
	var out []api.EndpointSlicePort
	for _, sp := range svc.Spec.Ports {
		name, proto := sp.Name, sp.Protocol
		port := sp.TargetPort.IntVal
		if sp.TargetPort.Type == api.IntOrStringString {
			port = 0
			if p != nil {
				for _, c := range p.Spec.Containers {
					for _, cp := range c.Ports {
						if cp.Name == sp.TargetPort.StrVal && cp.Protocol == proto {
							port = cp.ContainerPort
						}
					}
				}
			}
			if port == 0 && p != nil {
				continue
			}
		}
		esp := api.EndpointSlicePort{Name: &name, Protocol: &proto}
		if port != 0 {
			esp.Port = &port
		}
		if sp.AppProtocol != nil {
			esp.AppProtocol = sp.AppProtocol
		}
		out = append(out, esp)
	}
	return out
}

func portsKey(ports []api.EndpointSlicePort) string {
	b, _ := json.Marshal(ports)
	return string(b)
}

func sameSlice(cur, want *api.EndpointSlice) bool {
	a, _ := json.Marshal([]any{cur.Endpoints, cur.Ports, cur.Labels})
	b, _ := json.Marshal([]any{want.Endpoints, want.Ports, want.Labels})
	return string(a) == string(b)
}
