package controllers

import (
	"errors"
	"fmt"
	"sort"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/client"
)

// RolloutStatus is what `kubectl rollout status deployment/<name>` prints
// for one look at a deployment, and whether the rollout is done. A
// deployment past its progress deadline is an error, as kubectl reports it.
func RolloutStatus(d *api.Deployment) (string, bool, error) {
	if d.Generation > d.Status.ObservedGeneration {
		return "Waiting for deployment spec update to be observed...\n", false, nil
	}
	if c := deploymentCondition(d.Status, api.DeploymentProgressing); c != nil && c.Reason == ReasonProgressDeadlineExceeded {
		return "", false, fmt.Errorf("deployment %q exceeded its progress deadline", d.Name)
	}
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	st := d.Status
	switch {
	case st.UpdatedReplicas < want:
		return fmt.Sprintf("Waiting for deployment %q rollout to finish: %d out of %d new replicas have been updated...\n", d.Name, st.UpdatedReplicas, want), false, nil
	case st.Replicas > st.UpdatedReplicas:
		return fmt.Sprintf("Waiting for deployment %q rollout to finish: %d old replicas are pending termination...\n", d.Name, st.Replicas-st.UpdatedReplicas), false, nil
	case st.AvailableReplicas < st.UpdatedReplicas:
		return fmt.Sprintf("Waiting for deployment %q rollout to finish: %d of %d updated replicas are available...\n", d.Name, st.AvailableReplicas, st.UpdatedReplicas), false, nil
	}
	return fmt.Sprintf("deployment %q successfully rolled out\n", d.Name), true, nil
}

// Rollback is `kubectl rollout undo deployment/<name> [--to-revision=N]`:
// it copies the pod template of the ReplicaSet with that revision (0: the
// previous one) back into the deployment, which then rolls it out as a new
// revision. It returns kubectl's message.
func Rollback(cl *client.Client, namespace, name string, toRevision int64) (string, error) {
	o, err := cl.Get("deployments", namespace, name)
	if err != nil {
		return "", err
	}
	d := api.DeepCopy(o.(*api.Deployment))
	if d.Spec.Paused {
		return "", fmt.Errorf("you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again")
	}
	items, _, err := cl.List("replicasets", namespace, client.ListOptions{})
	if err != nil {
		return "", err
	}
	var history []*api.ReplicaSet
	for _, o := range items {
		if isControlledBy(o, d) {
			history = append(history, o.(*api.ReplicaSet))
		}
	}
	sort.Slice(history, func(i, j int) bool { return revision(history[i]) < revision(history[j]) })
	var target *api.ReplicaSet
	if toRevision == 0 {
		if len(history) < 2 {
			return "", errors.New("no rollout history found for deployment \"" + name + "\"")
		}
		target = history[len(history)-2]
	} else {
		for _, rs := range history {
			if revision(rs) == toRevision {
				target = rs
			}
		}
		if target == nil {
			return "", fmt.Errorf("unable to find specified revision %d in history", toRevision)
		}
	}
	if equalIgnoreHash(&target.Spec.Template, &d.Spec.Template) {
		return fmt.Sprintf("deployment.apps/%s skipped rollback (current template already matches revision %d)", name, revision(target)), nil
	}
	tmpl := api.DeepCopyValue(target.Spec.Template)
	delete(tmpl.Labels, api.LabelPodTemplateHash)
	d.Spec.Template = tmpl
	for _, k := range sortedKeys(target.Annotations) {
		if !skipCopyAnnotation(k) {
			if d.Annotations == nil {
				d.Annotations = map[string]string{}
			}
			d.Annotations[k] = target.Annotations[k]
		}
	}
	if _, err := cl.Update(d); err != nil {
		return "", err
	}
	return "deployment.apps/" + name + " rolled back", nil
}
