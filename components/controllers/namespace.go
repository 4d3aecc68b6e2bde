package controllers

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/apiwire"
	"github.com/kubesim/kubesim/components/client"
)

// Namespaces is the namespace controller: it empties a Terminating
// namespace and then removes the kubernetes finalizer from spec.finalizers
// through namespaces/finalize, after which the apiserver deletes the
// namespace. Pods go first and everything else only once they are gone
// (ordered namespace deletion, on by default since v1.34), so that pods
// never outlive the Services, Secrets and ConfigMaps they use. Progress is
// reported in the namespace's deletion conditions.
type Namespaces struct {
	m *Manager
}

// NewNamespaces returns the controller.
func NewNamespaces() Controller { return &Namespaces{} }

// Name implements Controller.
func (nc *Namespaces) Name() string { return "namespace" }

// Setup implements Controller.
func (nc *Namespaces) Setup(m *Manager, q *Queue) {
	nc.m = m
	m.Informer("namespaces").AddHandler(handlerFor(q, func(o api.Object) string { return o.GetObjectMeta().Name }))
}

// namespacedContent lists the namespaced resources that can be listed and
// deleted, pods first, then by resource name.
func namespacedContent() []*api.ResourceInfo {
	var out []*api.ResourceInfo
	for _, r := range api.Resources() {
		if r.Namespaced && r.KeyPrefix != "" && r.HasVerb("list") && r.HasVerb("delete") {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if (out[i].Resource == "pods") != (out[j].Resource == "pods") {
			return out[i].Resource == "pods"
		}
		return out[i].GroupResource() < out[j].GroupResource()
	})
	return out
}

// customContent lists the namespaced custom resources the apiserver
// serves (Established CRDs), as the real deleter finds them in discovery,
// by group and plural.
func (nc *Namespaces) customContent() []*api.ResourceInfo {
	items, _, err := nc.m.Client.List("customresourcedefinitions", "", client.ListOptions{})
	if err != nil {
		return nil
	}
	var out []*api.ResourceInfo
	for _, o := range items {
		crd := o.(*api.CustomResourceDefinition)
		established := false
		for _, c := range crd.Status.Conditions {
			established = established || (c.Type == api.CRDEstablished && c.Status == api.ConditionTrue)
		}
		if !established || crd.Spec.Scope != api.NamespaceScoped {
			continue
		}
		for _, v := range crd.Spec.Versions {
			if v.Storage && v.Served {
				out = append(out, api.CustomResourceInfo(crd, v.Name))
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GroupResource() < out[j].GroupResource() })
	return out
}

type remaining struct {
	counts     map[string]int // "pods." -> n
	finalizers map[string]int // finalizer -> objects carrying it
	estimate   int64          // seconds until graceful deletions end
}

// Reconcile implements Controller; the key is a namespace name.
func (nc *Namespaces) Reconcile(name string) (Result, error) {
	o, ok := nc.m.Informer("namespaces").Get(name)
	if !ok {
		return Result{}, nil
	}
	if ns := o.(*api.Namespace); ns.DeletionTimestamp == nil || !hasNamespaceFinalizer(ns) {
		return Result{}, nil
	}
	// Like the real deleter, ask the apiserver before deleting anything:
	// the cache may be behind (a namespace created again under the same
	// name, or brought back by an etcd restore, is Active, and its
	// content must stay).
	live, err := nc.m.Client.Get("namespaces", "", name)
	if err != nil {
		return Result{}, ignoreNotFound(err)
	}
	ns := live.(*api.Namespace)
	if ns.DeletionTimestamp == nil || !hasNamespaceFinalizer(ns) {
		return Result{}, nil
	}
	rem := remaining{counts: map[string]int{}, finalizers: map[string]int{}}
	var errs []string
	podsLeft := false
	for _, r := range append(namespacedContent(), nc.customContent()...) {
		if r.Resource != "pods" && podsLeft {
			// Ordered deletion: the rest waits until the pods are gone.
			continue
		}
		n, err := nc.deleteAll(r, name, &rem)
		if err != nil {
			errs = append(errs, err.Error())
		}
		if r.Resource == "pods" && n > 0 {
			podsLeft = true
		}
	}
	if err := nc.updateConditions(ns, rem, errs); err != nil {
		return Result{}, err
	}
	if len(errs) > 0 {
		return Result{}, fmt.Errorf("unexpected items still remain in namespace: %s: %s", name, strings.Join(errs, ", "))
	}
	if len(rem.counts) > 0 {
		wait := time.Duration(rem.estimate) * time.Second
		if wait < time.Second {
			wait = time.Second
		}
		return Result{RequeueAfter: wait}, nil
	}
	return Result{}, nc.finalize(ns)
}

// deleteAll deletes every object of a resource in the namespace and counts
// what remains (objects being deleted gracefully or held by finalizers).
func (nc *Namespaces) deleteAll(r *api.ResourceInfo, ns string, rem *remaining) (int, error) {
	items, _, err := nc.m.Client.List(r.RequestResource(), ns, client.ListOptions{})
	if err != nil {
		return 0, err
	}
	left := 0
	var firstErr error
	for _, o := range items {
		m := o.GetObjectMeta()
		cur := o
		if m.DeletionTimestamp == nil {
			d, err := nc.m.Client.Delete(r.RequestResource(), ns, m.Name, client.DeleteOptions{PropagationPolicy: api.DeletePropagationBackground})
			if apierrors.IsNotFound(err) {
				continue
			}
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				left++
				continue
			}
			if d == nil || d.GetObjectMeta().DeletionTimestamp == nil {
				continue // gone at once
			}
			cur = d
		}
		left++
		cm := cur.GetObjectMeta()
		for _, f := range cm.Finalizers {
			rem.finalizers[f]++
		}
		if cm.DeletionGracePeriodSeconds != nil && *cm.DeletionGracePeriodSeconds > rem.estimate {
			rem.estimate = *cm.DeletionGracePeriodSeconds
		}
	}
	if left > 0 {
		rem.counts[r.Resource+"."+r.Group] = left
	}
	return left, firstErr
}

