package printers

import (
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/kubesim/kubesim/components/api"
)

// Lister lists the stored objects of a resource in a namespace ("" for
// every namespace, and for cluster-scoped resources). Describers read
// through it what kubectl describe fetches besides the object itself: a
// Deployment's ReplicaSets, a ReplicaSet's pods, a node's pods and lease,
// a Service's EndpointSlices.
type Lister func(resource, namespace string) []api.Object

// describer renders one kind. events are the events about the object.
type describer func(w prefixWriter, obj api.Object, events []api.Event, now time.Time, list Lister)

var describers = map[string]describer{}

func registerDescriber(resource string, d describer) { describers[resource] = d }

// CanDescribe reports whether Describe knows the resource's kind.
func CanDescribe(resource string) bool {
	if resource == "pods" {
		return true
	}
	_, ok := describers[resource]
	return ok
}

// Describe renders `kubectl describe` (v1.32) for obj, an object of the
// resource ("deployments"), with the events about it and the related
// objects list returns, ages taken at now.
func Describe(out io.Writer, resource string, obj api.Object, events []api.Event, now time.Time, list Lister) error {
	if pod, ok := obj.(*api.Pod); ok {
		return DescribePod(out, pod, events, now)
	}
	d, ok := describers[resource]
	if !ok {
		return fmt.Errorf("describe: kubesim cannot describe %s yet (try get %s %s -o yaml)", resource, resource, obj.GetObjectMeta().Name)
	}
	if list == nil {
		list = func(string, string) []api.Object { return nil }
	}
	tw := tabwriter.NewWriter(out, 0, 8, 2, ' ', 0)
	d(prefixWriter{tw}, obj, events, now, list)
	return tw.Flush()
}

// podStatusCounts counts the pods obj controls by phase, as kubectl's
// "Pods Status" line: pods matching selector whose controller is uid.
func podStatusCounts(list Lister, namespace string, selector *api.LabelSelector, uid string) (running, waiting, succeeded, failed int) {
	sel, err := api.LabelSelectorAsSelector(selector)
	if err != nil {
		return
	}
	for _, o := range list("pods", namespace) {
		pod := o.(*api.Pod)
		if !sel.Matches(pod.Labels) {
			continue
		}
		if ref := pod.ControllerRef(); ref == nil || string(ref.UID) != uid {
			continue
		}
		switch pod.Status.Phase {
		case api.PodRunning:
			running++
		case api.PodPending:
			waiting++
		case api.PodSucceeded:
			succeeded++
		case api.PodFailed:
			failed++
		}
	}
	return
}

// selectorString is a label selector as labels.Selector prints it (empty
// for one that selects everything).
func selectorString(ls *api.LabelSelector) string {
	s, err := api.LabelSelectorAsSelector(ls)
	if err != nil {
		return "<error>"
	}
	return s.String()
}

// describePodTemplate is the "Pod Template:" section of the workload
// kinds, with the pod describer's container and volume sections indented.
func describePodTemplate(w prefixWriter, t *api.PodTemplateSpec) {
	w.line(0, "Pod Template:\n")
	multiline(w, "  Labels", t.Labels)
	if len(t.Annotations) > 0 {
		annotations(w, "  Annotations", t.Annotations)
	}
	if t.Spec.ServiceAccountName != "" {
		w.line(1, "Service Account:\t%s\n", t.Spec.ServiceAccountName)
	}
	if len(t.Spec.InitContainers) > 0 {
		describeContainers(w, "Init Containers", t.Spec.InitContainers, nil, "  ", nil)
	}
	describeContainers(w, "Containers", t.Spec.Containers, nil, "  ", nil)
	describeVolumes(w, t.Spec.Volumes, "  ")
	if t.Spec.PriorityClassName != "" {
		w.line(1, "Priority Class Name:\t%s\n", t.Spec.PriorityClassName)
	}
	multiline(w, "  Node-Selectors", t.Spec.NodeSelector)
	tolerations(w, "  Tolerations", t.Spec.Tolerations)
}

// conditionTable is the "Type Status Reason" table of the workload kinds.
func conditionTable(w prefixWriter, rows [][3]string) {
	if len(rows) == 0 {
		return
	}
	w.line(0, "Conditions:\n  Type\tStatus\tReason\n")
	w.line(1, "----\t------\t------\n")
	for _, r := range rows {
		w.line(1, "%v \t%v\t%v\n", r[0], r[1], r[2])
	}
}

func sortedNames[K ~string, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	return keys
}
