package controllers_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/controllers"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func deployment(name string, replicas int32) *api.Deployment {
	labels := map[string]string{"app": name}
	return &api.Deployment{TypeMeta: api.TypeMeta{Kind: "Deployment", APIVersion: "apps/v1"},
		ObjectMeta: api.ObjectMeta{Name: name, Namespace: "default"},
		Spec:       api.DeploymentSpec{Replicas: ptr(replicas), Selector: &api.LabelSelector{MatchLabels: labels}, Template: podTemplate(labels)}}
}

func getDeploy(t *testing.T, e *env, name string) *api.Deployment {
	t.Helper()
	o, err := e.Admin.Get("deployments", "default", name)
	require.NoError(t, err)
	return o.(*api.Deployment)
}

func replicaSets(e *env) []*api.ReplicaSet {
	var out []*api.ReplicaSet
	for _, o := range e.list("replicasets", "default") {
		out = append(out, o.(*api.ReplicaSet))
	}
	return out
}

func rolledOut(t *testing.T, e *env, name string) func() bool {
	return func() bool {
		_, done, err := controllers.RolloutStatus(getDeploy(t, e, name))
		require.NoError(t, err)
		return done
	}
}

func setImage(t *testing.T, e *env, name, image string) {
	t.Helper()
	d := api.DeepCopy(getDeploy(t, e, name))
	d.Spec.Template.Spec.Containers[0].Image = image
	_, err := e.Admin.Update(d)
	require.NoError(t, err)
}

func TestDeploymentCreatesReplicaSetAndBecomesAvailable(t *testing.T) {
	e := boot(t, cluster.Config{}, controllers.NewReplicaSets, controllers.NewDeployments)
	d := e.create(deployment("web", 3)).(*api.Deployment)
	e.settle("default", "the rollout", rolledOut(t, e, "web"), time.Minute)

	rss := replicaSets(e)
	require.Len(t, rss, 1)
	rs := rss[0]
	hash := controllers.ComputeHash(&d.Spec.Template, nil)
	assert.Equal(t, "web-"+hash, rs.Name)
	assert.Equal(t, map[string]string{"app": "web", "pod-template-hash": hash}, rs.Spec.Selector.MatchLabels)
	assert.Equal(t, hash, rs.Spec.Template.Labels["pod-template-hash"])
	assert.Equal(t, map[string]string{"deployment.kubernetes.io/revision": "1", "deployment.kubernetes.io/desired-replicas": "3", "deployment.kubernetes.io/max-replicas": "4"}, rs.Annotations)
	assert.Equal(t, d.UID, rs.ControllerRef().UID)

	got := getDeploy(t, e, "web")
	assert.Equal(t, "1", got.Annotations["deployment.kubernetes.io/revision"])
	assert.Equal(t, int32(3), got.Status.AvailableReplicas)
	assert.Equal(t, int32(3), got.Status.UpdatedReplicas)
	assert.Equal(t, int32(0), got.Status.UnavailableReplicas)
	conds := map[api.DeploymentConditionType]string{}
	for _, c := range got.Status.Conditions {
		conds[c.Type] = string(c.Status) + " " + c.Reason + ": " + c.Message
	}
	assert.Equal(t, map[api.DeploymentConditionType]string{
		"Available":   "True MinimumReplicasAvailable: Deployment has minimum availability.",
		"Progressing": `True NewReplicaSetAvailable: ReplicaSet "web-` + hash + `" has successfully progressed.`,
	}, conds)
	msg, _, _ := controllers.RolloutStatus(got)
	assert.Equal(t, "deployment \"web\" successfully rolled out\n", msg)
	assert.Contains(t, e.events("default"), "deployment-controller ScalingReplicaSet: Scaled up replica set web-"+hash+" from 0 to 3")
}