func hasNamespaceFinalizer(ns *api.Namespace) bool {
	for _, f := range ns.Spec.Finalizers {
		if f == api.FinalizerKubernetes {
			return true
		}
	}
	return false
}

// finalize removes the kubernetes finalizer through namespaces/finalize.
func (nc *Namespaces) finalize(ns *api.Namespace) error {
	fresh, err := nc.m.Client.Get("namespaces", "", ns.Name)
	if err != nil {
		return ignoreNotFound(err)
	}
	c := api.DeepCopy(fresh.(*api.Namespace))
	var fs []api.FinalizerName
	for _, f := range c.Spec.Finalizers {
		if f != api.FinalizerKubernetes {
			fs = append(fs, f)
		}
	}
	c.Spec.Finalizers = fs
	_, err = nc.m.Client.Do(&apiwire.Request{Verb: apiwire.VerbUpdate, Resource: "namespaces", Subresource: "finalize", Name: c.Name, Object: c})
	return ignoreNotFound(err)
}

// updateConditions writes the namespace deletion conditions, as
// `kubectl describe namespace` shows them while a namespace is stuck.
func (nc *Namespaces) updateConditions(ns *api.Namespace, rem remaining, errs []string) error {
	now := api.NewTime(nc.m.Now())
	cond := func(t api.NamespaceConditionType, bad bool, badReason, badMsg, okReason, okMsg string) api.NamespaceCondition {
		if bad {
			return api.NamespaceCondition{Type: t, Status: api.ConditionTrue, Reason: badReason, Message: badMsg, LastTransitionTime: now}
		}
		return api.NamespaceCondition{Type: t, Status: api.ConditionFalse, Reason: okReason, Message: okMsg, LastTransitionTime: now}
	}
	var resources []string
	for _, k := range sortedIntKeys(rem.counts) {
		resources = append(resources, fmt.Sprintf("%s has %d resource instances", k, rem.counts[k]))
	}
	var fins []string
	for _, k := range sortedIntKeys(rem.finalizers) {
		fins = append(fins, fmt.Sprintf("%s in %d resource instances", k, rem.finalizers[k]))
	}
	want := []api.NamespaceCondition{
		cond(api.NamespaceDeletionDiscoveryFailure, false, "DiscoveryFailed", "", "ResourcesDiscovered", "All resources successfully discovered"),
		cond(api.NamespaceDeletionGVParsingFailure, false, "GroupVersionParsingFailed", "", "ParsedGroupVersions", "All legacy kube types successfully parsed"),
		cond(api.NamespaceDeletionContentFailure, len(errs) > 0, "ContentDeletionFailed", "Failed to delete all resource types, "+fmt.Sprint(len(errs))+" remaining: "+strings.Join(errs, ", "),
			"ContentDeleted", "All content successfully deleted, may be waiting on finalization"),
		cond(api.NamespaceContentRemaining, len(resources) > 0, "SomeResourcesRemain", "Some resources are remaining: "+strings.Join(resources, ", "),
			"ContentRemoved", "All content successfully removed"),
		cond(api.NamespaceFinalizersRemaining, len(fins) > 0, "SomeFinalizersRemain", "Some content in the namespace has finalizers remaining: "+strings.Join(fins, ", "),
			"ContentHasNoFinalizers", "All content-preserving finalizers finished"),
	}
	c := api.DeepCopy(ns)
	var conds []api.NamespaceCondition
	for _, w := range want {
		for _, old := range ns.Status.Conditions {
			if old.Type == w.Type && old.Status == w.Status {
				w.LastTransitionTime = old.LastTransitionTime
			}
		}
		conds = append(conds, w)
	}
	if reflect.DeepEqual(conds, ns.Status.Conditions) {
		return nil
	}
	c.Status.Conditions = conds
	_, err := nc.m.Client.UpdateStatus(c)
	return ignoreNotFound(err)
}

func sortedIntKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
