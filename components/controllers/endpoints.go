package controllers

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/client"
)

// Endpoints labels and limits, as the real endpoints controller has them.
const (
	// LabelSkipMirror marks Endpoints the endpoints controller manages, so
	// the EndpointSlice mirroring controller leaves them alone.
	LabelSkipMirror = "endpointslice.kubernetes.io/skip-mirror"
	// AnnotationOverCapacity is set when more than MaxEndpointsAddresses
	// addresses were selected and the list was truncated.
	AnnotationOverCapacity = "endpoints.kubernetes.io/over-capacity"
	// MaxEndpointsAddresses is the most addresses one Endpoints holds.
	MaxEndpointsAddresses = 1000
)

// EndpointsController is the endpoints controller: the v1 Endpoints
// object of every Service with a selector, listing the selected pods that
// have an IP — ready ones in addresses, the others (and, unless the Service
// publishes not-ready addresses, terminating ones are left out) in
// notReadyAddresses — grouped into subsets by the ports the Service's
// targetPorts resolve to on each pod, as the real controller's repacking
// does. Endpoints is the older API that EndpointSlices replace; kubectl get
// endpoints and many tutorials still read it. It carries the Service's
// labels and endpointslice.kubernetes.io/skip-mirror=true, has no owner
// reference (as in Kubernetes: it is deleted with its Service by this
// controller), and is not touched for a Service without a selector, whose
// Endpoints a user writes.
//
// Simplification: the endpoints.kubernetes.io/last-change-trigger-time
// annotation is not written.
type EndpointsController struct {
	m *Manager
}

// NewEndpoints returns the controller.
func NewEndpoints() Controller { return &EndpointsController{} }

// Name implements Controller.
func (e *EndpointsController) Name() string { return "endpoints" }

// Setup implements Controller.
func (e *EndpointsController) Setup(m *Manager, q *Queue) {
	e.m = m
	m.Informer("services").AddHandler(handlerFor(q, keyOfObject))
	m.Informer("endpoints").AddHandler(handlerFor(q, keyOfObject))
	m.Informer("pods").AddHandler(selectingServices(m, q))
	m.AddIndex("services", indexSelector, serviceSelectorIndex)
	m.AddLabelIndex("pods")
}

// Reconcile implements Controller; the key is "namespace/service".
func (e *EndpointsController) Reconcile(key string) (Result, error) {
	ns, name, _ := strings.Cut(key, "/")
	cur, exists := e.m.Informer("endpoints").Get(key)
	obj, ok := e.m.Informer("services").Get(key)
	if !ok {
		if exists && cur.GetObjectMeta().Labels[LabelSkipMirror] == "true" {
			if _, err := e.m.Client.Delete("endpoints", ns, name, client.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
				return Result{}, err
			}
		}
		return Result{}, nil
	}
	svc := obj.(*api.Service)
	if len(svc.Spec.Selector) == 0 || svc.Spec.Type == api.ServiceTypeExternalName {
		return Result{}, nil // a user's own Endpoints, or none
	}
	want := e.desired(svc)
	if !exists {
		if _, err := e.m.Client.Create(want); err != nil && !apierrors.IsAlreadyExists(err) {
			return Result{}, err
		}
		return Result{}, nil
	}
	have := cur.(*api.Endpoints)
	if sameEndpoints(have, want) {
		return Result{}, nil
	}
	upd := api.DeepCopy(have)
	upd.Subsets, upd.Labels, upd.Annotations = want.Subsets, want.Labels, want.Annotations
	if _, err := e.m.Client.Update(upd); err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return Result{}, err
	}
	return Result{}, nil
}

// desired computes the Service's Endpoints.
func (e *EndpointsController) desired(svc *api.Service) *api.Endpoints {
	sel := api.SelectorFromSet(svc.Spec.Selector)
	type group struct {
		ports           []api.EndpointPort
		ready, notReady []api.EndpointAddress
	}
	groups := map[string]*group{}
	total := 0
	truncated := false
	for _, o := range e.m.Select("pods", svc.Namespace, sel) {
		p := o.(*api.Pod)
		if p.Status.PodIP == "" || p.Status.Phase == api.PodSucceeded || p.Status.Phase == api.PodFailed {
			continue
		}
		if p.DeletionTimestamp != nil && !svc.Spec.PublishNotReadyAddresses {
			continue
		}
		var ports []api.EndpointPort
		for _, sp := range resolvePorts(svc, p) {
			ep := api.EndpointPort{Name: *sp.Name, Protocol: *sp.Protocol, AppProtocol: sp.AppProtocol}
			if sp.Port != nil {
				ep.Port = *sp.Port
			}
			ports = append(ports, ep)
		}
		if len(ports) == 0 && len(svc.Spec.Ports) > 0 {
			continue
		}
		if total >= MaxEndpointsAddresses {
			truncated = true
			continue
		}
		total++
		b, _ := json.Marshal(ports)
		g := groups[string(b)]
		if g == nil {
			g = &group{ports: ports}
			groups[string(b)] = g
		}
		node := p.Spec.NodeName
		addr := api.EndpointAddress{IP: p.Status.PodIP, TargetRef: &api.ObjectReference{Kind: "Pod", Namespace: p.Namespace, Name: p.Name, UID: p.UID}}
		if node != "" {
			addr.NodeName = &node
		}
		if p.Spec.Hostname != "" && p.Spec.Subdomain == svc.Name && svc.Namespace == p.Namespace {
			addr.Hostname = p.Spec.Hostname
		}
		if podReady(p) || svc.Spec.PublishNotReadyAddresses {
			g.ready = append(g.ready, addr)
		} else {
			g.notReady = append(g.notReady, addr)
		}
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	byIP := func(a []api.EndpointAddress) {
		sort.Slice(a, func(i, j int) bool { return a[i].IP < a[j].IP })
	}
	var subsets []api.EndpointSubset
	for _, k := range keys {
		g := groups[k]
		byIP(g.ready)
		byIP(g.notReady)
		subsets = append(subsets, api.EndpointSubset{Addresses: g.ready, NotReadyAddresses: g.notReady, Ports: g.ports})
	}
	labels := map[string]string{}
	for k, v := range svc.Labels {
		labels[k] = v
	}
	labels[LabelSkipMirror] = "true"
	if svc.Spec.ClusterIP == api.ClusterIPNone {
		labels[api.LabelHeadless] = ""
	}
	ep := &api.Endpoints{TypeMeta: api.TypeMeta{Kind: "Endpoints", APIVersion: "v1"},
		ObjectMeta: api.ObjectMeta{Name: svc.Name, Namespace: svc.Namespace, Labels: labels}, Subsets: subsets}
	if truncated {
		ep.Annotations = map[string]string{AnnotationOverCapacity: "truncated"}
	}
	return ep
}

func sameEndpoints(cur, want *api.Endpoints) bool {
	a, _ := json.Marshal([]any{cur.Subsets, cur.Labels, cur.Annotations})
	b, _ := json.Marshal([]any{want.Subsets, want.Labels, want.Annotations})
	return string(a) == string(b)
}
