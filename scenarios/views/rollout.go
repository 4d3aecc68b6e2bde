package views

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/apierrors"
	"github.com/kubesim/kubesim/components/printers"
	"github.com/kubesim/kubesim/sim/cluster"
)

// rollout answers `rollout history|status <type>/<name>` (or `<type>
// <name>`) for Deployments, DaemonSets and StatefulSets, as kubectl
// prints them. A view cannot wait, so `rollout status` prints the current
// line once, as `kubectl rollout status --watch=false` does.
func rollout(c *cluster.Cluster, f flags, out io.Writer) error {
	if len(f.pos) < 2 || (f.pos[0] != "history" && f.pos[0] != "status") {
		return errors.New("usage: rollout history|status <deployment|daemonset|statefulset>/<name> [--revision N] [-n <namespace>]")
	}
	verb, args := f.pos[0], f.pos[1:]
	var typ, name string
	switch {
	case len(args) == 1 && strings.Contains(args[0], "/"):
		typ, name, _ = strings.Cut(args[0], "/")
	case len(args) == 2:
		typ, name = args[0], args[1]
	default:
		return fmt.Errorf("error: rollout %s needs one object: <type>/<name> or <type> <name>", verb)
	}
	info, ok := api.ResourceForName(typ)
	if !ok {
		return fmt.Errorf("error: the server doesn't have a resource type %q", typ)
	}
	switch info.Resource {
	case "deployments", "daemonsets", "statefulsets":
	default:
		return fmt.Errorf("error: no %s viewer has been implemented for %s (rollout works on deployments, daemonsets and statefulsets)", verb, info.Kind)
	}
	obj, err := c.StoredObject(info.Resource, f.namespace, name)
	if err != nil {
		return errors.New(apierrors.KubectlText(err))
	}
	if verb == "status" {
		line, _, err := printers.RolloutStatus(obj)
		if err != nil {
			return fmt.Errorf("error: %v", err)
		}
		_, err = io.WriteString(out, line)
		return err
	}
	list := func(resource, namespace string) []api.Object {
		items, _ := c.StoredObjects(resource, namespace, "")
		return items
	}
	var history []printers.Revision
	switch o := obj.(type) {
	case *api.Deployment:
		history = printers.DeploymentHistory(o, list)
	case *api.DaemonSet:
		history = printers.ControllerRevisionHistory(&o.ObjectMeta, o.Spec.Selector, list)
	case *api.StatefulSet:
		history = printers.ControllerRevisionHistory(&o.ObjectMeta, o.Spec.Selector, list)
	}
	return printers.WriteRolloutHistory(out, kubectlKind(info), name, history, f.revision)
}
