//go:build solution

package teamcontroller

import (
	"maps"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/client"
	"github.com/kubesim/kubesim/components/controllers"
)

// TeamInfo keeps ConfigMap team-info in every namespace labelled
// kubesim.io/team.
type TeamInfo struct {
	m *controllers.Manager
}

// Setup keys everything by namespace name: a change to a Namespace, or
// to any ConfigMap named team-info, asks for a look at that namespace.
// The key carries no event: Reconcile finds out what to do from the
// caches, so a missed or repeated event changes nothing.
func (c *TeamInfo) Setup(m *controllers.Manager, q *controllers.Queue) {
	c.m = m
	m.Informer("namespaces").AddHandler(client.Handler{
		OnAdd:    func(o api.Object) { q.Add(o.GetObjectMeta().Name) },
		OnUpdate: func(_, o api.Object) { q.Add(o.GetObjectMeta().Name) },
	})
	byNamespace := func(o api.Object) {
		if o.GetObjectMeta().Name == ConfigMapName {
			q.Add(o.GetObjectMeta().Namespace)
		}
	}
	m.Informer("configmaps").AddHandler(client.Handler{
		OnAdd:    byNamespace,
		OnUpdate: func(_, o api.Object) { byNamespace(o) },
		OnDelete: byNamespace,
	})
}

// Reconcile compares the namespace's label with its ConfigMap.
func (c *TeamInfo) Reconcile(ns string) (controllers.Result, error) {
	var team string
	labelled := false
	if obj, ok := c.m.Informer("namespaces").Get(ns); ok {
		n := obj.(*api.Namespace)
		if n.Status.Phase == api.NamespaceTerminating || n.DeletionTimestamp != nil {
			return controllers.Result{}, nil // nothing may be created there any more
		}
		team, labelled = n.Labels[TeamLabel]
	}
	var cm *api.ConfigMap
	if obj, ok := c.m.Informer("configmaps").Get(ns + "/" + ConfigMapName); ok {
		cm = obj.(*api.ConfigMap)
	}
	ours := cm != nil && cm.Labels[ManagedByLabel] == ManagedBy
	want := map[string]string{"team": team}

	switch {
	case !labelled && ours:
		_, err := c.m.Client.Delete("configmaps", ns, ConfigMapName, client.DeleteOptions{})
		if apierrors.IsNotFound(err) {
			return controllers.Result{}, nil
		}
		return controllers.Result{}, err
	case !labelled:
		return controllers.Result{}, nil
	case cm == nil:
		_, err := c.m.Client.Create(&api.ConfigMap{
			TypeMeta:   api.TypeMeta{Kind: "ConfigMap", APIVersion: "v1"},
			ObjectMeta: api.ObjectMeta{Name: ConfigMapName, Namespace: ns, Labels: map[string]string{ManagedByLabel: ManagedBy}},
			Data:       want,
		})
		if apierrors.IsAlreadyExists(err) {
			return controllers.Result{}, nil // the informer will tell us about it
		}
		return controllers.Result{}, err
	case !ours:
		// Someone else's ConfigMap of that name: leave it alone.
		return controllers.Result{}, nil
	case maps.Equal(cm.Data, want):
		return controllers.Result{}, nil
	}
	// Never change the cache's copy: it is shared with every informer
	// handler. Update a deep copy; a 409 Conflict (someone wrote first)
	// is an error, so the key comes back with backoff and is compared
	// again with the newer version.
	upd := api.DeepCopy(cm)
	upd.Data = want
	_, err := c.m.Client.Update(upd)
	return controllers.Result{}, err
}
