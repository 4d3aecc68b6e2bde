package printers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kubesim/kubesim/components/api"
)

// The apps/v1 describers: kubectl's layout for Deployments, ReplicaSets,
// DaemonSets and StatefulSets.

func init() {
	registerDescriber("deployments", describeDeployment)
	registerDescriber("replicasets", describeReplicaSet)
	registerDescriber("daemonsets", describeDaemonSet)
	registerDescriber("statefulsets", describeStatefulSet)
}

func int32Value(p *int32) int32 {
	if p == nil {
		return 0
	}
	return *p
}

func describeDeployment(w prefixWriter, obj api.Object, events []api.Event, now time.Time, list Lister) {
	d := obj.(*api.Deployment)
	w.line(0, "Name:\t%s\n", d.Name)
	w.line(0, "Namespace:\t%s\n", d.Namespace)
	w.line(0, "CreationTimestamp:\t%s\n", d.CreationTimestamp.Time.Format(describeTime))
	multiline(w, "Labels", d.Labels)
	annotations(w, "Annotations", d.Annotations)
	w.line(0, "Selector:\t%s\n", selectorString(d.Spec.Selector))
	w.line(0, "Replicas:\t%d desired | %d updated | %d total | %d available | %d unavailable\n",
		int32Value(d.Spec.Replicas), d.Status.UpdatedReplicas, d.Status.Replicas, d.Status.AvailableReplicas, d.Status.UnavailableReplicas)
	w.line(0, "StrategyType:\t%s\n", d.Spec.Strategy.Type)
	w.line(0, "MinReadySeconds:\t%d\n", d.Spec.MinReadySeconds)
	if ru := d.Spec.Strategy.RollingUpdate; ru != nil {
		w.line(0, "RollingUpdateStrategy:\t%s max unavailable, %s max surge\n", intOrStringText(ru.MaxUnavailable), intOrStringText(ru.MaxSurge))
	}
	describePodTemplate(w, &d.Spec.Template)
	var rows [][3]string
	for _, c := range d.Status.Conditions {
		rows = append(rows, [3]string{string(c.Type), string(c.Status), c.Reason})
	}
	conditionTable(w, rows)
	newRS, oldRSs := DeploymentReplicaSets(d, list)
	if newRS != nil || len(oldRSs) > 0 {
		var cur []*api.ReplicaSet
		if newRS != nil {
			cur = append(cur, newRS)
		}
		w.line(0, "OldReplicaSets:\t%s\n", replicaSetsText(oldRSs))
		w.line(0, "NewReplicaSet:\t%s\n", replicaSetsText(cur))
	}
	describeEvents(w, events, now)
}

// intOrStringText prints an IntOrString as %s does in kubectl (a nil one
// prints as the zero value, "0").
func intOrStringText(v *api.IntOrString) string {
	if v == nil {
		return "0"
	}
	return v.String()
}

func replicaSetsText(rss []*api.ReplicaSet) string {
	if len(rss) == 0 {
		return "<none>"
	}
	parts := make([]string, len(rss))
	for i, rs := range rss {
		parts[i] = fmt.Sprintf("%s (%d/%d replicas created)", rs.Name, rs.Status.Replicas, int32Value(rs.Spec.Replicas))
	}
	return strings.Join(parts, ", ")
}

// DeploymentReplicaSets finds a Deployment's ReplicaSets as kubectl does:
// those its selector matches and it controls, oldest first; the new one is
// the oldest whose pod template equals the Deployment's (the
// pod-template-hash label aside), the others are old.
func DeploymentReplicaSets(d *api.Deployment, list Lister) (newRS *api.ReplicaSet, old []*api.ReplicaSet) {
	sel, err := api.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		return nil, nil
	}
	var owned []*api.ReplicaSet
	for _, o := range list("replicasets", d.Namespace) {
		rs := o.(*api.ReplicaSet)
		if ref := rs.ControllerRef(); ref == nil || ref.UID != d.UID || !sel.Matches(rs.Labels) {
			continue
		}
		owned = append(owned, rs)
	}
	sort.SliceStable(owned, func(i, j int) bool {
		a, b := owned[i], owned[j]
		if a.CreationTimestamp.Time.Equal(b.CreationTimestamp.Time) {
			return a.Name < b.Name
		}
		return a.CreationTimestamp.Time.Before(b.CreationTimestamp.Time)
	})
	want := templateWithoutHash(&d.Spec.Template)
	for _, rs := range owned {
		if newRS == nil && bytes.Equal(templateWithoutHash(&rs.Spec.Template), want) {
			newRS = rs
			continue
		}
		old = append(old, rs)
	}
	return newRS, old
}

func templateWithoutHash(t *api.PodTemplateSpec) []byte {
	c := *t
	if _, ok := c.Labels[api.LabelPodTemplateHash]; ok {
		labels := make(map[string]string, len(c.Labels))
		for k, v := range c.Labels {
			if k != api.LabelPodTemplateHash {
				labels[k] = v
			}
		}
		c.Labels = labels
	}
	if len(c.Labels) == 0 {
		c.Labels = nil
	}
	b, _ := json.Marshal(c)
	return b
}

