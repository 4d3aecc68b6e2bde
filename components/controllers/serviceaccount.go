package controllers

import (
	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
)

// ServiceAccounts is the ServiceAccount controller: every active namespace
// gets a "default" ServiceAccount, recreated if someone deletes it.
type ServiceAccounts struct {
	m *Manager
}

// NewServiceAccounts returns the controller.
func NewServiceAccounts() Controller { return &ServiceAccounts{} }

// Name implements Controller.
func (s *ServiceAccounts) Name() string { return "serviceaccount" }

// Setup implements Controller.
func (s *ServiceAccounts) Setup(m *Manager, q *Queue) {
	s.m = m
	m.Informer("namespaces").AddHandler(handlerFor(q, func(o api.Object) string { return o.GetObjectMeta().Name }))
	m.Informer("serviceaccounts").AddHandler(handlerFor(q, func(o api.Object) string { return o.GetObjectMeta().Namespace }))
}

// Reconcile implements Controller; the key is a namespace name.
func (s *ServiceAccounts) Reconcile(ns string) (Result, error) {
	obj, ok := s.m.Informer("namespaces").Get(ns)
	if !ok || obj.(*api.Namespace).Status.Phase != api.NamespaceActive {
		return Result{}, nil
	}
	if _, ok := s.m.Informer("serviceaccounts").Get(ns + "/default"); ok {
		return Result{}, nil
	}
	_, err := s.m.Client.Create(&api.ServiceAccount{TypeMeta: api.TypeMeta{Kind: "ServiceAccount", APIVersion: "v1"}, ObjectMeta: api.ObjectMeta{Name: "default", Namespace: ns}})
	if apierrors.IsAlreadyExists(err) || apierrors.IsForbidden(err) {
		return Result{}, nil
	}
	return Result{}, err
}
