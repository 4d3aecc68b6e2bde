package drill

import (
	"fmt"
	"strings"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apiserver"
	"github.com/kubesim/kubesim/sim/cluster"
)

// healthy grades a healthy expectation out of band: node/<name> by the
// Ready condition stored in etcd; a component by its actors — each one
// running on a live node, and a kube-apiserver also ready (its watch
// cache primed from etcd: what /readyz reports).
func healthy(c *cluster.Cluster, what string) (bool, Text) {
	if name, ok := strings.CutPrefix(what, "node/"); ok {
		o, err := c.StoredObject("nodes", "", name)
		if err != nil {
			return false, tr("no node %s", "노드 %s 없음", name)
		}
		for _, cond := range o.(*api.Node).Status.Conditions {
			if cond.Type == api.NodeReady {
				return cond.Status == api.ConditionTrue, tr("Ready=%s (%s)", "Ready=%s (%s)", string(cond.Status), cond.Reason)
			}
		}
		return false, tr("no Ready condition", "Ready 조건 없음")
	}
	var up, down []string
	for _, a := range c.K.Actors() {
		if a.Component != what {
			continue
		}
		switch {
		case !c.K.Running(a.Name) || c.K.NodeDown(a.Node):
			down = append(down, a.Name+" not running")
		case what == "kube-apiserver" && !apiserverReady(c, a.Name):
			down = append(down, a.Name+" not ready (cannot reach etcd)")
		default:
			up = append(up, a.Name)
		}
	}
	switch {
	case len(up) == 0 && len(down) == 0:
		return false, tr("no %s runs", "%s가 하나도 없음", what)
	case len(down) > 0:
		return false, tr("%s", "%s", strings.Join(down, "; "))
	}
	return true, tr("%s", "%s", fmt.Sprintf("%s healthy", strings.Join(up, ", ")))
}

func apiserverReady(c *cluster.Cluster, name string) bool {
	v, ok := c.Inspect(name).(apiserver.View)
	return ok && v.Ready()
}