func describeReplicaSet(w prefixWriter, obj api.Object, events []api.Event, now time.Time, list Lister) {
	rs := obj.(*api.ReplicaSet)
	w.line(0, "Name:\t%s\n", rs.Name)
	w.line(0, "Namespace:\t%s\n", rs.Namespace)
	w.line(0, "Selector:\t%s\n", api.FormatLabelSelector(rs.Spec.Selector))
	multiline(w, "Labels", rs.Labels)
	annotations(w, "Annotations", rs.Annotations)
	controlledBy(w, &rs.ObjectMeta)
	w.line(0, "Replicas:\t%d current / %d desired\n", rs.Status.Replicas, int32Value(rs.Spec.Replicas))
	running, waiting, succeeded, failed := podStatusCounts(list, rs.Namespace, rs.Spec.Selector, string(rs.UID))
	w.line(0, "Pods Status:\t%d Running / %d Waiting / %d Succeeded / %d Failed\n", running, waiting, succeeded, failed)
	describePodTemplate(w, &rs.Spec.Template)
	var rows [][3]string
	for _, c := range rs.Status.Conditions {
		rows = append(rows, [3]string{string(c.Type), string(c.Status), c.Reason})
	}
	conditionTable(w, rows)
	describeEvents(w, events, now)
}

func describeDaemonSet(w prefixWriter, obj api.Object, events []api.Event, now time.Time, list Lister) {
	ds := obj.(*api.DaemonSet)
	// kubectl prints no Namespace line for a DaemonSet.
	w.line(0, "Name:\t%s\n", ds.Name)
	w.line(0, "Selector:\t%s\n", selectorString(ds.Spec.Selector))
	w.line(0, "Node-Selector:\t%s\n", formatLabels(ds.Spec.Template.Spec.NodeSelector))
	multiline(w, "Labels", ds.Labels)
	annotations(w, "Annotations", ds.Annotations)
	st := ds.Status
	w.line(0, "Desired Number of Nodes Scheduled: %d\n", st.DesiredNumberScheduled)
	w.line(0, "Current Number of Nodes Scheduled: %d\n", st.CurrentNumberScheduled)
	w.line(0, "Number of Nodes Scheduled with Up-to-date Pods: %d\n", st.UpdatedNumberScheduled)
	w.line(0, "Number of Nodes Scheduled with Available Pods: %d\n", st.NumberAvailable)
	w.line(0, "Number of Nodes Misscheduled: %d\n", st.NumberMisscheduled)
	running, waiting, succeeded, failed := podStatusCounts(list, ds.Namespace, ds.Spec.Selector, string(ds.UID))
	w.line(0, "Pods Status:\t%d Running / %d Waiting / %d Succeeded / %d Failed\n", running, waiting, succeeded, failed)
	describePodTemplate(w, &ds.Spec.Template)
	describeEvents(w, events, now)
}

func describeStatefulSet(w prefixWriter, obj api.Object, events []api.Event, now time.Time, list Lister) {
	ss := obj.(*api.StatefulSet)
	w.line(0, "Name:\t%s\n", ss.Name)
	w.line(0, "Namespace:\t%s\n", ss.Namespace)
	w.line(0, "CreationTimestamp:\t%s\n", ss.CreationTimestamp.Time.Format(describeTime))
	w.line(0, "Selector:\t%s\n", selectorString(ss.Spec.Selector))
	multiline(w, "Labels", ss.Labels)
	annotations(w, "Annotations", ss.Annotations)
	w.line(0, "Replicas:\t%d desired | %d total\n", int32Value(ss.Spec.Replicas), ss.Status.Replicas)
	w.line(0, "Update Strategy:\t%s\n", ss.Spec.UpdateStrategy.Type)
	if ru := ss.Spec.UpdateStrategy.RollingUpdate; ru != nil && ru.Partition != nil {
		w.line(1, "Partition:\t%d\n", *ru.Partition)
		if ru.MaxUnavailable != nil {
			w.line(1, "MaxUnavailable:\t%s\n", ru.MaxUnavailable.String())
		}
	}
	running, waiting, succeeded, failed := podStatusCounts(list, ss.Namespace, ss.Spec.Selector, string(ss.UID))
	w.line(0, "Pods Status:\t%d Running / %d Waiting / %d Succeeded / %d Failed\n", running, waiting, succeeded, failed)
	describePodTemplate(w, &ss.Spec.Template)
	if len(ss.Spec.VolumeClaimTemplates) == 0 {
		w.line(0, "Volume Claims:\t<none>\n")
	} else {
		w.line(0, "Volume Claims:\n")
		for _, t := range ss.Spec.VolumeClaimTemplates {
			spec := t.Spec
			w.line(1, "Name:\t%s\n", t.Name)
			w.line(1, "StorageClass:\t%s\n", claimClass(&t.ObjectMeta, &spec))
			multiline(w, "  Labels", t.Labels)
			multiline(w, "  Annotations", t.Annotations)
			if q, ok := spec.Resources.Requests[api.ResourceStorage]; ok {
				w.line(1, "Capacity:\t%s\n", q.String())
			} else {
				w.line(1, "Capacity:\t%s\n", "<default>")
			}
			w.line(1, "Access Modes:\t%s\n", accessModesList(spec.AccessModes))
		}
	}
	describeEvents(w, events, now)
}

// claimClass is a claim's storage class: the beta annotation first, then
// spec.storageClassName.
func claimClass(m *api.ObjectMeta, spec *api.PersistentVolumeClaimSpec) string {
	if c, ok := m.Annotations["volume.beta.kubernetes.io/storage-class"]; ok {
		return c
	}
	if spec.StorageClassName != nil {
		return *spec.StorageClassName
	}
	return ""
}

// accessModesList prints access modes as Go prints the slice:
// "[ReadWriteOnce]".
func accessModesList(modes []api.PersistentVolumeAccessMode) string {
	parts := make([]string, len(modes))
	for i, m := range modes {
		parts[i] = string(m)
	}
	return "[" + strings.Join(parts, " ") + "]"
}