// A rolling update never exceeds replicas+maxSurge pods nor drops below
// replicas-maxUnavailable available ones (4 replicas: surge 1, unavailable 1).
func TestDeploymentRollingUpdateRespectsSurgeAndUnavailable(t *testing.T) {
	e := boot(t, cluster.Config{}, controllers.NewReplicaSets, controllers.NewDeployments)
	e.create(deployment("web", 4))
	e.settle("default", "the first rollout", rolledOut(t, e, "web"), time.Minute)
	oldRS := replicaSets(e)[0].Name

	setImage(t, e, "web", "nginx:1.28")
	maxPods, minAvailable := 0, 4
	e.settle("default", "the second rollout", func() bool {
		var total int32
		var available int32
		for _, rs := range replicaSets(e) {
			total += *rs.Spec.Replicas
			available += rs.Status.AvailableReplicas
		}
		maxPods = max(maxPods, int(total))
		minAvailable = min(minAvailable, int(available))
		_, done, _ := controllers.RolloutStatus(getDeploy(t, e, "web"))
		return done
	}, 2*time.Minute)
	assert.LessOrEqual(t, maxPods, 5, "replicas + maxSurge (25%% of 4 rounded up)")
	assert.GreaterOrEqual(t, minAvailable, 3, "replicas - maxUnavailable (25%% of 4 rounded down)")

	got := getDeploy(t, e, "web")
	assert.Equal(t, "2", got.Annotations["deployment.kubernetes.io/revision"])
	rss := replicaSets(e)
	require.Len(t, rss, 2, "the old ReplicaSet stays, scaled to zero, as history")
	var newRS string
	for _, rs := range rss {
		if rs.Name == oldRS {
			assert.Equal(t, int32(0), *rs.Spec.Replicas)
			assert.Equal(t, "1", rs.Annotations["deployment.kubernetes.io/revision"])
		} else {
			newRS = rs.Name
			assert.Equal(t, "2", rs.Annotations["deployment.kubernetes.io/revision"])
		}
	}
	evs := e.events("default")
	assert.Contains(t, evs, "deployment-controller ScalingReplicaSet: Scaled up replica set "+newRS+" from 0 to 1")
	assert.Contains(t, evs, "deployment-controller ScalingReplicaSet: Scaled down replica set "+oldRS+" from 4 to 3")
	assert.Contains(t, evs, "deployment-controller ScalingReplicaSet: Scaled down replica set "+oldRS+" from 1 to 0")
}

func TestDeploymentRecreateStopsOldPodsFirst(t *testing.T) {
	e := boot(t, cluster.Config{}, controllers.NewReplicaSets, controllers.NewDeployments)
	d := deployment("db", 2)
	d.Spec.Strategy = api.DeploymentStrategy{Type: api.RecreateDeploymentStrategyType}
	e.create(d)
	e.settle("default", "the first rollout", rolledOut(t, e, "db"), time.Minute)
	setImage(t, e, "db", "postgres:17")
	e.run(2 * time.Second) // no kubelet: the old pods terminate but are not gone
	rss := replicaSets(e)
	require.Len(t, rss, 1, "no new ReplicaSet while old pods still run")
	assert.Equal(t, int32(0), *rss[0].Spec.Replicas)
	e.settle("default", "the second rollout", rolledOut(t, e, "db"), time.Minute)
	assert.Len(t, replicaSets(e), 2)
}

func TestDeploymentRevisionHistoryAndRollback(t *testing.T) {
	e := boot(t, cluster.Config{}, controllers.NewReplicaSets, controllers.NewDeployments)
	d := deployment("web", 2)
	d.Spec.RevisionHistoryLimit = ptr(int32(1))
	e.create(d)
	e.settle("default", "rollout 1", rolledOut(t, e, "web"), time.Minute)
	first := replicaSets(e)[0].Name
	for _, img := range []string{"nginx:1.28", "nginx:1.29"} {
		setImage(t, e, "web", img)
		e.settle("default", "rollout of "+img, rolledOut(t, e, "web"), 2*time.Minute)
	}
	e.settle("default", "history cleanup", func() bool { return len(replicaSets(e)) == 2 }, 30*time.Second)
	for _, rs := range replicaSets(e) {
		assert.NotEqual(t, first, rs.Name, "revision 1 is beyond revisionHistoryLimit=1")
	}

	_, err := controllers.Rollback(e.Admin, "default", "web", 1)
	assert.EqualError(t, err, "unable to find specified revision 1 in history")
	msg, err := controllers.Rollback(e.Admin, "default", "web", 0)
	require.NoError(t, err)
	assert.Equal(t, "deployment.apps/web rolled back", msg)
	e.settle("default", "the rollback", rolledOut(t, e, "web"), 2*time.Minute)
	got := getDeploy(t, e, "web")
	assert.Equal(t, "nginx:1.28", got.Spec.Template.Spec.Containers[0].Image)
	assert.Equal(t, "4", got.Annotations["deployment.kubernetes.io/revision"], "a rollback is a new revision")
	for _, rs := range replicaSets(e) {
		if rs.Spec.Template.Spec.Containers[0].Image == "nginx:1.28" {
			assert.Equal(t, "4", rs.Annotations["deployment.kubernetes.io/revision"], "the old ReplicaSet is reused")
			assert.Equal(t, int32(2), *rs.Spec.Replicas)
		}
	}
	msg, err = controllers.Rollback(e.Admin, "default", "web", 4)
	require.NoError(t, err)
	assert.Equal(t, "deployment.apps/web skipped rollback (current template already matches revision 4)", msg)
}

