package printers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"text/tabwriter"

	"github.com/kubesim/kubesim/components/api"
)

// ChangeCauseAnnotation is where `kubectl rollout history` reads a
// revision's CHANGE-CAUSE.
const ChangeCauseAnnotation = "kubernetes.io/change-cause"

// Revision is one entry of a workload's rollout history: its number, its
// change-cause and the pod template it rolled out.
type Revision struct {
	Number      int64
	ChangeCause string
	Template    api.PodTemplateSpec
}

// DeploymentHistory is a Deployment's history as kubectl builds it: one
// revision per ReplicaSet the Deployment controls, numbered by the
// ReplicaSet's deployment.kubernetes.io/revision annotation.
func DeploymentHistory(d *api.Deployment, list Lister) []Revision {
	newRS, old := DeploymentReplicaSets(d, list)
	if newRS != nil {
		old = append(old, newRS)
	}
	byNumber := map[int64]Revision{}
	for _, rs := range old {
		n, err := strconv.ParseInt(rs.Annotations[api.AnnotationDeploymentRevision], 10, 64)
		if rs.Annotations[api.AnnotationDeploymentRevision] == "" {
			n, err = 0, nil
		}
		if err != nil {
			continue
		}
		// kubectl shows a revision's template with its change-cause among
		// the template's annotations.
		t := rs.Spec.Template
		if cause := rs.Annotations[ChangeCauseAnnotation]; cause != "" {
			t.Annotations = copyWith(t.Annotations, ChangeCauseAnnotation, cause)
		}
		byNumber[n] = Revision{Number: n, ChangeCause: rs.Annotations[ChangeCauseAnnotation], Template: t}
	}
	return sortedRevisions(byNumber)
}

// ControllerRevisionHistory is a DaemonSet's or StatefulSet's history: the
// ControllerRevisions owner controls whose labels selector matches, each
// with the pod template its data patch carries.
func ControllerRevisionHistory(owner *api.ObjectMeta, selector *api.LabelSelector, list Lister) []Revision {
	sel, err := api.LabelSelectorAsSelector(selector)
	if err != nil {
		return nil
	}
	byNumber := map[int64]Revision{}
	for _, o := range list("controllerrevisions", owner.Namespace) {
		cr := o.(*api.ControllerRevision)
		if ref := cr.ControllerRef(); ref == nil || ref.UID != owner.UID || !sel.Matches(cr.Labels) {
			continue
		}
		var data struct {
			Spec struct {
				Template api.PodTemplateSpec `json:"template"`
			} `json:"spec"`
		}
		_ = json.Unmarshal(stripPatchDirectives(cr.Data.Raw), &data)
		byNumber[cr.Revision] = Revision{Number: cr.Revision, ChangeCause: cr.Annotations[ChangeCauseAnnotation], Template: data.Spec.Template}
	}
	return sortedRevisions(byNumber)
}

// stripPatchDirectives drops the "$patch" keys a ControllerRevision's
// strategic merge patch carries, so that the template decodes.
func stripPatchDirectives(raw []byte) []byte {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return raw
	}
	var strip func(any)
	strip = func(x any) {
		switch t := x.(type) {
		case map[string]any:
			for k, c := range t {
				if len(k) > 0 && k[0] == '$' {
					delete(t, k)
					continue
				}
				strip(c)
			}
		case []any:
			for _, c := range t {
				strip(c)
			}
		}
	}
	strip(v)
	b, err := json.Marshal(v)
	if err != nil {
		return raw
	}
	return b
}

func sortedRevisions(m map[int64]Revision) []Revision {
	out := make([]Revision, 0, len(m))
	for _, r := range m {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Number < out[j].Number })
	return out
}

// WriteRolloutHistory prints `kubectl rollout history <kind>/<name>`:
// "<kind>/<name> " and the REVISION / CHANGE-CAUSE table, or, for one
// revision, "with revision #N" and its pod template. kind is kubectl's
// kind.group ("deployment.apps").
func WriteRolloutHistory(out io.Writer, kind, name string, history []Revision, revision int64) error {
	if len(history) == 0 {
		_, err := fmt.Fprintf(out, "%s/%s \nNo rollout history found.\n", kind, name)
		return err
	}
	if revision > 0 {
		for _, r := range history {
			if r.Number == revision {
				// kubectl prints the template through a bare prefix
				// writer: its tabs stay tabs.
				var b bytes.Buffer
				t := r.Template
				describePodTemplate(prefixWriter{&b}, &t)
				_, err := fmt.Fprintf(out, "%s/%s with revision #%d\n%s\n", kind, name, revision, b.String())
				return err
			}
		}
		return fmt.Errorf("error: unable to find the specified revision")
	}
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "REVISION\tCHANGE-CAUSE\n")
	for _, r := range history {
		cause := r.ChangeCause
		if cause == "" {
			cause = "<none>"
		}
		fmt.Fprintf(tw, "%d\t%s\n", r.Number, cause)
	}
	tw.Flush()
	_, err := fmt.Fprintf(out, "%s/%s \n%s\n", kind, name, b.String())
	return err
}

