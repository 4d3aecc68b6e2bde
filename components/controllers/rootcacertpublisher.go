package controllers

import (
	"maps"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/client"
)

// RootCAConfigMap is the ConfigMap the root-ca-cert-publisher keeps in
// every namespace: the CA bundle pods use to verify kube-apiserver (their
// kube-api-access volume projects its ca.crt).
const RootCAConfigMap = "kube-root-ca.crt"

// Its one annotation, as kube-controller-manager v1.32 writes it.
const (
	annotationDescription = "kubernetes.io/description"
	rootCADescription     = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. " +
		"No other usage is guaranteed across distributions of Kubernetes clusters."
)

// RootCACertPublisher is the root-ca-cert-publisher controller: every
// namespace gets the ConfigMap kube-root-ca.crt with data ca.crt = the
// --root-ca-file (Config.RootCA), created if missing and put back if
// someone changes or deletes it. In a namespace being terminated the
// create is refused and not retried.
type RootCACertPublisher struct {
	m *Manager
}

// NewRootCACertPublisher returns the controller.
func NewRootCACertPublisher() Controller { return &RootCACertPublisher{} }

// Name implements Controller.
func (p *RootCACertPublisher) Name() string { return "root-ca-cert-publisher" }

// Setup implements Controller.
func (p *RootCACertPublisher) Setup(m *Manager, q *Queue) {
	p.m = m
	m.Informer("namespaces").AddHandler(handlerFor(q, func(o api.Object) string { return o.GetObjectMeta().Name }))
	enqueue := func(o api.Object) {
		if o.GetObjectMeta().Name == RootCAConfigMap {
			q.Add(o.GetObjectMeta().Namespace)
		}
	}
	m.Informer("configmaps").AddHandler(client.Handler{OnAdd: enqueue, OnUpdate: func(_, o api.Object) { enqueue(o) }, OnDelete: enqueue})
}

// Reconcile implements Controller; the key is a namespace name.
func (p *RootCACertPublisher) Reconcile(ns string) (Result, error) {
	if _, ok := p.m.Informer("namespaces").Get(ns); !ok {
		return Result{}, nil
	}
	data := map[string]string{"ca.crt": string(p.m.cfg.RootCA)}
	obj, ok := p.m.Informer("configmaps").Get(ns + "/" + RootCAConfigMap)
	if !ok {
		_, err := p.m.Client.Create(&api.ConfigMap{
			TypeMeta:   api.TypeMeta{Kind: "ConfigMap", APIVersion: "v1"},
			ObjectMeta: api.ObjectMeta{Name: RootCAConfigMap, Namespace: ns, Annotations: map[string]string{annotationDescription: rootCADescription}},
			Data:       data,
		})
		if apierrors.IsAlreadyExists(err) || apierrors.IsForbidden(err) || apierrors.IsNotFound(err) {
			return Result{}, nil
		}
		return Result{}, err
	}
	cm := obj.(*api.ConfigMap)
	if maps.Equal(cm.Data, data) && cm.Annotations[annotationDescription] != "" {
		return Result{}, nil
	}
	fixed := *cm
	fixed.Data = data
	fixed.Annotations = maps.Clone(cm.Annotations)
	if fixed.Annotations == nil {
		fixed.Annotations = map[string]string{}
	}
	fixed.Annotations[annotationDescription] = rootCADescription
	_, err := p.m.Client.Update(&fixed)
	if apierrors.IsNotFound(err) {
		return Result{}, nil
	}
	return Result{}, err
}