func TestRolloutStatusText(t *testing.T) {
	base := func(gen, observed int64, st api.DeploymentStatus) *api.Deployment {
		d := deployment("web", 3)
		d.Generation = gen
		st.ObservedGeneration = observed
		d.Status = st
		return d
	}
	tests := []struct {
		name     string
		d        *api.Deployment
		want     string
		wantDone bool
		wantErr  string
	}{
		{name: "spec not observed", d: base(2, 1, api.DeploymentStatus{}), want: "Waiting for deployment spec update to be observed...\n"},
		{name: "updating", d: base(1, 1, api.DeploymentStatus{Replicas: 4, UpdatedReplicas: 1}), want: "Waiting for deployment \"web\" rollout to finish: 1 out of 3 new replicas have been updated...\n"},
		{name: "old pending termination", d: base(1, 1, api.DeploymentStatus{Replicas: 4, UpdatedReplicas: 3}), want: "Waiting for deployment \"web\" rollout to finish: 1 old replicas are pending termination...\n"},
		{name: "becoming available", d: base(1, 1, api.DeploymentStatus{Replicas: 3, UpdatedReplicas: 3, AvailableReplicas: 1}), want: "Waiting for deployment \"web\" rollout to finish: 1 of 3 updated replicas are available...\n"},
		{name: "done", d: base(1, 1, api.DeploymentStatus{Replicas: 3, UpdatedReplicas: 3, AvailableReplicas: 3}), want: "deployment \"web\" successfully rolled out\n", wantDone: true},
		{name: "deadline exceeded", d: base(1, 1, api.DeploymentStatus{Conditions: []api.DeploymentCondition{{Type: api.DeploymentProgressing, Status: api.ConditionFalse, Reason: "ProgressDeadlineExceeded"}}}),
			wantErr: "deployment \"web\" exceeded its progress deadline"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, done, err := controllers.RolloutStatus(tt.d)
			if tt.wantErr != "" {
				assert.EqualError(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.wantDone, done)
		})
	}
}

func TestComputeHash(t *testing.T) {
	tmpl := podTemplate(map[string]string{"app": "web"})
	h := controllers.ComputeHash(&tmpl, nil)
	assert.Equal(t, h, controllers.ComputeHash(&tmpl, nil), "stable")
	assert.Regexp(t, `^[bcdfghjklmnpqrstvwxz2456789]{1,10}$`, h, "safe-encoded decimal of a 32-bit FNV hash")
	assert.NotEqual(t, h, controllers.ComputeHash(&tmpl, ptr(int32(1))), "the collision count changes the hash")
	other := podTemplate(map[string]string{"app": "web"})
	other.Spec.Containers[0].Image = "nginx:1.28"
	assert.NotEqual(t, h, controllers.ComputeHash(&other, nil))
	assert.False(t, strings.ContainsAny(h, "aeiou013"))
}

// Pods that never become ready: after progressDeadlineSeconds the
// deployment reports ProgressDeadlineExceeded, found by a delayed requeue
// rather than by an event.
func TestDeploymentProgressDeadline(t *testing.T) {
	e := boot(t, cluster.Config{}, controllers.NewReplicaSets, controllers.NewDeployments)
	d := deployment("stuck", 2)
	d.Spec.ProgressDeadlineSeconds = ptr(int32(30))
	e.create(d)
	e.run(10 * time.Second)
	msg, done, err := controllers.RolloutStatus(getDeploy(t, e, "stuck"))
	require.NoError(t, err)
	assert.False(t, done)
	assert.Equal(t, "Waiting for deployment \"stuck\" rollout to finish: 0 of 2 updated replicas are available...\n", msg)
	e.run(30 * time.Second)
	_, _, err = controllers.RolloutStatus(getDeploy(t, e, "stuck"))
	assert.EqualError(t, err, "deployment \"stuck\" exceeded its progress deadline")
	for _, c := range getDeploy(t, e, "stuck").Status.Conditions {
		if c.Type == api.DeploymentProgressing {
			assert.Equal(t, api.ConditionFalse, c.Status)
			assert.Regexp(t, `^ReplicaSet "stuck-[a-z0-9]+" has timed out progressing\.$`, c.Message)
		}
		if c.Type == api.DeploymentAvailable {
			assert.Equal(t, "Deployment does not have minimum availability.", c.Message)
		}
	}
}