func copyWith(m map[string]string, k, v string) map[string]string {
	out := make(map[string]string, len(m)+1)
	for a, b := range m {
		out[a] = b
	}
	out[k] = v
	return out
}

// RolloutStatus is `kubectl rollout status --watch=false`'s line for a
// Deployment, DaemonSet or StatefulSet, and whether the rollout is done;
// an error for a kind or strategy kubectl refuses.
func RolloutStatus(obj api.Object) (string, bool, error) {
	switch o := obj.(type) {
	case *api.Deployment:
		if o.Generation > o.Status.ObservedGeneration {
			return "Waiting for deployment spec update to be observed...\n", false, nil
		}
		for _, c := range o.Status.Conditions {
			if c.Type == "Progressing" && c.Reason == "ProgressDeadlineExceeded" {
				return "", false, fmt.Errorf("deployment %q exceeded its progress deadline", o.Name)
			}
		}
		st := o.Status
		switch {
		case o.Spec.Replicas != nil && st.UpdatedReplicas < *o.Spec.Replicas:
			return fmt.Sprintf("Waiting for deployment %q rollout to finish: %d out of %d new replicas have been updated...\n", o.Name, st.UpdatedReplicas, *o.Spec.Replicas), false, nil
		case st.Replicas > st.UpdatedReplicas:
			return fmt.Sprintf("Waiting for deployment %q rollout to finish: %d old replicas are pending termination...\n", o.Name, st.Replicas-st.UpdatedReplicas), false, nil
		case st.AvailableReplicas < st.UpdatedReplicas:
			return fmt.Sprintf("Waiting for deployment %q rollout to finish: %d of %d updated replicas are available...\n", o.Name, st.AvailableReplicas, st.UpdatedReplicas), false, nil
		}
		return fmt.Sprintf("deployment %q successfully rolled out\n", o.Name), true, nil
	case *api.DaemonSet:
		if o.Spec.UpdateStrategy.Type != api.RollingUpdateDaemonSetStrategyType {
			return "", true, fmt.Errorf("rollout status is only available for RollingUpdate strategy type")
		}
		if o.Generation > o.Status.ObservedGeneration {
			return "Waiting for daemon set spec update to be observed...\n", false, nil
		}
		st := o.Status
		switch {
		case st.UpdatedNumberScheduled < st.DesiredNumberScheduled:
			return fmt.Sprintf("Waiting for daemon set %q rollout to finish: %d out of %d new pods have been updated...\n", o.Name, st.UpdatedNumberScheduled, st.DesiredNumberScheduled), false, nil
		case st.NumberAvailable < st.DesiredNumberScheduled:
			return fmt.Sprintf("Waiting for daemon set %q rollout to finish: %d of %d updated pods are available...\n", o.Name, st.NumberAvailable, st.DesiredNumberScheduled), false, nil
		}
		return fmt.Sprintf("daemon set %q successfully rolled out\n", o.Name), true, nil
	case *api.StatefulSet:
		if o.Spec.UpdateStrategy.Type != api.RollingUpdateStatefulSetStrategyType {
			return "", true, fmt.Errorf("rollout status is only available for RollingUpdate strategy type")
		}
		st := o.Status
		if st.ObservedGeneration == 0 || o.Generation > st.ObservedGeneration {
			return "Waiting for statefulset spec update to be observed...\n", false, nil
		}
		if o.Spec.Replicas != nil && st.ReadyReplicas < *o.Spec.Replicas {
			return fmt.Sprintf("Waiting for %d pods to be ready...\n", *o.Spec.Replicas-st.ReadyReplicas), false, nil
		}
		if ru := o.Spec.UpdateStrategy.RollingUpdate; ru != nil {
			if o.Spec.Replicas != nil && ru.Partition != nil && st.UpdatedReplicas < *o.Spec.Replicas-*ru.Partition {
				return fmt.Sprintf("Waiting for partitioned roll out to finish: %d out of %d new pods have been updated...\n", st.UpdatedReplicas, *o.Spec.Replicas-*ru.Partition), false, nil
			}
			return fmt.Sprintf("partitioned roll out complete: %d new pods have been updated...\n", st.UpdatedReplicas), true, nil
		}
		if st.UpdateRevision != st.CurrentRevision {
			return fmt.Sprintf("waiting for statefulset rolling update to complete %d pods at revision %s...\n", st.UpdatedReplicas, st.UpdateRevision), false, nil
		}
		return fmt.Sprintf("statefulset rolling update complete %d pods at revision %s...\n", st.CurrentReplicas, st.CurrentRevision), true, nil
	}
	return "", false, fmt.Errorf("no status viewer has been implemented for %T", obj)
}
