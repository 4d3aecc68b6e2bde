package frontend

import "github.com/kubesim/kubesim/components/api"

// scaleOf presents a Deployment, ReplicaSet or StatefulSet read through its scale
// subresource as the autoscaling/v1 Scale kubectl scale expects: the
// apiserver answers deployments/scale with the object itself, and a patch
// of the Scale's spec.replicas is the same patch of the workload's.
func scaleOf(obj api.Object) (api.Object, bool) {
	var replicas *int32
	var status int32
	var selector *api.LabelSelector
	switch o := obj.(type) {
	case *api.Deployment:
		replicas, status, selector = o.Spec.Replicas, o.Status.Replicas, o.Spec.Selector
	case *api.ReplicaSet:
		replicas, status, selector = o.Spec.Replicas, o.Status.Replicas, o.Spec.Selector
	case *api.StatefulSet:
		replicas, status, selector = o.Spec.Replicas, o.Status.Replicas, o.Spec.Selector
	default:
		return nil, false
	}
	m := obj.GetObjectMeta()
	s := api.SetTypeMeta(&api.Scale{ObjectMeta: api.ObjectMeta{Name: m.Name, Namespace: m.Namespace, UID: m.UID, ResourceVersion: m.ResourceVersion, CreationTimestamp: m.CreationTimestamp}})
	s.Spec.Replicas = 1
	if replicas != nil {
		s.Spec.Replicas = *replicas
	}
	s.Status.Replicas = status
	if sel, err := api.LabelSelectorAsSelector(selector); err == nil {
		s.Status.Selector = sel.String()
	}
	return s, true
}
