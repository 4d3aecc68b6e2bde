//go:build !solution

package teamcontroller

import (
	"github.com/kubesim/kubesim/components/controllers"
)

// TeamInfo keeps ConfigMap team-info in every namespace labelled
// kubesim.io/team. Add the fields you need (the Manager, at least).
type TeamInfo struct {
}

// Setup registers informer handlers that enqueue keys: m.Informer
// ("namespaces") and m.Informer("configmaps") give the shared informers;
// q.Add(key) queues a key. Choose the key so that Reconcile has what it
// needs from the key alone.
func (c *TeamInfo) Setup(m *controllers.Manager, q *controllers.Queue) {
	// TODO
}

// Reconcile brings one key to its desired state: it reads the desired
// state (the Namespace) and the actual state (the ConfigMap) from the
// informers' caches and writes the difference with m.Client.
func (c *TeamInfo) Reconcile(key string) (controllers.Result, error) {
	// TODO
	return controllers.Result{}, nil
}
